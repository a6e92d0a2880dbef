"""Analysis runs: each analysis of a job (the first, and every re-analysis) with its settings
snapshot, clips, status, timings and log.

A run starts `running` when the analyze stage begins and ends `completed` (its clips become the
job's current clips, in the same transaction), `failed` or `cancelled` (the clips of the job's
current run stay as they were). The user may make an earlier completed run current again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.tables import AnalysisRun, Clip, Job, utcnow


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


INTERRUPTED = "Its worker stopped before it finished; a later run replaced it."


@dataclass(frozen=True)
class RunSummary:
    """One run as the job page lists it."""

    run: AnalysisRun
    clip_count: int
    best_score: float | None
    edited: int  # clips the user changed
    current: bool


def begin_run(job_id: int, options: dict[str, Any] | None = None) -> AnalysisRun:
    """A new running run of the job with its settings snapshot (default: the job's); a run left
    running by a worker that died is closed as failed first."""
    with session() as db:
        if options is None:
            options = db.get_one(Job, job_id).options
        db.exec(
            update(AnalysisRun)
            .where(col(AnalysisRun.job_id) == job_id, col(AnalysisRun.status) == RunStatus.RUNNING)
            .values(status=RunStatus.FAILED, error_message=INTERRUPTED, finished_at=utcnow())
        )
        last = db.exec(
            select(func.max(AnalysisRun.number)).where(col(AnalysisRun.job_id) == job_id)
        ).one()
        run = AnalysisRun(job_id=job_id, number=(last or 0) + 1, options=dict(options))
        db.add(run)
        db.flush()
        db.refresh(run)
    return run


def open_run(job_id: int) -> AnalysisRun | None:
    """The job's run in progress, if any."""
    query = select(AnalysisRun).where(
        col(AnalysisRun.job_id) == job_id, col(AnalysisRun.status) == RunStatus.RUNNING
    )
    with session() as db:
        return db.exec(query.order_by(col(AnalysisRun.id).desc())).first()


def get_run(run_id: int) -> AnalysisRun | None:
    with session() as db:
        return db.get(AnalysisRun, run_id)


def current_run(job_id: int) -> AnalysisRun | None:
    """The run whose clips the job shows."""
    with session() as db:
        job = db.get(Job, job_id)
        return db.get(AnalysisRun, job.current_run_id) if job and job.current_run_id else None


def note(run_id: int, line: str) -> None:
    """Add a line to the run's log."""
    with session() as db:
        db.exec(
            update(AnalysisRun)
            .where(col(AnalysisRun.id) == run_id)
            .values(log=AnalysisRun.log + f"{line}\n")
        )


def record_analysis(run_id: int, analyzer: str, notice: str | None, seconds: float) -> AnalysisRun:
    """What the analyze stage found out: which analyzer ranked, what the user should know."""
    with session() as db:
        run = db.get_one(AnalysisRun, run_id)
        run.analyzer, run.notice = analyzer, notice
        run.stage_seconds = {**run.stage_seconds, "analyze": round(seconds, 3)}
        db.add(run)
        db.flush()
        db.refresh(run)
    return run


def add_clip(run_id: int, rank: int, fields: dict[str, Any]) -> Clip:
    """One rendered clip of a run still running: stored at once, so the run's view can show it
    while the others render (the job's current clips stay those of its current run)."""
    with session() as db:
        run = db.get_one(AnalysisRun, run_id)
        clip = Clip(job_id=run.job_id, run_id=run_id, rank=rank, **fields)
        db.add(clip)
        db.flush()
        db.refresh(clip)
    return clip


def clear_clips(run_id: int) -> None:
    """Forget the clips a running run stored (its worker stopped mid-way and it starts over)."""
    with session() as db:
        db.exec(delete(Clip).where(col(Clip.run_id) == run_id))


def complete_run(run_id: int, clips: list[dict[str, Any]], seconds: float) -> list[Clip]:
    """The run's clips are rendered: store those not stored yet (`add_clip`) and make the run
    the job's current one, in one transaction (readers see the old clips or the new ones, never
    a mix). `clips` hold Clip fields, checked by `models.clips.save_run_clips`. Returns every
    clip of the run, by rank."""
    with session() as db:
        run = db.get_one(AnalysisRun, run_id)
        created = utcnow()  # one analysis, one time: date order keeps the ranks together
        rows = [
            Clip(job_id=run.job_id, run_id=run_id, created_at=created, **{"rank": i, **clip})
            for i, clip in enumerate(clips, start=1)
        ]
        db.add_all(rows)
        db.exec(update(Clip).where(col(Clip.run_id) == run_id).values(created_at=created))
        run.status, run.finished_at = RunStatus.COMPLETED, created
        run.stage_seconds = {**run.stage_seconds, "slice": round(seconds, 3)}
        db.add(run)
        db.exec(update(Job).where(col(Job.id) == run.job_id).values(current_run_id=run_id))
        db.flush()
        query = select(Clip).where(col(Clip.run_id) == run_id).order_by(col(Clip.rank))
        return list(db.exec(query.execution_options(populate_existing=True)).all())


def end_run(run_id: int, status: RunStatus, error: str | None = None) -> None:
    """A run that did not complete: failed (with the sentence the user reads) or cancelled."""
    with session() as db:
        db.exec(
            update(AnalysisRun)
            .where(col(AnalysisRun.id) == run_id, col(AnalysisRun.status) == RunStatus.RUNNING)
            .values(status=status, error_message=error, finished_at=utcnow())
        )


def list_runs(job_id: int) -> list[RunSummary]:
    """The job's runs, newest first, each with its clip count, best score and edited clips."""
    stats = (
        select(
            col(Clip.run_id),
            func.count(),
            func.max(Clip.score),
            func.sum(case((col(Clip.edited), 1), else_=0)),
        )
        .where(col(Clip.job_id) == job_id, col(Clip.rejected).is_(False))
        .group_by(col(Clip.run_id))
    )
    with session() as db:
        job = db.get(Job, job_id)
        runs = db.exec(
            select(AnalysisRun)
            .where(col(AnalysisRun.job_id) == job_id)
            .order_by(col(AnalysisRun.number).desc())
        ).all()
        by_run = {row[0]: row[1:] for row in db.exec(stats).all()}
    current = job.current_run_id if job else None
    return [
        RunSummary(
            run,
            clip_count=by_run.get(run.id, (0, None, 0))[0],
            best_score=by_run.get(run.id, (0, None, 0))[1],
            edited=int(by_run.get(run.id, (0, None, 0))[2] or 0),
            current=run.id == current,
        )
        for run in runs
    ]


def edited_clip_count(job_id: int) -> int:
    """How many clips of the job's current run the user edited (a re-analysis would replace
    them: the page asks first)."""
    query = (
        select(func.count())
        .select_from(Clip)
        .join(Job, col(Job.id) == Clip.job_id)
        .where(
            col(Clip.job_id) == job_id,
            col(Clip.run_id) == Job.current_run_id,
            col(Clip.edited),
        )
    )
    with session() as db:
        return db.exec(query).one()


def make_current(job_id: int, run_id: int) -> AnalysisRun:
    """Show an earlier completed run's clips again. LookupError when the run is not one of the
    job's completed runs."""
    with session() as db:
        run = db.get(AnalysisRun, run_id)
        if run is None or run.job_id != job_id or run.status != RunStatus.COMPLETED:
            raise LookupError(f"Run {run_id} is not a completed analysis of job {job_id}.")
        db.exec(update(Job).where(col(Job.id) == job_id).values(current_run_id=run_id))
    return run
