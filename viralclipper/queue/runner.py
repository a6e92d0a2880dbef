"""Runs one job through the stages on a worker: claims it, keeps a heartbeat, writes throttled
progress, honours cancellation, and resumes after the last stage that finished."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from viralclipper.config import ClipSettings, get_settings
from viralclipper.models import clips as clip_store
from viralclipper.models import jobs, runs
from viralclipper.models.instance import effective_settings
from viralclipper.models.jobs import JobActionError
from viralclipper.models.runs import RunStatus
from viralclipper.models.tables import Clip, Job
from viralclipper.pipeline import cache
from viralclipper.pipeline.files import write_text_atomic
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.netguard import guard_for_user_urls
from viralclipper.pipeline.process import (
    RenderedClip,
    RenderedFiles,
    render_clip_files,
    render_key,
    stage_analyze,
    stage_download,
    stage_slice,
    stage_transcribe,
)
from viralclipper.pipeline.progress import Cancelled, FailureKind, PipelineError, Reporter
from viralclipper.pipeline.transcript import Transcript, Word
from viralclipper.queue import webhooks
from viralclipper.queue.cleanup import clean_cache_safely
from viralclipper.queue.events import publish
from viralclipper.stages import STAGE_PROGRESS, Stage, stages_after

log = logging.getLogger(__name__)

_transcription_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


class LostClaim(Exception):  # noqa: N818
    """Another worker took this job over (this one was presumed dead): stop without a trace."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def job_dir(job_id: int) -> Path:
    return get_settings().data_dir / "jobs" / str(job_id)


def transcription_slots() -> threading.BoundedSemaphore:
    """Limits concurrent transcriptions in this worker process (one model, one GPU)."""
    global _transcription_slots
    with _slots_lock:
        if _transcription_slots is None:
            _transcription_slots = threading.BoundedSemaphore(
                max(1, get_settings().max_concurrent_transcriptions)
            )
        return _transcription_slots


class JobReporter:
    """Progress for one stage of one job: throttled writes (the latest report is never lost: the
    job's monitor flushes it) and the cancel flag."""

    def __init__(
        self, job: Job, worker: str, stage: Stage, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.job_id, self.worker, self.stage, self.clock = job.id, worker, stage, clock
        self.interval = get_settings().progress_interval_seconds
        self.low, self.high = STAGE_PROGRESS[stage]
        self.last_write = 0.0
        self.last_cancel_check = 0.0
        self.cancelled = False
        self._pending: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def progress(self, fraction: float, message: str) -> None:
        with self._lock:
            self._pending = (self.low + (self.high - self.low) * fraction, message)
        if fraction >= 1.0:
            self.flush(force=True)
        else:
            self.flush()

    def flush(self, force: bool = False) -> None:
        """Write the latest report if the throttle allows (or `force`)."""
        with self._lock:
            now = self.clock()
            if self._pending is None or (not force and now - self.last_write < self.interval):
                return
            overall, message = self._pending
            self._pending, self.last_write = None, now
        job = jobs.set_progress(self.job_id, round(overall, 2), message or None)
        if job is not None:
            publish(job)

    def should_cancel(self) -> bool:
        now = self.clock()
        if now - self.last_cancel_check >= min(self.interval, 0.5):
            self.last_cancel_check = now
            job = jobs.get_job(self.job_id)
            if job is None or job.worker_id != self.worker:
                raise LostClaim(f"job {self.job_id} is no longer ours")
            self.cancelled = job.cancel_requested
        return self.cancelled

    def reporter(self) -> Reporter:
        return Reporter(self.progress, self.should_cancel)


class JobMonitor:
    """A side thread per running job: keeps `heartbeat_at` fresh, so a long silent step (loading
    a model, one long ffmpeg pass) is not mistaken for a dead worker, and flushes the stage's
    last throttled progress report."""

    def __init__(self, job_id: int, worker: str) -> None:
        self.job_id, self.worker = job_id, worker
        self.stage_reporter: JobReporter | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"monitor-{job_id}")

    def _run(self) -> None:
        settings = get_settings()
        tick = min(settings.progress_interval_seconds, settings.heartbeat_seconds)
        last_beat = time.monotonic()
        while not self._stop.wait(tick):
            try:
                if self.stage_reporter is not None:
                    self.stage_reporter.flush()
                if time.monotonic() - last_beat >= settings.heartbeat_seconds:
                    last_beat = time.monotonic()
                    jobs.heartbeat(self.job_id, self.worker)
            except Exception:
                log.warning("monitoring job %s failed", self.job_id, exc_info=True)

    def __enter__(self) -> JobMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def stages_to_run(job: Job) -> list[Stage]:
    return stages_after(job.last_completed_stage)


def run_job(job_id: int) -> None:
    """The `process_job` task: run every stage not yet finished; safe to call twice for one job
    (only one claim wins)."""
    worker = worker_id()
    job = jobs.claim_job(job_id, worker)
    if job is None:
        log.info("job %s was not claimable (taken, finished or gone)", job_id)
        return
    try:
        with JobMonitor(job_id, worker) as monitor:
            for stage in stages_to_run(job):
                job = _run_stage(job, stage, worker, monitor)
        count = clip_store.count_clips(job_id=job_id)
        jobs.add_event(job_id, "info", f"completed with {count} clips")
        _ended(_finish(lambda: jobs.advance_job(job_id, worker, step="completed")))
    except (LostClaim, JobActionError):
        log.warning("job %s was taken over by another worker; stopping here", job_id)
    except Cancelled:
        jobs.add_event(job_id, "warning", "cancelled")
        _end_run(job_id, RunStatus.CANCELLED, None)
        if _has_clips(job_id):
            _finish(lambda: jobs.abandon_reanalysis(job_id, worker, step="re-analysis cancelled"))
        else:
            _finish(lambda: jobs.stop_job(job_id, worker))
    except PipelineError as exc:
        _fail(job_id, worker, str(exc), kind=exc.kind)
    except Exception as exc:  # the job must end readable even on a bug
        log.exception("job %s crashed", job_id)
        _fail(job_id, worker, f"unexpected error: {exc}", detail=traceback.format_exc(limit=5))
    clean_cache_safely()  # what this job no longer holds may now go


def _has_clips(job_id: int) -> bool:
    """Whether the job has a completed analysis to go back to (a failed or cancelled
    re-analysis leaves it completed with those clips)."""
    job = jobs.get_job(job_id)
    return job is not None and job.current_run_id is not None


def _end_run(job_id: int, status: RunStatus, error: str | None) -> None:
    run = runs.open_run(job_id)
    if run is not None:
        runs.end_run(run.id, status, error)
        runs.note(run.id, f"{status}: {error}" if error else str(status))


def _finish(move: Callable[[], Job]) -> Job | None:
    """Make the job's last move and tell its subscribers; a job taken over or deleted meanwhile
    is left to whoever has it now (None)."""
    try:
        job = move()
    except JobActionError as exc:
        log.warning("could not finish the job: %s", exc)
        return None
    publish(job)
    return job


def _ended(job: Job | None) -> None:
    """A job that completed or failed: its owner's webhooks hear it."""
    if job is not None:
        webhooks.job_finished(job)


def _fail(
    job_id: int,
    worker: str,
    message: str,
    detail: str | None = None,
    kind: FailureKind = FailureKind.ERROR,
) -> None:
    jobs.add_event(job_id, "error", message if detail is None else f"{message}\n{detail}")
    _end_run(job_id, RunStatus.FAILED, message)
    if _has_clips(job_id):
        step = "re-analysis failed: the earlier clips are kept"
        _finish(lambda: jobs.abandon_reanalysis(job_id, worker, step=step))
    else:
        _ended(_finish(lambda: jobs.fail_job(job_id, worker, message, kind=kind)))


def _run_stage(job: Job, stage: Stage, worker: str, monitor: JobMonitor) -> Job:
    job = jobs.advance_job(job.id, worker, step=f"{stage} started")
    publish(job)
    jobs.add_event(job.id, "info", f"{stage} started")
    monitor.stage_reporter = JobReporter(job, worker, stage)
    reporter = monitor.stage_reporter.reporter()
    started = time.monotonic()
    fields = STAGE_RUNNERS[stage](job, reporter)
    seconds = time.monotonic() - started
    monitor.stage_reporter.flush(force=True)
    monitor.stage_reporter = None
    if fields:
        jobs.update_job(job.id, **fields)
    job = jobs.record_stage(job.id, stage, round(seconds, 2))
    jobs.add_event(job.id, "info", f"{stage} finished in {seconds:.1f} s")
    log.info(
        "job %s: %s finished in %.2f s",
        job.id,
        stage,
        seconds,
        extra={"job_id": job.id, "stage": str(stage), "seconds": round(seconds, 2)},
    )
    return job


def _download(job: Job, reporter: Reporter) -> dict:
    result = stage_download(
        job.source_url,
        reporter,
        allow_local_files=job.upload,
        guard=None if job.upload else guard_for_user_urls(),
    )
    return {
        "media_path": str(result.path),
        "title": job.title or result.title,
        "video_id": result.video_id,
        "uploader": result.uploader,
        "thumbnail_url": result.thumbnail_url,
        "duration": result.duration,
    }


def _transcribe(job: Job, reporter: Reporter) -> dict:
    reporter(0.0, "waiting for a transcription slot")
    with transcription_slots():
        media = recorded(job.media_path, "downloaded video")
        audio, transcript = stage_transcribe(media, reporter, effective_settings())
    path = job_dir(job.id) / "transcript.json"
    write_text_atomic(path, transcript.model_dump_json())
    return {"audio_path": str(audio), "transcript_path": str(path)}


def run_dir(job_id: int, run_id: int) -> Path:
    return job_dir(job_id) / "runs" / str(run_id)


def _analyze(job: Job, reporter: Reporter) -> dict:
    run = runs.begin_run(job.id, job.options)
    started = time.monotonic()
    analysis = stage_analyze(
        load_transcript(job), _audio(job), reporter, job.clip_settings, effective_settings()
    )
    seconds = time.monotonic() - started
    moments = analysis.moments
    write_text_atomic(
        run_dir(job.id, run.id) / "moments.json",
        json.dumps([m.model_dump() for m in moments], indent=1),
    )
    runs.record_analysis(run.id, analysis.analyzer, analysis.notice, seconds)
    runs.note(run.id, f"{analysis.analyzer} analyzer: {len(moments)} moments in {seconds:.2f} s")
    if analysis.notice:
        runs.note(run.id, f"{analysis.notice} ({analysis.reason})")
        jobs.add_event(job.id, "warning", f"{analysis.notice}: {analysis.reason}")
    jobs.add_event(job.id, "info", f"found {len(moments)} moments worth clipping")
    return {}


def _slice(job: Job, reporter: Reporter) -> dict:
    """Render the run's clips, best first, each stored in the run as soon as it is ready (the
    job page shows them while the others render); the run becomes current once all are."""
    run = runs.open_run(job.id)
    if run is None:
        raise PipelineError("This job's analysis was lost: re-analyze it.")
    started = time.monotonic()
    folder = run_dir(job.id, run.id)
    moments = [Moment.model_validate(m) for m in json.loads((folder / "moments.json").read_text())]
    for old in folder.glob("clip-*"):  # a render this run's worker left half done
        old.unlink()
    runs.clear_clips(run.id)
    media = recorded(job.media_path, "downloaded video")
    previous = _rendered_files(job)
    options = job.clip_settings

    def ready(clip: RenderedClip) -> None:
        clip_store.add_run_clip(run.id, clip.index, _clip_row(clip, options))
        publish(jobs.update_job(job.id))

    rendered = stage_slice(
        media, load_transcript(job), moments, folder, reporter, options, previous, on_clip=ready
    )
    reused = sum(1 for c in rendered if c.video.parent != folder)
    clip_store.save_run_clips(run.id, [], time.monotonic() - started)
    runs.note(run.id, f"{len(rendered)} clips: {len(rendered) - reused} rendered, {reused} reused")
    return {}


def _rendered_files(job: Job) -> dict[str, RenderedFiles]:
    """The files of the current run's clips by render key, for a re-analysis to reuse those
    whose range and render settings did not change."""
    if job.current_run_id is None:
        return {}
    files: dict[str, RenderedFiles] = {}
    for clip in clip_store.run_clips(job.current_run_id):
        if clip.render_key and clip.video_path and clip.thumbnail_path and clip.subtitles_path:
            found = (Path(clip.video_path), Path(clip.thumbnail_path), Path(clip.subtitles_path))
            if all(path.is_file() for path in found):
                files[clip.render_key] = found
    return files


def _clip_row(clip: RenderedClip, options: ClipSettings) -> dict:
    m = clip.moment
    return {
        "start": m.start,
        "end": m.end,
        "score": m.score,
        "title": m.title,
        "hook": m.hook,
        "reasoning": m.reasoning,
        "criteria": m.criteria,
        "quote": m.quote,
        "video_path": str(clip.video),
        "thumbnail_path": str(clip.thumbnail),
        "subtitles_path": str(clip.subtitles),
        "render_key": render_key(m.start, m.end, options),
    }


STAGE_RUNNERS: dict[Stage, Callable[[Job, Reporter], dict]] = {
    "download": _download,
    "transcribe": _transcribe,
    "analyze": _analyze,
    "slice": _slice,
}


def recorded(path: str | None, what: str) -> Path:
    """A file that an earlier stage recorded on the job; PipelineError when there is none."""
    if not path:
        raise PipelineError(f"This job has no {what}: retry it.")
    return Path(path)


def load_transcript(job: Job) -> Transcript:
    return Transcript.model_validate_json(recorded(job.transcript_path, "transcript").read_text())


def _audio(job: Job) -> Path | None:
    return Path(job.audio_path) if job.audio_path and Path(job.audio_path).exists() else None


def word_key(start: float) -> str:
    """How a clip's `word_fixes` name a word: its start in the source, to the millisecond."""
    return f"{start:.3f}"


def caption_words(job: Job, clip: Clip) -> list[Word]:
    """The transcript's words within the clip, with the user's fixes of misheard words: what
    its subtitles (and burned-in captions) say."""
    fixes = clip.word_fixes or {}
    words = load_transcript(job).words_between(clip.start, clip.end)
    return [_fixed(w, fixes[word_key(w.start)]) if word_key(w.start) in fixes else w for w in words]


def _fixed(word: Word, text: str) -> Word:
    leading = word.text[: len(word.text) - len(word.text.lstrip())]  # Whisper's " word"
    return word.model_copy(update={"text": leading + text})


def rerender_clip(clip_id: int) -> None:
    """The `render_clip` task: render one clip again (new range or settings) from the job's
    media into new files; the clip points at them once they are complete, so its old file
    keeps playing until then (and stays for any other run that shares it)."""
    clip = clip_store.get_clip(clip_id)
    job = jobs.get_job(clip.job_id) if clip else None
    if clip is None or job is None or not job.media_path:
        return
    try:
        _render_again(clip, job)
    except Exception:
        log.exception("rendering clip %s again failed", clip_id)
        clip_store.update_clip(clip_id, rendering=False, render_progress=None)
        jobs.add_event(job.id, "error", f"clip {clip.rank} could not be rendered again")
    # a change of the job, so pages that poll (embedded) see it too
    publish(jobs.update_job(job.id))
    clean_cache_safely()  # the files it had, unless another run's clip uses them


def clip_options(job: Job, clip: Clip) -> ClipSettings:
    """The settings a clip is rendered with: its job's, with the clip's own render settings."""
    return job.clip_settings.updated(**(clip.render_options or {}))


def _render_again(clip: Clip, job: Job) -> None:
    options = clip_options(job, clip)
    media = recorded(job.media_path, "downloaded video")
    cache.use(media)
    folder = job_dir(job.id) / "edits"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"clip-{clip.id}-{secrets.token_hex(4)}"
    words = caption_words(job, clip)
    video, thumbnail, subtitles = render_clip_files(
        media, words, clip.start, clip.end, folder / name, options, _render_progress(clip, job)
    )
    clip_store.update_clip(
        clip.id,
        video_path=str(video),
        thumbnail_path=str(thumbnail),
        subtitles_path=str(subtitles),
        render_key=render_key(clip.start, clip.end, options),
        rendering=False,
        render_progress=None,
        publish_status=None,
    )


def _render_progress(clip: Clip, job: Job) -> Reporter:
    """A clip render's progress, stored on the clip (0..100) and told to the job's pages through
    the live updates, throttled like a job's."""
    interval = get_settings().progress_interval_seconds
    last_write = [0.0]

    def report(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last_write[0] < interval:
            return
        last_write[0] = now
        clip_store.update_clip(clip.id, render_progress=round(100 * fraction, 1))
        publish(jobs.update_job(job.id))

    return Reporter(report)
