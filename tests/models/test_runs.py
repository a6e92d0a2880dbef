"""Analysis runs in the database: a re-analysis never costs a job its clips; the user's edits,
favourites and rejections of clips."""

from __future__ import annotations

import pytest

from tests.lifecycle import WORKER, run_to
from viralclipper.models import User, clips, jobs, runs
from viralclipper.models.jobs import JobStatus, NotAllowedNow


def clip(title: str, score: float = 50.0, **extra) -> dict:
    return {"start": 10.0, "end": 30.0, "score": score, "title": title, "criteria": [], **extra}


def completed_with_clips(owner: User) -> int:
    job = jobs.create_job(owner.id, "https://example.com/v", {"max_clips": 3})
    run_to(job.id, JobStatus.COMPLETED)
    clips.replace_clips(job.id, [clip("first", 80), clip("second", 60)])
    return job.id


def test_a_reanalysis_cancelled_before_it_started_leaves_the_job_as_it_was(owner: User):
    job_id = completed_with_clips(owner)
    jobs.reanalyze_job(job_id, {"max_clips": 1})
    job = jobs.request_cancel(job_id)
    assert (job.status, job.last_completed_stage, job.options) == (
        JobStatus.COMPLETED,
        "slice",
        {"max_clips": 3},
    )
    assert [c.title for c in clips.list_clips(job_id=job_id)] == ["first", "second"]


def test_a_reanalysis_its_worker_gives_up_goes_back_to_the_earlier_clips(owner: User):
    job_id = completed_with_clips(owner)
    jobs.reanalyze_job(job_id, {"max_clips": 1})
    jobs.claim_job(job_id, WORKER)
    jobs.advance_job(job_id, WORKER)
    run = runs.begin_run(job_id)
    runs.end_run(run.id, runs.RunStatus.FAILED, "The LLM said no.")
    job = jobs.abandon_reanalysis(job_id, WORKER, step="re-analysis failed")
    assert (job.status, job.worker_id, job.error_message) == (JobStatus.COMPLETED, None, None)
    assert job.options == {"max_clips": 3}
    assert [r.run.status for r in runs.list_runs(job_id)] == ["failed", "completed"]
    assert [c.title for c in clips.list_clips(job_id=job_id)] == ["first", "second"]


def test_a_first_analysis_cannot_be_abandoned(owner: User):
    job = jobs.create_job(owner.id, "https://example.com/v")
    run_to(job.id, JobStatus.ANALYZING)
    with pytest.raises(NotAllowedNow, match="no earlier clips"):
        jobs.abandon_reanalysis(job.id, WORKER, step="x")


def test_runs_are_listed_newest_first_and_an_earlier_one_can_be_shown_again(owner: User):
    job_id = completed_with_clips(owner)
    clips.replace_clips(job_id, [clip("only", 70)])
    second, first = runs.list_runs(job_id)
    assert (second.run.number, second.clip_count, second.best_score, second.current) == (
        2,
        1,
        70,
        True,
    )
    assert (first.clip_count, first.best_score, first.current) == (2, 80, False)
    runs.make_current(job_id, first.run.id)
    assert [c.title for c in clips.list_clips(job_id=job_id)] == ["first", "second"]
    other = completed_with_clips(owner)
    with pytest.raises(LookupError):
        runs.make_current(other, first.run.id)


def test_edits_are_undone_to_the_analysis_version(owner: User):
    job_id = completed_with_clips(owner)
    best = clips.list_clips(job_id=job_id)[0]
    clips.edit_clip(best.id, start=8.0, title="Mine")
    edited = clips.edit_clip(best.id, end=40.0)
    assert (edited.start, edited.end, edited.title, edited.edited) == (8.0, 40.0, "Mine", True)
    assert runs.edited_clip_count(job_id) == 1
    undone = clips.undo_edits(best.id)
    assert (undone.start, undone.end, undone.title, undone.edited) == (10.0, 30.0, "first", False)
    assert runs.edited_clip_count(job_id) == 0
    with pytest.raises(ValueError, match="score"):
        clips.edit_clip(best.id, score=100)


def test_favourites_filter_and_rejected_clips_are_hidden(owner: User):
    job_id = completed_with_clips(owner)
    best, second = clips.list_clips(job_id=job_id)
    clips.update_clip(second.id, favourite=True)
    assert [c.title for c in clips.list_clips(user_id=owner.id, favourites=True)] == ["second"]
    clips.update_clip(best.id, rejected=True)
    assert [c.title for c in clips.list_clips(job_id=job_id)] == ["second"]
    assert clips.count_clips(job_id=job_id) == 1 and clips.clip_counts([job_id]) == {job_id: 1}
