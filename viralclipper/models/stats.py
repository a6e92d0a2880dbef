"""Read-only figures about the whole instance, for /health and /metrics, and the workers'
heartbeats that feed them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import col, delete, func, select

from viralclipper.models.db import session
from viralclipper.models.tables import Job, WorkerBeat, utcnow

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


def stage_seconds() -> list[dict[str, float]]:
    """Every job's seconds per finished stage."""
    with session() as db:
        return [dict(row or {}) for row in db.exec(select(Job.stage_seconds)).all()]


def count_uploads() -> int:
    with session() as db:
        return db.exec(select(func.count()).select_from(Job).where(col(Job.upload))).one()
