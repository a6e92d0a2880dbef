"""What the CLI, the web UI and the REST API do to jobs and clips: submit, cancel, retry,
re-analyze, delete; list and switch analysis runs; edit, undo, favourite and reject clips."""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from viralclipper.config import CLIP_RENDER_SETTINGS, SettingsError, SubmitOptions, get_settings
from viralclipper.models import clips as clip_store
from viralclipper.models import jobs, runs
from viralclipper.models.jobs import (
    FINISHED_STATES,
    RUNNING_STATES,
    JobActionError,
    JobNotFound,
    JobStatus,
    NotAllowedNow,
)
from viralclipper.models.runs import RunStatus, RunSummary
from viralclipper.models.settings import get_user_settings
from viralclipper.models.tables import AnalysisRun, Clip, Job
from viralclipper.pipeline.criteria import Criterion, load_criteria
from viralclipper.pipeline.download import check_source
from viralclipper.pipeline.export import ExportClip, title_file_name, write_export
from viralclipper.pipeline.media import ALLOWED_CONTAINERS, UPLOAD_EXTENSIONS, check_media_file
from viralclipper.pipeline.netguard import guard_for_user_urls
from viralclipper.pipeline.progress import (  # PipelineError: what submit_job raises
    FailureKind,
    PipelineError,  # noqa: F401
)
from viralclipper.pipeline.transcript import Transcript
from viralclipper.pipeline.transcript_text import as_srt, as_text, as_vtt, srt_to_vtt
from viralclipper.queue.app import get_queue
from viralclipper.queue.backend import get_backend
from viralclipper.queue.cleanup import clean_cache_safely
from viralclipper.queue.events import publish
from viralclipper.queue.runner import job_dir, rerender_clip, word_key

log = logging.getLogger(__name__)


def options_for_user(user_id: int, options: SubmitOptions | None = None) -> dict:
    """A snapshot of the user's clip settings with a submit's own `options` over them, which the
    job keeps (until it is re-analyzed); SettingsError for options that do not fit together."""
    settings = get_user_settings(user_id)
    return (options.over(settings) if options else settings).model_dump(mode="json")


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


def submit_job(
    user_id: int,
    source: str,
    *,
    upload: bool = False,
    title: str | None = None,
    options: SubmitOptions | None = None,
) -> Job:
    """Validate the source (PipelineError with a clear sentence if bad) and the submit's own
    options (SettingsError), and queue a new job."""
    snapshot = options_for_user(user_id, options)
    if upload:
        source = source.strip()
        check_media_file(Path(source))
    else:
        source = check_source(source, guard_for_user_urls())
    job = jobs.create_job(user_id, source, snapshot, upload=upload)
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


# Why running a job again cannot help, for each kind of failure that ends the same way each time.
RETRY_REFUSALS: dict[FailureKind, str] = {
    FailureKind.SOURCE_GONE: "Retrying cannot help: the video is no longer at that address. "
    "Check the link, or submit another one.",
    FailureKind.PRIVATE: "Retrying cannot help: this video cannot be fetched from here "
    "(it is private, or on an address this server may not reach).",
    FailureKind.UNSUPPORTED: "Retrying cannot help: this is not a video or audio file this app "
    "can read. Submit another link or file.",
    FailureKind.TOO_LONG: "Retrying cannot help: this video is over this server's length or "
    "size limit.",
}


def retry_refusal(job: Job) -> str | None:
    """Why retrying this job cannot help, in one sentence; None when a retry may work."""
    if job.status != JobStatus.FAILED or not job.failure_kind:
        return None
    try:
        return RETRY_REFUSALS.get(FailureKind(job.failure_kind))
    except ValueError:  # a kind this version does not know
        return None


def can_retry(job: Job) -> bool:
    """Whether a page offers Retry: the job's state allows it, and it can help."""
    return jobs.can_retry(job) and retry_refusal(job) is None


def retry_job(job_id: int, user_id: int | None = None) -> Job:
    """Queue a failed or cancelled job again; it resumes after the last stage it finished.
    NotAllowedNow for any other job (one a worker still runs above all), and for a failure
    that would only repeat itself (see `retry_refusal`)."""
    refusal = retry_refusal(_owned(job_id, user_id))
    if refusal:
        raise NotAllowedNow(refusal)
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


def upload_formats() -> list[str]:
    """What users call the containers an upload may be in (pipeline/media.py's allowlist)."""
    return list(ALLOWED_CONTAINERS.values())


def upload_extensions() -> tuple[str, ...]:
    """The file names of those containers, for a file picker to offer."""
    return UPLOAD_EXTENSIONS


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


TranscriptLine = tuple[float, float, str]  # start, end, text of one sentence


def transcript_lines(job: Job) -> list[TranscriptLine]:
    """The job's transcript, one sentence a line; empty when there is none (yet). Whisper's
    batched segments run about 30 s, too long to read or to seek by. Read once per version of
    the file: parsing a 2-hour transcript takes 0.15 s, and every job page load asks for it."""
    path = Path(job.transcript_path) if job.transcript_path else None
    try:
        stat = path.stat() if path else None
    except OSError:
        stat = None
    if path is None or stat is None:
        return []
    return list(_lines_of(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _lines_of(path: str, mtime_ns: int, size: int) -> tuple[TranscriptLine, ...]:
    try:
        transcript = Transcript.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple((s.start, s.end, s.text) for s in transcript.sentences)


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


def list_runs(job_id: int, user_id: int | None = None) -> list[RunSummary]:
    """The job's analysis runs, newest first."""
    _owned(job_id, user_id)
    return runs.list_runs(job_id)


def edited_clip_count(job_id: int, user_id: int | None = None) -> int:
    """How many of the job's current clips the user edited: a re-analysis would replace them,
    so the page asks first when this is not 0."""
    _owned(job_id, user_id)
    return runs.edited_clip_count(job_id)


def switch_run(job_id: int, run_id: int, user_id: int | None = None) -> AnalysisRun:
    """Show an earlier completed run's clips again (not while the job runs)."""
    job = _owned(job_id, user_id)
    if job.status not in FINISHED_STATES:
        raise NotAllowedNow(f"Job {job_id} is {job.status}: wait for it to finish.")
    try:
        run = runs.make_current(job_id, run_id)
    except LookupError as error:
        raise NotAllowedNow(str(error)) from None
    jobs.update_job(job_id, options=dict(run.options))  # clip renders use the run's settings
    jobs.add_event(job_id, "info", f"showing analysis {run.number} again")
    publish(jobs.get_job(job_id) or job)
    return run


SAME_RANGE_SECONDS = 0.05  # two runs' clips this close at both ends are the same clip


@dataclass(frozen=True)
class RunComparison:
    """Two runs of a job side by side: each one's kept clips by rank, and which are the same
    clip (the same range) in both; the others are new (only in `later`) or dropped (only in
    `earlier`)."""

    earlier: AnalysisRun
    later: AnalysisRun
    earlier_clips: list[Clip]
    later_clips: list[Clip]
    same: set[int]  # ids of the clips, in either run, whose range the other run has too

    def change(self, clip: Clip) -> Literal["same", "new", "dropped"]:
        if clip.id in self.same:
            return "same"
        return "new" if clip.run_id == self.later.id else "dropped"


def compare_runs(
    job_id: int, run_id: int, other_id: int, user_id: int | None = None
) -> RunComparison:
    """Compare two completed runs of the job (the older one first, whichever order they come
    in). NotAllowedNow when either is not a completed run of this job."""
    _owned(job_id, user_id)
    if run_id == other_id:
        raise NotAllowedNow("Pick another analysis to compare with.")
    found = [runs.get_run(run_id), runs.get_run(other_id)]
    if any(r is None or r.job_id != job_id or r.status != RunStatus.COMPLETED for r in found):
        raise NotAllowedNow("Only this job's completed analyses can be compared.")
    earlier, later = sorted((r for r in found if r is not None), key=lambda r: r.number)
    kept = {r.id: [c for c in clip_store.run_clips(r.id) if not c.rejected] for r in found if r}
    same = {
        clip.id
        for a, b in ((earlier.id, later.id), (later.id, earlier.id))
        for clip in kept[a]
        if any(_same_range(clip, other) for other in kept[b])
    }
    return RunComparison(earlier, later, kept[earlier.id], kept[later.id], same)


def _same_range(a: Clip, b: Clip) -> bool:
    return abs(a.start - b.start) <= SAME_RANGE_SECONDS and abs(a.end - b.end) <= SAME_RANGE_SECONDS


class ClipNotFound(JobActionError, LookupError):
    def __init__(self, clip_id: int) -> None:
        super().__init__(f"Clip {clip_id} was not found.")


MIN_CLIP_SECONDS = 1.0
NUDGE_SECONDS = 0.5
Edge = Literal["start", "end"]
Step = Literal["word", "half_second"]


def _owned_clip(clip_id: int, user_id: int | None) -> tuple[Clip, Job]:
    clip = clip_store.get_clip(clip_id, user_id=user_id)
    job = jobs.get_job(clip.job_id) if clip else None
    if clip is None or job is None:
        raise ClipNotFound(clip_id)
    return clip, job


def _source_length(job: Job) -> float | None:
    transcript = load_transcript(job)
    return job.duration or (transcript.duration if transcript else None)


def _render_again(clip: Clip, job: Job, *, in_background: bool = True) -> Clip:
    """Queue the clip's render (or, not `in_background`, render it now); it keeps its old files
    until the new ones are complete."""
    clip = clip_store.update_clip(clip.id, rendering=True, render_progress=0.0)
    publish(job)
    if not in_background:
        rerender_clip(clip.id)
        return clip_store.get_clip(clip.id) or clip
    try:
        get_queue().render_clip(clip.id)
    except get_backend().queue_errors as exc:
        clip_store.update_clip(clip.id, rendering=False)
        raise NotAllowedNow("The queue cannot be reached now: try again in a moment.") from exc
    return clip


def _check_range(job: Job, start: float, end: float) -> None:
    """NotAllowedNow unless start..end lies within the video and lasts long enough."""
    length = _source_length(job)
    if start < 0 or (length is not None and end > length + 0.05):
        raise NotAllowedNow(f"A clip must lie within the video (0 to {length or 0:.1f} s).")
    if end - start < MIN_CLIP_SECONDS:
        raise NotAllowedNow(f"A clip must last at least {MIN_CLIP_SECONDS:g} s.")


NEW_CLIP_TITLE_WORDS = 8


def add_clip(
    job_id: int,
    start: float,
    end: float,
    user_id: int | None = None,
    *,
    title: str | None = None,
    in_background: bool = True,
) -> Clip:
    """A new clip of the job's current analysis from a range the user chose (on the
    transcript), rendered as a queued task. Its title defaults to the range's first words."""
    job = _owned(job_id, user_id)
    if job.status not in FINISHED_STATES or job.current_run_id is None:
        raise NotAllowedNow(f"Job {job_id} has no finished analysis to add a clip to.")
    start, end = round(float(start), 3), round(float(end), 3)
    _check_range(job, start, end)
    transcript = load_transcript(job)
    words = transcript.words_between(start, end) if transcript else []
    spoken = " ".join("".join(w.text for w in words).split())
    title = " ".join((title or "").split()) or " ".join(spoken.split()[:NEW_CLIP_TITLE_WORDS])
    clip = clip_store.add_clip(
        job.current_run_id,
        start=start,
        end=end,
        score=0.0,
        title=title or "New clip",
        quote=spoken or None,
        criteria=[],
        edited=True,
    )
    jobs.add_event(job_id, "info", f"new clip {start:.1f}-{end:.1f} s")
    return _render_again(clip, job, in_background=in_background)


def edit_clip(
    clip_id: int,
    user_id: int | None = None,
    *,
    start: float | None = None,
    end: float | None = None,
    title: str | None = None,
    hook: str | None = None,
    in_background: bool = True,
) -> Clip:
    """Change a clip's range (anywhere in the source), title or hook; a new range is rendered
    again as a queued task (not `in_background`: at once, as the CLI does). NotAllowedNow with
    the reason when the change is not possible."""
    clip, job = _owned_clip(clip_id, user_id)
    new_start = clip.start if start is None else round(float(start), 3)
    new_end = clip.end if end is None else round(float(end), 3)
    _check_range(job, new_start, new_end)
    changes: dict = {}
    if (new_start, new_end) != (clip.start, clip.end):
        changes.update(start=new_start, end=new_end)
    if title is not None:
        if not title.strip():
            raise NotAllowedNow("A clip needs a title.")
        changes["title"] = title.strip()
    if hook is not None:
        changes["hook"] = hook.strip() or None
    if not changes:
        return clip
    edited = clip_store.edit_clip(clip_id, **changes)
    if "start" in changes:
        return _render_again(edited, job, in_background=in_background)
    publish(job)
    return edited


def nudge_time(
    clip_id: int,
    edge: Edge,
    current: float,
    direction: Literal[-1, 1],
    step: Step,
    user_id: int | None = None,
) -> float:
    """Where one end of a clip at `current` moves by one word or by half a second, earlier (-1)
    or later (1); nothing is saved (the editor shows it, `edit_clip` saves it)."""
    _, job = _owned_clip(clip_id, user_id)
    target = current + direction * NUDGE_SECONDS
    transcript = load_transcript(job) if step == "word" else None
    if transcript is not None:
        bounds = sorted({round(w.start if edge == "start" else w.end, 3) for w in transcript.words})
        later = [b for b in bounds if b > current + 0.01]
        earlier = [b for b in bounds if b < current - 0.01]
        beyond = later if direction > 0 else earlier
        if beyond:
            target = beyond[0] if direction > 0 else beyond[-1]
    return max(0.0, round(target, 3))


def nudge_clip(
    clip_id: int, edge: Edge, direction: Literal[-1, 1], step: Step, user_id: int | None = None
) -> Clip:
    """Move one end of a clip by one word or by half a second, and render it again."""
    clip, _ = _owned_clip(clip_id, user_id)
    current = clip.start if edge == "start" else clip.end
    target = nudge_time(clip_id, edge, current, direction, step, user_id)
    if edge == "start":
        return edit_clip(clip_id, user_id, start=target)
    return edit_clip(clip_id, user_id, end=target)


def set_clip_render(
    clip_id: int,
    user_id: int | None = None,
    *,
    in_background: bool = True,
    **settings: str,
) -> Clip:
    """Give one clip its own format, 9:16 layout or caption preset (`CLIP_RENDER_SETTINGS`),
    and render it again; NotAllowedNow with one sentence for an unknown or bad value."""
    clip, job = _owned_clip(clip_id, user_id)
    unknown = sorted(set(settings) - CLIP_RENDER_SETTINGS)
    if unknown:
        raise NotAllowedNow(f"A clip's {', '.join(unknown)} cannot be set on its own.")
    wanted = {**(clip.render_options or {}), **settings}
    try:
        job.clip_settings.updated(**wanted)
    except SettingsError as error:
        raise NotAllowedNow(str(error)) from None
    if wanted == (clip.render_options or {}):
        return clip
    edited = clip_store.edit_clip(clip_id, render_options=wanted)
    return _render_again(edited, job, in_background=in_background)


MAX_WORD_CHARS = 60


def fix_caption_word(
    clip_id: int,
    word_start: float,
    text: str,
    user_id: int | None = None,
    *,
    in_background: bool = True,
) -> Clip:
    """Fix a misheard word of a clip (the word spoken at `word_start` seconds into the source):
    its subtitles (SRT, VTT) and burned-in captions say `text` from the next render on."""
    clip, job = _owned_clip(clip_id, user_id)
    text = " ".join(text.split())
    if not text or len(text) > MAX_WORD_CHARS:
        raise NotAllowedNow(f"A caption word needs 1 to {MAX_WORD_CHARS} characters.")
    transcript = load_transcript(job)
    words = transcript.words_between(clip.start, clip.end) if transcript else []
    if word_key(word_start) not in {word_key(w.start) for w in words}:
        raise NotAllowedNow(f"No word of this clip starts at {word_start:.3f} s.")
    fixes = {**(clip.word_fixes or {}), word_key(word_start): text}
    edited = clip_store.edit_clip(clip_id, word_fixes=fixes)
    return _render_again(edited, job, in_background=in_background)


@dataclass(frozen=True)
class CaptionWord:
    """One word of a clip's captions: what Whisper heard and what the captions say."""

    start: float  # in the source, seconds: how `fix_caption_word` names it
    heard: str
    text: str

    @property
    def fixed(self) -> bool:
        return self.text != self.heard


def caption_words(clip_id: int, user_id: int | None = None) -> list[CaptionWord]:
    """The words of a clip's captions in order, with the user's fixes."""
    clip, job = _owned_clip(clip_id, user_id)
    transcript = load_transcript(job)
    fixes = clip.word_fixes or {}
    words = transcript.words_between(clip.start, clip.end) if transcript else []
    return [
        CaptionWord(w.start, w.text.strip(), fixes.get(word_key(w.start), w.text.strip()))
        for w in words
    ]


def undo_clip_edits(clip_id: int, user_id: int | None = None) -> Clip:
    """Back to the analysis's version of the clip: its files of then when they are still there
    (at once), else rendered again when what its files are made from (range, caption words,
    render settings) changed."""
    clip, job = _owned_clip(clip_id, user_id)
    if not clip.edited:
        return clip
    restored = clip_store.undo_edits(clip_id)
    rendered_from = ("start", "end", "word_fixes", "render_options")
    files_back = restored.video_path != clip.video_path and all(
        path and Path(path).is_file()
        for path in (restored.video_path, restored.thumbnail_path, restored.subtitles_path)
    )
    if not files_back and any(getattr(restored, n) != getattr(clip, n) for n in rendered_from):
        return _render_again(restored, job)
    publish(job)
    return restored


def favourite_clip(clip_id: int, favourite: bool, user_id: int | None = None) -> Clip:
    _owned_clip(clip_id, user_id)
    return clip_store.update_clip(clip_id, favourite=favourite)


def reject_clip(clip_id: int, user_id: int | None = None) -> Clip:
    """Delete a clip from the job's clips (it stays in its run, hidden, with its files)."""
    _, job = _owned_clip(clip_id, user_id)
    clip = clip_store.update_clip(clip_id, rejected=True)
    publish(job)
    return clip


def download_name(title: str, suffix: str) -> str:
    """The file name a download of a clip (or a job's ZIP) gets, from its title."""
    return title_file_name(title, suffix)


def _export_clip(clip: Clip) -> ExportClip:
    def path(value: str | None) -> Path | None:
        return Path(value) if value else None

    details = {
        "start": round(clip.start, 3),
        "end": round(clip.end, 3),
        "duration": round(clip.duration, 3),
        "score": round(clip.score, 1),
        "hook": clip.hook,
        "reasoning": clip.reasoning,
        "criteria": clip.criteria,
        "quote": clip.quote,
        "favourite": clip.favourite,
    }
    return ExportClip(
        clip.title,
        path(clip.video_path),
        path(clip.thumbnail_path),
        path(clip.subtitles_path),
        details,
    )


def export_job(job_id: int, out: Path, user_id: int | None = None) -> Path:
    """Write the ZIP of the job's current clips (each with its subtitles and thumbnail,
    `clips.json`) and its transcript (TXT, SRT, VTT, JSON) to `out`."""
    job = _owned(job_id, user_id)
    shown = clip_store.list_clips(job_id=job_id, order="score", limit=1000)
    return write_export(out, [_export_clip(c) for c in shown], load_transcript(job))


def export_clips(clip_ids: list[int], out: Path, user_id: int | None = None) -> Path:
    """Write a ZIP of the chosen clips (a selection in the gallery), without transcripts."""
    chosen = [clip_store.get_clip(clip_id, user_id=user_id) for clip_id in clip_ids]
    if not all(chosen):
        raise ClipNotFound(clip_ids[[c is None for c in chosen].index(True)])
    return write_export(out, [_export_clip(c) for c in chosen if c is not None], None)
