"""Jobs: the lifecycle (the one place that enforces it), worker claims and heartbeats, events.

Every change of a job's status is one of the moves in `TRANSITIONS`, made by the function named
for it; each says from which statuses it may start, where it leads, and who must hold the job:

    move        from                     to                          held by
    claim       pending                  pending (now claimed)       nobody -> the worker
    advance     pending, running         the first unfinished stage  the worker
                                         (completed after the last)
    fail        running                  failed (with a message)     the worker
    stop        running                  cancelled (on request)      the worker
    cancel      pending                  cancelled                   nobody
    retry       failed, cancelled        pending                     nobody
    reanalyze   completed, failed,       pending, resuming after     nobody
                cancelled (transcribed)  'transcribe'
    abandon     running (a re-analysis)  completed, as before         the worker
    withdraw    pending (a re-analysis)  completed, as before         nobody
    requeue     pending, running         pending                     a stale worker

`create_job` submits a new pending job. Running states: downloading -> transcribing -> analyzing
-> slicing, one per stage of `viralclipper.stages`. A cancel request on a claimed or running job
sets `cancel_requested`, which its worker honours with `stop_job`.

A job that has clips (a current analysis run, models.runs) keeps them: a re-analysis that fails
or is cancelled goes back to `completed` with them (`abandon` by its worker, `withdraw` before a
worker took it), never to failed or cancelled; the run itself records what went wrong.

Every move is a conditional `UPDATE ... WHERE status = <old> AND <holder>`, so when two workers
(or a worker and a user) race only one of them moves the job; the other gets `NotAllowedNow`.
A worker calls `heartbeat` while it runs; `stale_jobs` finds claimed jobs whose heartbeat stopped
and `requeue_stale` puts one back to pending, unless it moved on or beat again meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from sqlalchemy import func, or_, update
from sqlmodel import col, delete, select

from viralclipper.models.db import session
from viralclipper.models.tables import AnalysisRun, Clip, Job, JobEvent, utcnow
from viralclipper.stages import REANALYZE_FROM, STAGES, Stage, has_transcript, stages_after


class JobStatus(StrEnum):
    PENDING = "pending"
    DOWNLOADING = "downloading"
    TRANSCRIBING = "transcribing"
    ANALYZING = "analyzing"
    SLICING = "slicing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = JobStatus
# the status of a job while each stage runs
STAGE_STATUS: dict[Stage, JobStatus] = {
    "download": S.DOWNLOADING,
    "transcribe": S.TRANSCRIBING,
    "analyze": S.ANALYZING,
    "slice": S.SLICING,
}
RUNNING_STATES = frozenset(STAGE_STATUS.values())
FINISHED_STATES = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})
ACTIVE_STATES = RUNNING_STATES | {S.PENDING}
EVENT_LEVELS = ("info", "warning", "error")


class Move(StrEnum):
    CLAIM = "claim"
    ADVANCE = "advance"
    FAIL = "fail"
    STOP = "stop"
    CANCEL = "cancel"
    RETRY = "retry"
    REANALYZE = "reanalyze"
    ABANDON = "abandon"
    WITHDRAW = "withdraw"
    REQUEUE = "requeue"


Holder = Literal["nobody", "the worker", "a stale worker"]


@dataclass(frozen=True)
class Rule:
    sources: frozenset[JobStatus]
    target: JobStatus | None  # None: the status of the job's first unfinished stage
    holder: Holder  # who must hold the job for the move


TRANSITIONS: dict[Move, Rule] = {
    Move.CLAIM: Rule(frozenset({S.PENDING}), S.PENDING, "nobody"),
    Move.ADVANCE: Rule(ACTIVE_STATES, None, "the worker"),
    Move.FAIL: Rule(RUNNING_STATES, S.FAILED, "the worker"),
    Move.STOP: Rule(RUNNING_STATES, S.CANCELLED, "the worker"),
    Move.CANCEL: Rule(frozenset({S.PENDING}), S.CANCELLED, "nobody"),
    Move.RETRY: Rule(frozenset({S.FAILED, S.CANCELLED}), S.PENDING, "nobody"),
    Move.REANALYZE: Rule(FINISHED_STATES, S.PENDING, "nobody"),
    Move.ABANDON: Rule(RUNNING_STATES, S.COMPLETED, "the worker"),
    Move.WITHDRAW: Rule(frozenset({S.PENDING}), S.COMPLETED, "nobody"),
    Move.REQUEUE: Rule(ACTIVE_STATES, S.PENDING, "a stale worker"),
}
_VERBS = {
    Move.CLAIM: "claimed",
    Move.ADVANCE: "moved on",
    Move.FAIL: "failed",
    Move.STOP: "stopped",
    Move.CANCEL: "cancelled",
    Move.RETRY: "retried",
    Move.REANALYZE: "re-analyzed",
    Move.ABANDON: "put back to its earlier clips",
    Move.WITHDRAW: "put back to its earlier clips",
    Move.REQUEUE: "re-queued",
}
_ORDER = [*STAGE_STATUS.values(), S.COMPLETED]  # advance goes one step along this
_PROTECTED_FIELDS = {"id", "user_id", "created_at", "status", "worker_id"}
_MAX_RACE_RETRIES = 5


class JobActionError(Exception):
    """What someone asked of a job cannot be done: the message is a sentence for the user."""


class JobNotFound(JobActionError, LookupError):
    """No such job, or not the user's (both look the same to the user)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"Job {job_id} was not found.")


class NotAllowedNow(JobActionError):
    """The job's state does not allow that move now (or another worker moved it first)."""


class JobState(Protocol):
    status: str
    last_completed_stage: str | None
    worker_id: str | None
    current_run_id: int | None


def next_status(last_completed_stage: str | None) -> JobStatus:
    """Where `advance` leads: the status of the first stage not finished yet (completed when every
    stage is done)."""
    following = stages_after(last_completed_stage)
    return STAGE_STATUS[following[0]] if following else S.COMPLETED


def refusal(job: JobState, move: Move, job_id: int | None = None) -> str | None:
    """Why `move` is not allowed for the job as it is now (None: it is allowed, as far as the
    status and, for moves users make, the claim say). The one statement of each rule, shared by
    the moves below and the pages that offer them."""
    rule = TRANSITIONS[move]
    name = f"Job {job_id}" if job_id is not None else "The job"
    status = JobStatus(job.status)
    if status not in rule.sources:
        allowed = " or ".join(sorted(rule.sources))
        return f"{name} is {status}: only a job that is {allowed} can be {_VERBS[move]}."
    if rule.holder == "nobody" and job.worker_id is not None:
        return f"{name} is still being worked on: wait for it, or cancel it first."
    if move is Move.REANALYZE and not has_transcript(job.last_completed_stage):
        return f"{name} has no transcript yet: retry it instead."
    if move in (Move.ABANDON, Move.WITHDRAW) and job.current_run_id is None:
        return f"{name} has no earlier clips to go back to."
    if move is Move.CANCEL and job.current_run_id is not None:
        return f"{name} has clips from an earlier analysis: its re-analysis is withdrawn instead."
    if move is Move.ADVANCE:
        target = next_status(job.last_completed_stage)
        if status is not S.PENDING and _ORDER.index(target) != _ORDER.index(status) + 1:
            return f"{name} cannot go from {status} to {target}."
    return None


def can_reanalyze(job: JobState) -> bool:
    """Whether a user may ask for the job to be analyzed again: it has a transcript and it is
    finished (so no worker holds it)."""
    return refusal(job, Move.REANALYZE) is None


def can_retry(job: JobState) -> bool:
    return refusal(job, Move.RETRY) is None


@dataclass
class JobFiles:
    """The files a deleted job pointed at, for the caller to remove (media may be a shared
    cache entry: check before deleting it)."""

    media_path: str | None = None
    audio_path: str | None = None
    transcript_path: str | None = None
    clip_files: list[str] = field(default_factory=list)


def create_job(
    user_id: int, source_url: str, options: dict[str, Any] | None = None, *, upload: bool = False
) -> Job:
    """Submit: a new pending job, for a worker to claim. `options` is its ClipSettings snapshot;
    `upload` says the source is a file uploaded to the data dir (the only local files a worker
    may read)."""
    with session() as db:
        job = Job(
            user_id=user_id, source_url=source_url, options=dict(options or {}), upload=upload
        )
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


def get_jobs(job_ids: Iterable[int], user_id: int | None = None) -> dict[int, Job]:
    """The jobs with these ids (with `user_id`: those of that user), by id, in one query."""
    wanted = set(job_ids)
    if not wanted:
        return {}
    query = select(Job).where(col(Job.id).in_(wanted))
    if user_id is not None:
        query = query.where(col(Job.user_id) == user_id)
    with session() as db:
        return {job.id: job for job in db.exec(query).all()}


def _job_filters(
    user_id: int | None, status: JobStatus | str | Iterable[str] | None, search: str | None
) -> list:
    filters = []
    if user_id is not None:
        filters.append(col(Job.user_id) == user_id)
    if isinstance(status, str):
        filters.append(col(Job.status) == JobStatus(status))
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


def _values(
    move: Move,
    old: JobStatus,
    new: JobStatus,
    worker_id: str | None,
    step: str | None,
    error: str | None,
) -> dict[str, Any]:
    """The columns that change with a move, besides those the move's function adds."""
    now = utcnow()
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if move is Move.CLAIM:
        values.update(worker_id=worker_id, heartbeat_at=now, attempts=Job.attempts + 1)
    if step is not None:
        values["current_step"] = step
    if new in FINISHED_STATES or move in (Move.RETRY, Move.REANALYZE, Move.REQUEUE):
        values.update(worker_id=None, heartbeat_at=None)
    values["finished_at"] = now if new in FINISHED_STATES else None
    if new is S.FAILED:
        values["error_message"] = error or "The job failed."
    if new is S.COMPLETED:
        values["progress"] = 100.0
    if old in FINISHED_STATES:  # a retry or a re-analysis starts a fresh run
        values.update(error_message=None, failure_kind=None, cancel_requested=False)
    if move is Move.ADVANCE and old is S.PENDING:
        values["started_at"] = now  # when the current run started
    return values


def _holder_filters(rule: Rule, worker_id: str | None, stale_before: datetime | None) -> list:
    if rule.holder == "nobody":
        return [col(Job.worker_id).is_(None)]
    filters = [col(Job.worker_id) == worker_id]
    if rule.holder == "a stale worker":
        filters.append(or_(col(Job.heartbeat_at).is_(None), col(Job.heartbeat_at) < stale_before))
    return filters


def _move(
    job_id: int,
    move: Move,
    *,
    worker_id: str | None = None,
    step: str | None = None,
    error: str | None = None,
    stale_before: datetime | None = None,
    **extra: Any,
) -> Job:
    """Make `move` by the rules of `TRANSITIONS`, as one conditional UPDATE; JobNotFound or
    NotAllowedNow (with the reason) when it cannot be made. `extra` are more columns to set in
    the same UPDATE."""
    rule = TRANSITIONS[move]
    for _ in range(_MAX_RACE_RETRIES):
        with session() as db:
            job = db.get(Job, job_id)
            if job is None:
                raise JobNotFound(job_id)
            reason = refusal(job, move, job_id)
            if reason:
                raise NotAllowedNow(reason)
            old = JobStatus(job.status)
            new = rule.target or next_status(job.last_completed_stage)
            query = update(Job).where(
                col(Job.id) == job_id,
                col(Job.status) == old,
                *_holder_filters(rule, worker_id, stale_before),
            )
            values = {**_values(move, old, new, worker_id, step, error), **extra}
            if db.exec(query.values(**values)).rowcount:
                return db.get_one(Job, job_id, populate_existing=True)
            current = db.get(Job, job_id, populate_existing=True)
            if current is not None and current.status == old:
                holder = "nobody" if rule.holder == "nobody" else f"worker {worker_id}"
                raise NotAllowedNow(f"Job {job_id} is not held by {holder}.")
        # Someone else moved the job between our read and our update: look again.
    raise NotAllowedNow(f"Job {job_id} kept changing; it could not be {_VERBS[move]}.")


def claim_job(job_id: int, worker_id: str) -> Job | None:
    """Give an unclaimed pending job to `worker_id`; None when another worker has it or it is
    not pending. Sets the heartbeat and counts the attempt."""
    try:
        return _move(job_id, Move.CLAIM, worker_id=worker_id)
    except JobActionError:
        return None


def advance_job(job_id: int, worker_id: str, *, step: str | None = None) -> Job:
    """The worker that holds the job moves it to its first unfinished stage (completed after the
    last): a pending job starts (or resumes), a running one goes on once its stage is recorded."""
    return _move(job_id, Move.ADVANCE, worker_id=worker_id, step=step)


def fail_job(
    job_id: int, worker_id: str, error: str, *, kind: str = "error", step: str = "failed"
) -> Job:
    """The worker gives up on a running job; `error` is the sentence the user reads, `kind`
    what kind of failure it was (pipeline.progress.FailureKind: whether a retry can help)."""
    return _move(job_id, Move.FAIL, worker_id=worker_id, step=step, error=error, failure_kind=kind)


def failed_stage(job: Job) -> Stage | None:
    """The stage a failed job failed in: the first one it had not finished (None unless failed)."""
    if job.status != S.FAILED:
        return None
    remaining = stages_after(job.last_completed_stage)
    return remaining[0] if remaining else None


def stop_job(job_id: int, worker_id: str, *, step: str = "cancelled") -> Job:
    """The worker stops a running job whose cancellation was requested."""
    return _move(job_id, Move.STOP, worker_id=worker_id, step=step)


def request_cancel(job_id: int) -> Job:
    """Cancel a job: an unclaimed pending job becomes `cancelled` at once; a claimed or running
    one gets `cancel_requested`, which its worker sees at the next progress report and honours
    with `stop_job`. Finished jobs are left alone. Returns the job afterwards."""
    try:
        return _move(job_id, Move.CANCEL, step="Cancelled", cancel_requested=True)
    except NotAllowedNow:
        pass  # claimed, running, or a re-analysis of a job with clips
    try:
        return withdraw_reanalysis(job_id)
    except NotAllowedNow:
        pass  # claimed or running: ask its worker
    stoppable = TRANSITIONS[Move.STOP].sources | TRANSITIONS[Move.CANCEL].sources
    with session() as db:
        db.exec(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(list(stoppable)))
            .values(cancel_requested=True, updated_at=utcnow())
        )
        job = db.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(job_id)
    return job


def retry_job(job_id: int, *, step: str = "queued for retry") -> Job:
    """Queue a failed or cancelled job again; it resumes after the last stage it finished."""
    return _move(job_id, Move.RETRY, step=step)


def reanalyze_job(
    job_id: int, options: dict[str, Any], *, step: str = "queued for re-analysis"
) -> Job:
    """Queue a finished job that has its transcript to be analyzed and cut again with `options`
    (the settings snapshot it now runs with); nothing changes when it cannot be."""
    return _move(
        job_id,
        Move.REANALYZE,
        step=step,
        options=dict(options),
        last_completed_stage=REANALYZE_FROM,
    )


def _back_to_current_run(job_id: int) -> dict[str, Any]:
    """The columns that put a job back to its current run: completed, with that run's settings."""
    with session() as db:
        job = db.get(Job, job_id)
        run = db.get(AnalysisRun, job.current_run_id) if job and job.current_run_id else None
    values: dict[str, Any] = {
        "last_completed_stage": STAGES[-1],
        "cancel_requested": False,
        "error_message": None,
    }
    if run is not None:
        values["options"] = dict(run.options)
    return values


def abandon_reanalysis(job_id: int, worker_id: str, *, step: str) -> Job:
    """The worker gives up a re-analysis (it failed, or was cancelled) of a job that has clips:
    the job is completed again, with the clips and settings of its current run."""
    return _move(
        job_id, Move.ABANDON, worker_id=worker_id, step=step, **_back_to_current_run(job_id)
    )


def withdraw_reanalysis(job_id: int, *, step: str = "re-analysis cancelled") -> Job:
    """Cancel a re-analysis no worker has taken yet: the job is completed again, as it was."""
    return _move(job_id, Move.WITHDRAW, step=step, **_back_to_current_run(job_id))


def requeue_stale(
    job_id: int, stale_worker_id: str, older_than_seconds: float, *, step: str | None = None
) -> Job | None:
    """Put a job whose worker stopped beating back to pending and unclaimed, for another worker.
    Nothing happens (None) when the job is no longer held by `stale_worker_id` (it finished, or
    another recoverer re-queued it and a new worker claimed it) or its heartbeat is fresh."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    try:
        return _move(
            job_id, Move.REQUEUE, worker_id=stale_worker_id, step=step, stale_before=cutoff
        )
    except JobActionError:
        return None


def heartbeat(job_id: int, worker_id: str) -> bool:
    """Refresh the heartbeat; False when the worker no longer holds the job (it should stop)."""
    now = utcnow()
    query = update(Job).where(col(Job.id) == job_id, col(Job.worker_id) == worker_id)
    with session() as db:
        return db.exec(query.values(heartbeat_at=now, updated_at=now)).rowcount == 1


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
        db.exec(update(Job).where(col(Job.id) == job_id).values(**values))
        return db.get(Job, job_id, populate_existing=True)


def record_stage(job_id: int, stage: str, seconds: float) -> Job:
    """Mark `stage` finished: sets last_completed_stage and stage_seconds[stage] (so the job can
    `advance` past it)."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}; stages are {', '.join(STAGES)}.")
    with session() as db:
        # Writing first takes the row lock (the write lock on SQLite), so the read-modify-write
        # of the JSON dict below cannot interleave with another writer.
        locked = db.exec(
            update(Job)
            .where(col(Job.id) == job_id)
            .values(last_completed_stage=stage, updated_at=utcnow())
        )
        if locked.rowcount == 0:
            raise JobNotFound(job_id)
        job = db.get_one(Job, job_id, populate_existing=True)
        job.stage_seconds = {**job.stage_seconds, stage: round(float(seconds), 3)}
        db.add(job)
    return job


def update_job(job_id: int, **fields: Any) -> Job:
    """Set metadata, paths, options and the like. The status and the claim change only through
    the moves above."""
    protected = sorted(set(fields) & _PROTECTED_FIELDS)
    unknown = sorted(set(fields) - set(Job.model_fields))
    if protected or unknown:
        raise ValueError(f"update_job cannot set: {', '.join(protected + unknown)}.")
    with session() as db:
        updated = db.exec(
            update(Job).where(col(Job.id) == job_id).values(**fields, updated_at=utcnow())
        )
        if updated.rowcount == 0:
            raise JobNotFound(job_id)
        return db.get_one(Job, job_id, populate_existing=True)


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
        db.exec(delete(Job).where(col(Job.id) == job_id))
    return files
