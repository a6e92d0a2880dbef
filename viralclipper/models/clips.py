"""Clips: the rendered moments of a job, and their publishing state."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func, update
from sqlmodel import col, delete, select

from viralclipper.models.db import session
from viralclipper.models.tables import Clip, Job, utcnow

PUBLISH_STATUSES = (None, "uploading", "published", "failed")
ClipOrder = Literal["score", "date"]
_CLIP_FIELDS = set(Clip.model_fields) - {"id", "job_id", "created_at"}
_BEST_FIRST = (col(Clip.score).desc(), col(Clip.created_at).desc(), col(Clip.id))


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - _CLIP_FIELDS)
    if unknown:
        raise ValueError(f"Unknown clip field(s): {', '.join(unknown)}.")
    if fields.get("publish_status") not in PUBLISH_STATUSES:
        raise ValueError(f"Unknown publish status {fields['publish_status']!r}.")


def replace_clips(job_id: int, clips: list[dict[str, Any]]) -> list[Clip]:
    """Replace all clips of a job (a new analysis replaces the old clips) in one transaction.

    Each dict holds Clip fields (start, end, score, title, ... video_path); `rank` defaults to
    the position in the list, starting at 1.
    """
    for clip in clips:
        _check_fields(clip)
    with session() as db:
        db.exec(delete(Clip).where(col(Clip.job_id) == job_id))
        created = utcnow()  # one analysis, one time: date order keeps the ranks together
        rows = [
            Clip(job_id=job_id, created_at=created, **{"rank": index, **clip})
            for index, clip in enumerate(clips, start=1)
        ]
        db.add_all(rows)
        db.flush()
        for row in rows:
            db.refresh(row)
    return rows


def _clip_query(query, job_id: int | None, user_id: int | None, min_score: float | None):
    if job_id is not None:
        query = query.where(Clip.job_id == job_id)
    if user_id is not None:
        query = query.join(Job, col(Job.id) == Clip.job_id).where(Job.user_id == user_id)
    if min_score is not None:
        query = query.where(Clip.score >= min_score)
    return query


def list_clips(
    job_id: int | None = None,
    user_id: int | None = None,
    min_score: float | None = None,
    order: ClipOrder = "score",
    limit: int = 50,
    offset: int = 0,
) -> list[Clip]:
    """Clips across jobs: best first (`order='score'`) or newest first (`order='date'`)."""
    ordering: tuple[Any, ...]
    if order == "score":
        ordering = _BEST_FIRST
    elif order == "date":
        ordering = (col(Clip.created_at).desc(), col(Clip.job_id).desc(), col(Clip.rank))
    else:
        raise ValueError(f"Unknown clip order {order!r}; use 'score' or 'date'.")
    query = _clip_query(select(Clip), job_id, user_id, min_score)
    with session() as db:
        return list(db.exec(query.order_by(*ordering).limit(limit).offset(offset)).all())


def count_clips(
    job_id: int | None = None, user_id: int | None = None, min_score: float | None = None
) -> int:
    query = _clip_query(select(func.count()).select_from(Clip), job_id, user_id, min_score)
    with session() as db:
        return db.exec(query).one()


def clip_counts(job_ids: list[int]) -> dict[int, int]:
    """Number of clips per job, for the given jobs (zero included)."""
    query = (
        select(Clip.job_id, func.count())
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
        select(
            col(Clip.id).label("clip_id"),
            func.row_number()
            .over(partition_by=col(Clip.job_id), order_by=_BEST_FIRST)
            .label("place"),
        )
        .where(col(Clip.job_id).in_(job_ids))
        .subquery()
    )
    query = select(Clip).join(ranked, ranked.c.clip_id == Clip.id).where(ranked.c.place == 1)
    with session() as db:
        return {clip.job_id: clip for clip in db.exec(query).all()}


def get_clip(clip_id: int, user_id: int | None = None) -> Clip | None:
    """The clip; None when it does not exist or (with `user_id`) its job is someone else's."""
    query = _clip_query(select(Clip), None, user_id, None).where(Clip.id == clip_id)
    with session() as db:
        return db.exec(query).first()


def update_clip(clip_id: int, **fields: Any) -> Clip:
    """Change a clip (paths after a re-render, publish_status, youtube_id, publish_error)."""
    _check_fields(fields)
    with session() as db:
        if db.exec(update(Clip).where(col(Clip.id) == clip_id).values(**fields)).rowcount == 0:
            raise LookupError(f"There is no clip with id {clip_id}.")
        return db.get_one(Clip, clip_id, populate_existing=True)
