"""Clips: replaced per analysis, listed across jobs, owned through their job."""

from __future__ import annotations

import pytest

from tests.models.conftest import add_user
from viralclipper.models import (
    User,
    clip_counts,
    count_clips,
    create_job,
    get_clip,
    list_clips,
    replace_clips,
    update_clip,
)


def moment(score: float, title: str, **extra) -> dict:
    return {
        "start": 10.0,
        "end": 31.5,
        "score": score,
        "title": title,
        "criteria": ["humor", "viral_hooks"],
        "quote": "a line",
        **extra,
    }


def test_replace_clips_ranks_them_and_replaces_the_previous_analysis(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    first = replace_clips(job.id, [moment(90, "best"), moment(70, "second")])
    assert [(clip.rank, clip.title) for clip in first] == [(1, "best"), (2, "second")]
    assert first[0].criteria == ["humor", "viral_hooks"] and first[0].duration == 21.5

    replace_clips(job.id, [moment(60, "only one", video_path="/c/1.mp4")])
    clips = list_clips(job_id=job.id)
    assert [(clip.title, clip.video_path) for clip in clips] == [("only one", "/c/1.mp4")]
    earlier = get_clip(first[0].id)  # kept with its analysis run, no longer shown
    assert earlier is not None and earlier.run_id != clips[0].run_id

    with pytest.raises(ValueError, match="Unknown clip field"):
        replace_clips(job.id, [moment(50, "bad", index=3)])
    assert count_clips(job_id=job.id) == 1  # nothing changed


def test_list_orders_filters_and_ownership(owner: User):
    other = add_user("other@example.com")
    older = create_job(owner.id, "https://example.com/old")
    newer = create_job(owner.id, "https://example.com/new")
    foreign = create_job(other.id, "https://example.com/theirs")
    replace_clips(older.id, [moment(95, "old best"), moment(40, "old weak")])
    replace_clips(newer.id, [moment(70, "new best"), moment(65, "new second")])
    replace_clips(foreign.id, [moment(99, "not yours")])

    by_score = [clip.title for clip in list_clips(user_id=owner.id)]
    assert by_score == ["old best", "new best", "new second", "old weak"]
    by_date = [clip.title for clip in list_clips(user_id=owner.id, order="date")]
    assert by_date == ["new best", "new second", "old best", "old weak"]
    assert [c.title for c in list_clips(user_id=owner.id, min_score=66)] == ["old best", "new best"]
    assert [c.title for c in list_clips(user_id=owner.id, limit=1, offset=1)] == ["new best"]
    assert len(list_clips()) == 5
    assert count_clips(user_id=owner.id, min_score=50) == 3
    assert clip_counts([older.id, newer.id, 9999]) == {older.id: 2, newer.id: 2, 9999: 0}
    with pytest.raises(ValueError, match="order"):
        list_clips(order="random")

    theirs = list_clips(job_id=foreign.id)[0]
    assert get_clip(theirs.id, user_id=owner.id) is None
    assert get_clip(theirs.id, user_id=other.id).title == "not yours"


def test_update_clip_tracks_publishing(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    clip = replace_clips(job.id, [moment(80, "to publish")])[0]
    update_clip(clip.id, publish_status="uploading")
    published = update_clip(clip.id, publish_status="published", youtube_id="abc123")
    assert (published.publish_status, published.youtube_id) == ("published", "abc123")
    with pytest.raises(ValueError, match="publish status"):
        update_clip(clip.id, publish_status="maybe")
    with pytest.raises(LookupError):
        update_clip(9999, title="x")
