"""What users do to jobs through `queue.api` follows the lifecycle: a job a worker still runs is
neither retried nor re-analyzed (both used to answer `pending` while the worker carried on)."""

from __future__ import annotations

import pytest

from tests.lifecycle import WORKER, run_to
from tests.queue.conftest import Backend
from viralclipper.models import jobs
from viralclipper.models.jobs import JobNotFound, JobStatus, NotAllowedNow
from viralclipper.models.tables import User
from viralclipper.models.users import create_user
from viralclipper.queue import api

S = JobStatus


def running_job(user: User, status: JobStatus) -> int:
    job = jobs.create_job(user.id, "https://example.com/talk.mp4", {"max_clips": 2})
    run_to(job.id, status)
    return job.id


@pytest.mark.parametrize("status", [S.TRANSCRIBING, S.ANALYZING, S.SLICING])
def test_a_running_job_is_neither_retried_nor_reanalyzed(
    backend: Backend, user: User, status: JobStatus
):
    job_id = running_job(user, status)
    before = jobs.get_job(job_id)
    with pytest.raises(NotAllowedNow, match=f"Job {job_id} is {status}"):
        api.retry_job(job_id, user.id)
    with pytest.raises(NotAllowedNow, match=f"Job {job_id} is {status}"):
        api.reanalyze_job(job_id, user.id)
    after = jobs.get_job(job_id)
    assert after == before  # options and resume point untouched: the worker carries on
    assert (after.worker_id, after.last_completed_stage) == (WORKER, before.last_completed_stage)


def test_a_finished_job_is_retried_or_reanalyzed_once(backend: Backend, user: User):
    failed = running_job(user, S.FAILED)
    assert api.retry_job(failed, user.id).status == S.PENDING
    with pytest.raises(NotAllowedNow, match="is pending"):
        api.retry_job(failed, user.id)  # already queued

    done = running_job(user, S.COMPLETED)
    again = api.reanalyze_job(done, user.id)
    assert (again.status, again.last_completed_stage) == (S.PENDING, "transcribe")
    with pytest.raises(NotAllowedNow, match="is pending"):
        api.reanalyze_job(done, user.id)


def test_another_users_job_is_not_found(backend: Backend, user: User):
    other = create_user("other@example.com", "a long password")
    job_id = running_job(user, S.FAILED)
    for action in (api.retry_job, api.reanalyze_job, api.cancel_job, api.delete_job):
        with pytest.raises(JobNotFound, match=f"Job {job_id} was not found."):
            action(job_id, other.id)
    assert jobs.get_job(job_id).status == S.FAILED
