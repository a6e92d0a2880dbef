"""first_clips: the thumbnail clip of many jobs in one query."""

from __future__ import annotations

from viralclipper.models import User, create_job, list_clips, replace_clips
from viralclipper.models.clips import first_clips


def moment(score: float, title: str) -> dict:
    return {"start": 1.0, "end": 20.0, "score": score, "title": title, "criteria": []}


def test_first_clips_picks_each_jobs_best_clip_like_list_clips(owner: User):
    one = create_job(owner.id, "https://example.com/one")
    two = create_job(owner.id, "https://example.com/two")
    empty = create_job(owner.id, "https://example.com/empty")
    replace_clips(one.id, [moment(40, "one weak"), moment(80, "one best"), moment(60, "one mid")])
    replace_clips(two.id, [moment(55, "two tie a"), moment(55, "two tie b")])

    found = first_clips([one.id, two.id, empty.id])

    assert set(found) == {one.id, two.id}
    for job in (one, two):
        assert found[job.id].id == list_clips(job_id=job.id, limit=1)[0].id
    assert found[one.id].title == "one best"
    assert first_clips([empty.id]) == {}
