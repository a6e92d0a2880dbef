"""Jobs: the lifecycle (the one place that enforces it), worker claims and heartbeats, events.

Lifecycle (`TRANSITIONS`):

    pending -> downloading -> transcribing -> analyzing -> slicing -> completed
    any running state -> failed | cancelled        (failed carries a readable error_message)
    pending -> cancelled                           (cancelled before a worker started it)
    failed | cancelled -> pending                  (retry; resumes after last_completed_stage)
    any running state -> pending                   (crash recovery: re-queue a stale job)
    pending -> the first unfinished stage's state  (resume: analyzing when the job had finished
                                                    'transcribe', completed after 'slice'; only
                                                    this one, so finished work is not redone)
    completed -> analyzing | pending               (re-analyze with the user's current settings:
                                                    directly, or queued with last_completed_stage
                                                    set back to 'transcribe' so it resumes there)

Every change is a conditional `UPDATE ... WHERE status = <old>`, so when two workers race only
one of them moves the job; the other gets `IllegalTransition`.

Workers: `claim_job` atomically gives an unclaimed, unfinished job to one worker (a job stays
claimed until it finishes or is re-queued); the worker calls `heartbeat` while it runs;
`stale_jobs` finds claimed jobs whose heartbeat stopped and `requeue_stale` puts one back to
pending, unless it moved on meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import col, delete, select

from viralclipper.models.db import session
from viralclipper.models.tables import Clip, Job, JobEvent, utcnow


class JobStatus(StrEnum):
    PENDING = "pending"
    DOWNLOADING = "downloading"
    TRANSCRIBING = "transcribing"
    ANALYZING = "analyzing"
    SLICING = "slicing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


RUNNING_STATES = frozenset(
    {JobStatus.DOWNLOADING, JobStatus.TRANSCRIBING, JobStatus.ANALYZING, JobStatus.SLICING}
)
FINISHED_STATES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
STAGES = ("download", "transcribe", "analyze", "slice")
STAGE_STATUS = {
    "download": JobStatus.DOWNLOADING,
    "transcribe": JobStatus.TRANSCRIBING,
    "analyze": JobStatus.ANALYZING,
    "slice": JobStatus.SLICING,
}
EVENT_LEVELS = ("info", "warning", "error")

_ABORT_OR_REQUEUE = {JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.PENDING}
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # and to resume_status(last_completed_stage): downloading for a new job
    JobStatus.PENDING: frozenset({JobStatus.CANCELLED}),
    JobStatus.DOWNLOADING: frozenset({JobStatus.TRANSCRIBING, *_ABORT_OR_REQUEUE}),
    JobStatus.TRANSCRIBING: frozenset({JobStatus.ANALYZING, *_ABORT_OR_REQUEUE}),
    JobStatus.ANALYZING: frozenset({JobStatus.SLICING, *_ABORT_OR_REQUEUE}),
    JobStatus.SLICING: frozenset({JobStatus.COMPLETED, *_ABORT_OR_REQUEUE}),
    JobStatus.COMPLETED: frozenset({JobStatus.ANALYZING, JobStatus.PENDING}),
    JobStatus.FAILED: frozenset({JobStatus.PENDING}),
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING}),
}

# Fields only `transition`/`claim_job` may change, and those nobody changes.
_PROTECTED_FIELDS = {"id", "user_id", "created_at", "status"}
_MAX_RACE_RETRIES = 5


class IllegalTransition(Exception):  # noqa: N818 - the name says what it is
    """A status change the lifecycle does not allow (or another worker moved the job first)."""


def resume_status(last_completed_stage: str | None) -> JobStatus:
    """The state a pending job moves to when a worker picks it up: the status of the first stage
    it has not finished yet (completed when every stage is done)."""
    if last_completed_stage is None:
        return JobStatus.DOWNLOADING
    following = STAGES[STAGES.index(last_completed_stage) + 1 :]
    return STAGE_STATUS[following[0]] if following else JobStatus.COMPLETED


def can_transition(
    old: JobStatus | str, new: JobStatus | str, last_completed_stage: str | None = None
) -> bool:
    old, new = JobStatus(old), JobStatus(new)
    if old is JobStatus.PENDING and new is resume_status(last_completed_stage):
        return True
    return new in TRANSITIONS[old]


@dataclass
class JobFiles:
    """The files a deleted job pointed at, for the caller to remove (media may be a shared
    cache entry: check before deleting it)."""

    media_path: str | None = None
    audio_path: str | None = None
    transcript_path: str | None = None
    clip_files: list[str] = field(default_factory=list)


def create_job(user_id: int, source_url: str, options: dict[str, Any] | None = None) -> Job:
    with session() as db:
        job = Job(user_id=user_id, source_url=source_url, options=dict(options or {}))
        db.add(job)
        db.flush()
        db.refresh(job)
    return job


def get_job(job_id: int, user_id: int | None = None) -> Job | None:
    """The job; None when it does not exist or (with `user_id`) belongs to someone else."""
    with session() as db:
        job = db.get(Job, job_id)
    if job is None or (user_id is not None and job.user_id != user_id):
        return None
    return job


def _job_filters(
    user_id: int | None, status: JobStatus | str | Iterable[str] | None, search: str | None
) -> list:
    filters = []
    if user_id is not None:
        filters.append(Job.user_id == user_id)
    if isinstance(status, str):
        filters.append(Job.status == JobStatus(status))
    elif status is not None:
        filters.append(col(Job.status).in_([JobStatus(s) for s in status]))
    if search and search.strip():
        term = search.strip().lower()
        filters.append(
            or_(
                func.lower(Job.title).contains(term, autoescape=True),
                func.lower(Job.source_url).contains(term, autoescape=True),
            )
        )
    return filters


def list_jobs(
    user_id: int | None = None,
    status: JobStatus | str | Iterable[str] | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Job]:
    """Newest first. `status` is one status or several; `search` matches title or URL."""
    query = (
        select(Job)
        .where(*_job_filters(user_id, status, search))
        .order_by(col(Job.created_at).desc(), col(Job.id).desc())
        .limit(limit)
        .offset(offset)
    )
    with session() as db:
        return list(db.exec(query).all())


def count_jobs(
    user_id: int | None = None,
    status: JobStatus | str | Iterable[str] | None = None,
    search: str | None = None,
) -> int:
    """How many jobs `list_jobs` would return without a limit (for pagination)."""
    query = select(func.count()).select_from(Job).where(*_job_filters(user_id, status, search))
    with session() as db:
        return db.exec(query).one()


def count_jobs_by_status(user_id: int | None = None) -> dict[str, int]:
    """Every status with its number of jobs (zero included)."""
    query = select(Job.status, func.count()).group_by(Job.status)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    with session() as db:
        counts = dict(db.exec(query).all())
    return {status.value: counts.get(status.value, 0) for status in JobStatus}


def _transition_values(
    old: JobStatus, new: JobStatus, step: str | None, error: str | None
) -> dict[str, Any]:
    """The columns that change with a status change, besides the status itself."""
    now = utcnow()
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if step is not None:
        values["current_step"] = step
    if error is not None or new is JobStatus.FAILED:
        values["error_message"] = error or "The job failed."
    if new in FINISHED_STATES:
        values.update(finished_at=now, worker_id=None, heartbeat_at=None)
    if new is JobStatus.COMPLETED:
        values["progress"] = 100.0
    if new is JobStatus.PENDING:
        values.update(finished_at=None, worker_id=None, heartbeat_at=None)
    if old in FINISHED_STATES:  # a retry or a re-analysis starts a fresh run
        values.update(error_message=error, cancel_requested=False, finished_at=None)
    if (
        (old is JobStatus.PENDING and new in RUNNING_STATES)
        or new is JobStatus.ANALYZING
        and old in FINISHED_STATES
    ):
        values["started_at"] = now  # when the current run started
    return values


def transition(
    job_id: int,
    new_status: JobStatus | str,
    *,
    step: str | None = None,
    error: str | None = None,
    worker_id: str | None = None,
) -> Job:
    """Move a job to `new_status`, or raise IllegalTransition (LookupError for no such job).

    With `worker_id`, the move only happens while that worker still holds the job, so a worker
    whose job was re-queued after a missed heartbeat cannot move it any more.
    """
    new = JobStatus(new_status)
    for _ in range(_MAX_RACE_RETRIES):
        with session() as db:
            job = db.get(Job, job_id)
            if job is None:
                raise LookupError(f"There is no job with id {job_id}.")
            old = JobStatus(job.status)
            if not can_transition(old, new, job.last_completed_stage):
                raise IllegalTransition(f"Job {job_id} cannot go from {old} to {new}.")
            if worker_id is not None and job.worker_id != worker_id:
                raise IllegalTransition(f"Job {job_id} is not held by worker {worker_id}.")
            query = update(Job).where(Job.id == job_id, Job.status == old)
            if worker_id is not None:
                query = query.where(Job.worker_id == worker_id)
            moved = db.exec(query.values(**_transition_values(old, new, step, error))).rowcount
            if moved:
                return db.get(Job, job_id, populate_existing=True)
        # Someone else changed the job between our read and our update: look again.
    raise IllegalTransition(f"Job {job_id} kept changing; could not move it to {new}.")


def claim_job(job_id: int, worker_id: str) -> Job | None:
    """Give an unclaimed, unfinished job to `worker_id`; None when another worker has it or it is
    finished. Sets the heartbeat and counts the attempt."""
    now = utcnow()
    query = (
        update(Job)
        .where(
            Job.id == job_id,
            col(Job.worker_id).is_(None),
            col(Job.status).not_in(list(FINISHED_STATES)),
        )
        .values(worker_id=worker_id, heartbeat_at=now, attempts=Job.attempts + 1, updated_at=now)
    )
    with session() as db:
        if db.exec(query).rowcount == 0:
            return None
        return db.get(Job, job_id)


def release_job(job_id: int, worker_id: str) -> bool:
    """Give back a claimed job without changing its status (e.g. a worker shutting down)."""
    return _update_held(job_id, worker_id, worker_id=None, heartbeat_at=None)


def heartbeat(job_id: int, worker_id: str) -> bool:
    """Refresh the heartbeat; False when the worker no longer holds the job (it should stop)."""
    return _update_held(job_id, worker_id, heartbeat_at=utcnow())


def _update_held(job_id: int, worker_id: str, **values: Any) -> bool:
    query = update(Job).where(Job.id == job_id, Job.worker_id == worker_id)
    with session() as db:
        return db.exec(query.values(**values, updated_at=utcnow())).rowcount == 1


def stale_jobs(older_than_seconds: float) -> list[Job]:
    """Claimed, unfinished jobs whose worker has not sent a heartbeat for that long."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = (
        select(Job)
        .where(
            col(Job.worker_id).is_not(None),
            col(Job.status).not_in(list(FINISHED_STATES)),
            or_(col(Job.heartbeat_at).is_(None), col(Job.heartbeat_at) < cutoff),
        )
        .order_by(col(Job.id))
    )
    with session() as db:
        return list(db.exec(query).all())


def forgotten_pending_jobs(older_than_seconds: float) -> list[Job]:
    """Pending, unclaimed jobs whose last change is older than that (their task may be lost)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = select(Job).where(
        Job.status == JobStatus.PENDING,
        col(Job.worker_id).is_(None),
        col(Job.updated_at) < cutoff,
    )
    with session() as db:
        return list(db.exec(query.order_by(col(Job.id))).all())


def requeue_stale(job_id: int, stale_worker_id: str, *, step: str | None = None) -> Job | None:
    """Put a job whose worker stopped back to pending and unclaimed, for another worker.

    Atomic: nothing happens (None) when the job is no longer held by `stale_worker_id` (it
    finished, or another recoverer re-queued it and a new worker claimed it meanwhile).
    """
    values = _transition_values(JobStatus.DOWNLOADING, JobStatus.PENDING, step, None)
    query = update(Job).where(
        Job.id == job_id,
        Job.worker_id == stale_worker_id,
        col(Job.status).not_in(list(FINISHED_STATES)),
    )
    with session() as db:
        if db.exec(query.values(**values)).rowcount == 0:
            return None
        return db.get(Job, job_id, populate_existing=True)


def jobs_updated_since(since: datetime, user_id: int | None = None) -> list[Job]:
    """Jobs changed after `since` (aware UTC), oldest change first: for polling subscribers."""
    query = select(Job).where(col(Job.updated_at) > since)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    with session() as db:
        return list(db.exec(query.order_by(col(Job.updated_at), col(Job.id))).all())


def set_progress(job_id: int, progress: float, step: str | None = None) -> Job | None:
    """Overall progress 0-100 (clamped) and, when given, the current step text; returns the job
    as it is now (None when it is gone)."""
    values: dict[str, Any] = {"progress": min(100.0, max(0.0, progress)), "updated_at": utcnow()}
    if step is not None:
        values["current_step"] = step
    with session() as db:
        db.exec(update(Job).where(Job.id == job_id).values(**values))
        return db.get(Job, job_id, populate_existing=True)


def record_stage(job_id: int, stage: str, seconds: float) -> Job:
    """Mark `stage` finished: sets last_completed_stage and stage_seconds[stage]."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}; stages are {', '.join(STAGES)}.")
    with session() as db:
        # Writing first takes the row lock (the write lock on SQLite), so the read-modify-write
        # of the JSON dict below cannot interleave with another writer.
        locked = db.exec(
            update(Job)
            .where(Job.id == job_id)
            .values(last_completed_stage=stage, updated_at=utcnow())
        )
        if locked.rowcount == 0:
            raise LookupError(f"There is no job with id {job_id}.")
        job = db.get(Job, job_id, populate_existing=True)
        job.stage_seconds = {**job.stage_seconds, stage: round(float(seconds), 3)}
        db.add(job)
    return job


def update_job(job_id: int, **fields: Any) -> Job:
    """Set metadata, paths, options and the like. The status only changes through `transition`."""
    protected = sorted(set(fields) & _PROTECTED_FIELDS)
    unknown = sorted(set(fields) - set(Job.model_fields))
    if protected or unknown:
        raise ValueError(f"update_job cannot set: {', '.join(protected + unknown)}.")
    with session() as db:
        updated = db.exec(update(Job).where(Job.id == job_id).values(**fields, updated_at=utcnow()))
        if updated.rowcount == 0:
            raise LookupError(f"There is no job with id {job_id}.")
        return db.get(Job, job_id, populate_existing=True)


def request_cancel(job_id: int) -> Job | None:
    """Cancel a job: an unclaimed pending job becomes `cancelled` at once; a claimed or running
    one gets `cancel_requested`, which its worker sees at the next progress report. Finished
    jobs are left alone. Returns the job afterwards (None when it does not exist)."""
    with session() as db:
        cancelled_now = db.exec(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status == JobStatus.PENDING,
                col(Job.worker_id).is_(None),
            )
            .values(
                **_transition_values(JobStatus.PENDING, JobStatus.CANCELLED, "Cancelled", None),
                cancel_requested=True,
            )
        ).rowcount
        if not cancelled_now:
            db.exec(
                update(Job)
                .where(Job.id == job_id, col(Job.status).not_in(list(FINISHED_STATES)))
                .values(cancel_requested=True, updated_at=utcnow())
            )
        return db.get(Job, job_id, populate_existing=True)


def is_cancel_requested(job_id: int) -> bool:
    """Cheap check for a worker's `should_cancel()`; True also when the job is gone."""
    with session() as db:
        requested = db.exec(select(Job.cancel_requested).where(Job.id == job_id)).first()
    return requested is None or requested


def add_event(job_id: int, level: str, message: str) -> JobEvent:
    if level not in EVENT_LEVELS:
        raise ValueError(f"Unknown event level {level!r}; levels are {', '.join(EVENT_LEVELS)}.")
    with session() as db:
        event = JobEvent(job_id=job_id, level=level, message=message)
        db.add(event)
        db.flush()
        db.refresh(event)
    return event


def list_events(job_id: int, limit: int | None = None) -> list[JobEvent]:
    """Oldest first (with `limit`: the latest `limit` events, still oldest first)."""
    query = select(JobEvent).where(JobEvent.job_id == job_id)
    if limit is None:
        query = query.order_by(col(JobEvent.id))
    else:
        query = query.order_by(col(JobEvent.id).desc()).limit(limit)
    with session() as db:
        events = list(db.exec(query).all())
    return events if limit is None else events[::-1]


def delete_job(job_id: int) -> JobFiles | None:
    """Delete a job with its events and clips (the database cascades); returns its files."""
    with session() as db:
        job = db.get(Job, job_id)
        if job is None:
            return None
        clips = db.exec(select(Clip).where(Clip.job_id == job_id)).all()
        files = JobFiles(
            media_path=job.media_path,
            audio_path=job.audio_path,
            transcript_path=job.transcript_path,
            clip_files=[
                path
                for clip in clips
                for path in (clip.video_path, clip.thumbnail_path, clip.subtitles_path)
                if path
            ],
        )
        db.exec(delete(Job).where(Job.id == job_id))
    return files
