"""Read-only figures about the whole instance, for /health and /metrics, and the workers'
heartbeats that feed them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, text
from sqlmodel import col, delete, func, select

from viralclipper.models.db import session
from viralclipper.models.tables import Job, WorkerBeat, utcnow
from viralclipper.stages import STAGES

FORGET_WORKERS_AFTER = timedelta(days=1)


def ping_database() -> None:
    """Raises when the database cannot be reached."""
    with session() as db:
        db.exec(text("SELECT 1"))  # type: ignore[call-overload]


def worker_beat(name: str, started_at: datetime) -> None:
    """Note that the worker `name` is alive now (and forget workers silent for a day)."""
    now = utcnow()
    with session() as db:
        beat = db.get(WorkerBeat, name) or WorkerBeat(name=name, started_at=started_at, beat_at=now)
        beat.beat_at = now
        db.add(beat)
        db.exec(delete(WorkerBeat).where(col(WorkerBeat.beat_at) < now - FORGET_WORKERS_AFTER))


def worker_gone(name: str) -> None:
    with session() as db:
        db.exec(delete(WorkerBeat).where(col(WorkerBeat.name) == name))


def live_workers(within: timedelta) -> list[WorkerBeat]:
    """The workers that beat within `within`, latest first."""
    query = (
        select(WorkerBeat)
        .where(col(WorkerBeat.beat_at) >= utcnow() - within)
        .order_by(col(WorkerBeat.beat_at).desc())
    )
    with session() as db:
        return list(db.exec(query).all())


def last_worker_beat() -> datetime | None:
    with session() as db:
        return db.exec(select(func.max(WorkerBeat.beat_at))).one()


@dataclass(frozen=True)
class StageHistogram:
    """How long one stage took, over every job that finished it."""

    at_most: tuple[int, ...]  # how many took at most each bound, in the bounds' order
    count: int
    total_seconds: float


def stage_histograms(bounds: Sequence[float]) -> dict[str, StageHistogram]:
    """Each stage's histogram over `bounds` (seconds), counted by the database in one query:
    a row of a few dozen numbers, whatever the number of jobs."""
    # each job's JSON read once (a materialized CTE), not once per bound: Postgres parses a
    # json value again at every ->>
    took = (
        select(*(col(Job.stage_seconds)[stage].as_float().label(stage) for stage in STAGES))
        .cte("took")
        .prefix_with("MATERIALIZED")
    )
    columns = []
    for stage in STAGES:
        seconds = took.c[stage]  # NULL for a job without the stage
        columns += [func.count(seconds), func.coalesce(func.sum(seconds), 0.0)]
        columns += [func.count(case((seconds <= bound, 1))) for bound in bounds]
    with session() as db:
        row = db.exec(select(*columns)).one()
    per_stage = len(bounds) + 2
    histograms: dict[str, StageHistogram] = {}
    for index, stage in enumerate(STAGES):
        count, total, *at_most = row[index * per_stage : (index + 1) * per_stage]
        histograms[stage] = StageHistogram(tuple(at_most), count, float(total))
    return histograms


def count_uploads() -> int:
    with session() as db:
        return db.exec(select(func.count()).select_from(Job).where(col(Job.upload))).one()
