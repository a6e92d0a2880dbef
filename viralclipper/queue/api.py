"""What the CLI and the web UI do to jobs: submit, cancel, retry, re-analyze, delete."""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES, JobNotFound, JobStatus
from viralclipper.models.settings import get_user_settings
from viralclipper.models.tables import Clip, Job
from viralclipper.pipeline.criteria import Criterion, load_criteria
from viralclipper.pipeline.download import check_source
from viralclipper.pipeline.media import check_media_file
from viralclipper.pipeline.netguard import guard_for_user_urls
from viralclipper.pipeline.progress import PipelineError  # noqa: F401 - what submit_job raises
from viralclipper.pipeline.transcript import Transcript
from viralclipper.pipeline.transcript_text import as_srt, as_text, as_vtt, srt_to_vtt
from viralclipper.queue.app import get_queue
from viralclipper.queue.backend import get_backend
from viralclipper.queue.cleanup import clean_cache_safely
from viralclipper.queue.events import publish
from viralclipper.queue.runner import job_dir

log = logging.getLogger(__name__)


def options_for_user(user_id: int) -> dict:
    """A snapshot of the user's clip settings, which the job keeps (until it is re-analyzed)."""
    return get_user_settings(user_id).model_dump(mode="json")


def _owned(job_id: int, user_id: int | None) -> Job:
    job = jobs.get_job(job_id, user_id=user_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


QUEUE_UNREACHABLE_EVENT = "the queue could not be reached: the job starts once it is back"


class QueueUnreachable(Exception):  # noqa: N818 - the name says what happened
    """The job is saved as pending, but the queue could not be reached (Redis down): crash
    recovery hands it to the queue once it answers again. Not an error of the user's."""

    def __init__(self, job: Job) -> None:
        self.job = job
        super().__init__(f"Job {job.id} is saved and will start when the queue is reachable.")


def _enqueue(job: Job, message: str) -> Job:
    """Hand a pending job to the queue; QueueUnreachable (the job stays saved) when it is down."""
    jobs.add_event(job.id, "info", message)
    publish(job)
    try:
        get_queue().process_job(job.id)
    except get_backend().queue_errors as exc:
        log.warning("could not queue job %s (%s); recovery queues it later", job.id, exc)
        jobs.add_event(job.id, "warning", QUEUE_UNREACHABLE_EVENT)
        raise QueueUnreachable(job) from exc
    return job


def submit_job(user_id: int, source: str, *, upload: bool = False, title: str | None = None) -> Job:
    """Validate the source (PipelineError with a clear sentence if bad) and queue a new job."""
    if upload:
        source = source.strip()
        check_media_file(Path(source))
    else:
        source = check_source(source, guard_for_user_urls())
    job = jobs.create_job(user_id, source, options_for_user(user_id), upload=upload)
    if title:
        job = jobs.update_job(job.id, title=title)
    return _enqueue(job, f"queued {source if not upload else 'an uploaded file'}")


def cancel_job(job_id: int, user_id: int | None = None) -> Job:
    """A pending job is revoked at once; a running one stops at its next progress report."""
    job = _owned(job_id, user_id)
    if job.status in FINISHED_STATES:
        return job
    job = jobs.request_cancel(job_id)
    jobs.add_event(
        job_id,
        "warning",
        "cancelled before it started" if job.status == JobStatus.CANCELLED else "cancel requested",
    )
    publish(job)
    return job


def retry_job(job_id: int, user_id: int | None = None) -> Job:
    """Queue a failed or cancelled job again; it resumes after the last stage it finished.
    NotAllowedNow for any other job (one a worker still runs above all)."""
    _owned(job_id, user_id)
    job = jobs.retry_job(job_id)
    return _enqueue(job, f"retry: resuming after {job.last_completed_stage or 'the start'}")


def reanalyze_job(job_id: int, user_id: int | None = None) -> Job:
    """Analyze and render again from the cached transcript, with the owner's current settings.
    NotAllowedNow unless the job is finished and has its transcript."""
    job = _owned(job_id, user_id)
    job = jobs.reanalyze_job(job_id, options_for_user(job.user_id))
    return _enqueue(job, "re-analysis with the current settings")


def delete_job(job_id: int, user_id: int | None = None) -> None:
    """Delete the job, its clips and events, its files, and the cache entries only it used."""
    job = _owned(job_id, user_id)
    if job.status in RUNNING_STATES:
        jobs.request_cancel(job_id)
    jobs.delete_job(job_id)
    shutil.rmtree(job_dir(job_id), ignore_errors=True)
    upload = Path(job.source_url)
    if job.upload and upload.is_file():
        upload.unlink(missing_ok=True)
    clean_cache_safely()


def default_criteria() -> list[Criterion]:
    """The criteria files: what "reset to defaults" restores."""
    return load_criteria(get_settings().criteria_dir)


def upload_path(filename: str) -> Path:
    """A fresh path under data_dir/uploads that keeps a sanitized form of the original name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name).strip("._") or "video"
    folder = get_settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex[:12]}-{name[-80:]}"


def load_transcript(job: Job) -> Transcript | None:
    """The job's transcript; None when there is none (yet) or it cannot be read."""
    path = Path(job.transcript_path) if job.transcript_path else None
    if path is None or not path.is_file():
        return None
    try:
        return Transcript.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def transcript_sentences(job: Job) -> list[dict]:
    """The job's transcript as {start, end, text}, one sentence each; empty when there is none
    (yet). Whisper's batched segments run about 30 s, too long to read or to seek by."""
    transcript = load_transcript(job)
    if transcript is None:
        return []
    return [{"start": s.start, "end": s.end, "text": s.text} for s in transcript.sentences]


def _as_json(transcript: Transcript) -> str:
    return transcript.model_dump_json()


TRANSCRIPT_FORMATS: dict[str, Callable[[Transcript], str]] = {
    "json": _as_json,
    "txt": as_text,
    "srt": as_srt,
    "vtt": as_vtt,
}


def transcript_as(job: Job, fmt: str) -> str | None:
    """The job's transcript in one of TRANSCRIPT_FORMATS; None when it has none (yet)."""
    transcript = load_transcript(job)
    return None if transcript is None else TRANSCRIPT_FORMATS[fmt](transcript)


def clip_subtitles_vtt(clip: Clip) -> str | None:
    """The clip's SRT subtitles as WebVTT; None when it has none."""
    path = Path(clip.subtitles_path) if clip.subtitles_path else None
    if path is None or not path.is_file():
        return None
    return srt_to_vtt(path.read_text(encoding="utf-8", errors="replace"))
