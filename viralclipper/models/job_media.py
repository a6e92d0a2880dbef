"""Which cached media the jobs point at: what the cache cleanup (queue.cleanup) must keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES
from viralclipper.models.tables import Job


@dataclass(frozen=True)
class MediaUse:
    media_path: str | None
    audio_path: str | None
    finished: bool  # False: an unfinished job needs it (pending, or a worker runs it)


def media_uses() -> list[MediaUse]:
    """The media and audio paths of every job that has any."""
    query = select(Job.media_path, Job.audio_path, Job.status).where(
        or_(col(Job.media_path).is_not(None), col(Job.audio_path).is_not(None))
    )
    with session() as db:
        rows = db.exec(query).all()
    return [MediaUse(media, audio, status in FINISHED_STATES) for media, audio, status in rows]


def earliest_running_start() -> datetime | None:
    """When the longest-running current run started (None when no job is running): a running
    job may use cache entries it has not recorded yet, but none it last used before that."""
    query = select(func.min(Job.started_at)).where(col(Job.status).in_(list(RUNNING_STATES)))
    with session() as db:
        return db.exec(query).one()
