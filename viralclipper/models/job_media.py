"""Which cached media and clip files the jobs point at: what the cleanup (queue.cleanup) must
keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES
from viralclipper.models.tables import AnalysisRun, Clip, Job


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


# the runs whose clips the user can reach: the one in progress (its clips show as they are
# rendered) and every completed one (an earlier one can be shown again)
_REACHABLE_RUNS = ("running", "completed")
RENDERED_FILES = ("video_path", "thumbnail_path", "subtitles_path")


@dataclass(frozen=True)
class ClipFiles:
    """A finished job's analysis runs that have ended, and the files of its clips that the user
    can still reach (kept clips of its completed runs, and the analysis's files of an edited
    one, which undo shows again), for the cleanup to remove the others."""

    ended_runs: set[int]
    reachable: set[str]


def clip_files() -> dict[int, ClipFiles]:
    """By job, for every finished job with no clip being rendered (a render or an analysis in
    progress writes files it has not recorded yet)."""
    busy = select(Clip.job_id).where(col(Clip.rendering))
    quiet = select(Job.id).where(col(Job.status).in_(list(FINISHED_STATES)), ~col(Job.id).in_(busy))
    runs = select(AnalysisRun.job_id, AnalysisRun.id, AnalysisRun.status).where(
        col(AnalysisRun.job_id).in_(quiet)
    )
    kept = (
        select(Clip)
        .join(AnalysisRun, col(AnalysisRun.id) == Clip.run_id)
        .where(
            col(Clip.job_id).in_(quiet),
            col(Clip.rejected).is_(False),
            col(AnalysisRun.status).in_(_REACHABLE_RUNS),
        )
    )
    with session() as db:
        found = {job_id: ClipFiles(set(), set()) for job_id in db.exec(quiet).all()}
        for job_id, run_id, status in db.exec(runs).all():
            if status != "running":
                found[job_id].ended_runs.add(run_id)
        for clip in db.exec(kept).all():
            now = [getattr(clip, name) for name in RENDERED_FILES]
            before = [(clip.original or {}).get(name) for name in RENDERED_FILES]  # for undo
            found[clip.job_id].reachable.update(p for p in (*now, *before) if p)
    return found
