"""Clips: the rendered moments of a job's analysis runs, the user's edits, their publishing
state. Listings show the clips of each job's current run that the user has not rejected."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func, update
from sqlmodel import col, select

from viralclipper.models import runs
from viralclipper.models.db import session
from viralclipper.models.tables import AnalysisRun, Clip, Job, YouTubePublication, utcnow

PUBLISH_STATUSES = (None, "uploading", "published", "failed")
ClipOrder = Literal["score", "date"]
Published = Literal["published", "scheduled", "unpublished"]
_CLIP_FIELDS = set(Clip.model_fields) - {"id", "job_id", "run_id", "created_at"}
_BEST_FIRST = (col(Clip.score).desc(), col(Clip.created_at).desc(), col(Clip.id))


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - _CLIP_FIELDS)
    if unknown:
        raise ValueError(f"Unknown clip field(s): {', '.join(unknown)}.")
    if fields.get("publish_status") not in PUBLISH_STATUSES:
        raise ValueError(f"Unknown publish status {fields['publish_status']!r}.")


def save_run_clips(run_id: int, clips: list[dict[str, Any]], seconds: float = 0.0) -> list[Clip]:
    """Store a run's rendered clips (after those `add_run_clip` stored) and make the run its
    job's current one (`runs.complete_run`).

    Each dict holds Clip fields (start, end, score, title, ... video_path); `rank` defaults to
    the position in the list, starting at 1.
    """
    for clip in clips:
        _check_fields(clip)
    return runs.complete_run(run_id, clips, seconds)


def add_run_clip(run_id: int, rank: int, fields: dict[str, Any]) -> Clip:
    """One clip of a run still running, stored as soon as it is rendered (`runs.add_clip`);
    `save_run_clips` completes the run."""
    _check_fields(fields)
    return runs.add_clip(run_id, rank, fields)


def replace_clips(job_id: int, clips: list[dict[str, Any]]) -> list[Clip]:
    """A new completed run of the job with these clips (with the job's settings), now current."""
    for clip in clips:
        _check_fields(clip)
    return save_run_clips(runs.begin_run(job_id).id, clips)


def _shown(query):
    """Only the clips of each job's current run that the user kept."""
    return query.join(Job, col(Job.id) == Clip.job_id).where(
        col(Clip.run_id) == Job.current_run_id, col(Clip.rejected).is_(False)
    )


def _clip_query(
    query,
    job_id: int | None,
    user_id: int | None,
    min_score: float | None,
    favourites: bool = False,
    published: Published | None = None,
):
    query = _shown(query)
    if favourites:
        query = query.where(col(Clip.favourite).is_(True))
    if published is not None:
        query = query.where(_published(published))
    if job_id is not None:
        query = query.where(Clip.job_id == job_id)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    if min_score is not None:
        query = query.where(Clip.score >= min_score)
    return query


def _published(which: Published) -> Any:
    """Clips with a publication on YouTube ("published": live, "scheduled": waiting for its
    time), or with none ("unpublished")."""
    done = select(YouTubePublication.id).where(
        YouTubePublication.clip_id == Clip.id, YouTubePublication.status == "published"
    )
    if which == "unpublished":
        return ~done.exists()
    later = col(YouTubePublication.publish_at) > utcnow()
    if which == "scheduled":
        return done.where(later).exists()
    if which == "published":
        return done.where(~later | col(YouTubePublication.publish_at).is_(None)).exists()
    raise ValueError(f"Unknown publish filter {which!r}.")


def list_clips(
    job_id: int | None = None,
    user_id: int | None = None,
    min_score: float | None = None,
    order: ClipOrder = "score",
    limit: int = 50,
    offset: int = 0,
    favourites: bool = False,
    published: Published | None = None,
) -> list[Clip]:
    """Clips across jobs: best first (`order='score'`) or newest first (`order='date'`);
    `favourites`: only those the user marked."""
    ordering: tuple[Any, ...]
    if order == "score":
        ordering = _BEST_FIRST
    elif order == "date":
        ordering = (col(Clip.created_at).desc(), col(Clip.job_id).desc(), col(Clip.rank))
    else:
        raise ValueError(f"Unknown clip order {order!r}; use 'score' or 'date'.")
    query = _clip_query(select(Clip), job_id, user_id, min_score, favourites, published)
    with session() as db:
        return list(db.exec(query.order_by(*ordering).limit(limit).offset(offset)).all())


def count_clips(
    job_id: int | None = None,
    user_id: int | None = None,
    min_score: float | None = None,
    favourites: bool = False,
    published: Published | None = None,
) -> int:
    query = _clip_query(
        select(func.count()).select_from(Clip), job_id, user_id, min_score, favourites, published
    )
    with session() as db:
        return db.exec(query).one()


def clip_counts(job_ids: list[int]) -> dict[int, int]:
    """Number of clips per job, for the given jobs (zero included)."""
    query = (
        _shown(select(Clip.job_id, func.count()))
        .where(col(Clip.job_id).in_(job_ids))
        .group_by(col(Clip.job_id))
    )
    with session() as db:
        counts = dict(db.exec(query).all())
    return {job_id: counts.get(job_id, 0) for job_id in job_ids}


def first_clips(job_ids: list[int]) -> dict[int, Clip]:
    """The first clip (best first, as `list_clips` orders them) of each of the given jobs that
    has clips, in one query."""
    ranked = (
        _shown(
            select(
                col(Clip.id).label("clip_id"),
                func.row_number()
                .over(partition_by=col(Clip.job_id), order_by=_BEST_FIRST)
                .label("place"),
            )
        )
        .where(col(Clip.job_id).in_(job_ids))
        .subquery()
    )
    query = select(Clip).join(ranked, ranked.c.clip_id == Clip.id).where(ranked.c.place == 1)
    with session() as db:
        return {clip.job_id: clip for clip in db.exec(query).all()}


def get_clip(clip_id: int, user_id: int | None = None) -> Clip | None:
    """The clip (of any run); None when it does not exist or (with `user_id`) its job is someone
    else's."""
    query = select(Clip).where(Clip.id == clip_id)
    if user_id is not None:
        query = query.join(Job, col(Job.id) == Clip.job_id).where(Job.user_id == user_id)
    with session() as db:
        return db.exec(query).first()


def update_clip(clip_id: int, **fields: Any) -> Clip:
    """Change a clip (paths after a re-render, publish_status, youtube_id, publish_error)."""
    _check_fields(fields)
    with session() as db:
        if db.exec(update(Clip).where(col(Clip.id) == clip_id).values(**fields)).rowcount == 0:
            raise LookupError(f"There is no clip with id {clip_id}.")
        return db.get_one(Clip, clip_id, populate_existing=True)


def render_states(clip_ids: list[int]) -> dict[int, tuple[bool, float | None]]:
    """Whether each clip is being rendered, and how far (0..100), in one query."""
    query = select(Clip.id, Clip.rendering, Clip.render_progress).where(col(Clip.id).in_(clip_ids))
    with session() as db:
        return {clip_id: (rendering, progress) for clip_id, rendering, progress in db.exec(query)}


def run_clips(run_id: int) -> list[Clip]:
    """Every clip of one run (rejected ones too), by rank."""
    query = select(Clip).where(col(Clip.run_id) == run_id).order_by(col(Clip.rank))
    with session() as db:
        return list(db.exec(query).all())


EDITABLE = ("start", "end", "title", "hook", "word_fixes", "render_options")
# the analysis's files, kept with its version: undo shows them again without a render
RENDERED = ("video_path", "thumbnail_path", "subtitles_path", "render_key")


def edit_clip(clip_id: int, **changes: Any) -> Clip:
    """The user's change of a clip's range, title, hook or caption words. The analysis's
    version is kept at the first edit, for `undo_edits`."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"A clip's {', '.join(unknown)} cannot be edited.")
    with session() as db:
        clip = db.get(Clip, clip_id)
        if clip is None:
            raise LookupError(f"There is no clip with id {clip_id}.")
        if not clip.edited:
            clip.original = {name: getattr(clip, name) for name in (*EDITABLE, *RENDERED)}
        for name, value in changes.items():
            setattr(clip, name, value)
        clip.edited = True
        db.add(clip)
        db.flush()
        db.refresh(clip)
    return clip


def undo_edits(clip_id: int) -> Clip:
    """Back to the analysis's version of the clip (its range, title, hook, caption words, render
    settings, and the files it had then)."""
    with session() as db:
        clip = db.get(Clip, clip_id)
        if clip is None:
            raise LookupError(f"There is no clip with id {clip_id}.")
        for name, value in (clip.original or {}).items():
            setattr(clip, name, value)
        clip.edited, clip.original = False, None
        db.add(clip)
        db.flush()
        db.refresh(clip)
    return clip


def add_clip(run_id: int, **fields: Any) -> Clip:
    """A clip the user made, added to a run after its others (by rank)."""
    _check_fields(fields)
    with session() as db:
        run = db.get(AnalysisRun, run_id)
        if run is None:
            raise LookupError(f"There is no analysis run with id {run_id}.")
        last = db.exec(select(func.max(Clip.rank)).where(col(Clip.run_id) == run_id)).one()
        clip = Clip(job_id=run.job_id, run_id=run_id, **{"rank": (last or 0) + 1, **fields})
        db.add(clip)
        db.flush()
        db.refresh(clip)
    return clip
