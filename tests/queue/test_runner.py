"""The runner's progress throttle and resume logic, on the embedded database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.clock import FakeClock
from tests.lifecycle import run_to
from viralclipper.models import jobs, upgrade_database
from viralclipper.models.jobs import JobStatus
from viralclipper.models.users import create_user
from viralclipper.queue.runner import JobReporter, LostClaim, stages_to_run


@pytest.fixture
def claimed_job():
    upgrade_database()
    user = create_user("runner@example.com", "a long password")
    job = jobs.create_job(user.id, "https://example.com/v.mp4", {})
    return run_to(job.id, JobStatus.DOWNLOADING, worker="worker-a")


def test_throttled_progress_keeps_the_latest_report_for_the_next_flush(claimed_job):
    clock = FakeClock()
    reporter = JobReporter(claimed_job, "worker-a", "transcribe", clock=clock)
    reporter.progress(0.1, "first")
    reporter.progress(0.5, "loading the Whisper model")  # within the interval: held back
    job = jobs.get_job(claimed_job.id)
    assert (job.progress, job.current_step) == (24.0, "first")

    reporter.flush()  # still within the interval
    assert jobs.get_job(claimed_job.id).current_step == "first"
    clock.now += reporter.interval
    reporter.flush()
    job = jobs.get_job(claimed_job.id)
    assert (job.progress, job.current_step) == (40.0, "loading the Whisper model")


def test_the_end_of_a_stage_is_always_written(claimed_job):
    reporter = JobReporter(claimed_job, "worker-a", "download")
    reporter.progress(0.3, "a")
    reporter.progress(1.0, "done")
    assert jobs.get_job(claimed_job.id).progress == 20.0


def test_a_worker_that_lost_its_job_stops(claimed_job):
    reporter = JobReporter(claimed_job, "worker-a", "download")
    assert reporter.should_cancel() is False
    jobs.update_job(claimed_job.id, heartbeat_at=datetime.now(UTC) - timedelta(minutes=5))
    assert jobs.requeue_stale(claimed_job.id, "worker-a", 60) is not None
    jobs.claim_job(claimed_job.id, "worker-b")
    reporter.last_cancel_check = 0.0
    with pytest.raises(LostClaim):
        reporter.should_cancel()


def test_a_job_resumes_after_its_last_finished_stage(claimed_job):
    assert stages_to_run(claimed_job) == ["download", "transcribe", "analyze", "slice"]
    job = jobs.record_stage(claimed_job.id, "download", 1.0)
    assert stages_to_run(job) == ["transcribe", "analyze", "slice"]
    job = jobs.record_stage(claimed_job.id, "analyze", 1.0)
    assert stages_to_run(job) == ["slice"]
