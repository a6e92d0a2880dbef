"""The figures /metrics exports, counted by the database: jobs per status and each stage's
duration histogram, over jobs in several states."""

from __future__ import annotations

from tests.lifecycle import STAGE_OF, WORKER
from viralclipper.models import User, claim_job, count_jobs_by_status, create_job, jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.stats import stage_histograms
from viralclipper.stages import STAGES

BOUNDS = (1.0, 5.0, 60.0, 3600.0)


def walk(user_id: int, status: JobStatus, seconds: dict[str, float]) -> None:
    """A job walked to `status`, each stage it passes taking `seconds[stage]`."""
    job = create_job(user_id, "https://example.com/talk")
    if status is JobStatus.PENDING:
        return
    assert claim_job(job.id, WORKER) is not None
    job = jobs.advance_job(job.id, WORKER)
    while job.status != status:
        stage = STAGE_OF[JobStatus(job.status)]
        jobs.record_stage(job.id, stage, seconds[stage])
        job = jobs.advance_job(job.id, WORKER)
    if status is JobStatus.DOWNLOADING:
        jobs.fail_job(job.id, WORKER, "The video is private.", kind="private")


def test_jobs_per_status_and_stage_histograms_are_counted_in_the_database(owner: User):
    done = [
        {"download": 0.5, "transcribe": 4.0, "analyze": 20.0, "slice": 100.0},
        {"download": 1.0, "transcribe": 60.0, "analyze": 2.0, "slice": 7200.5},
    ]
    halfway = {"download": 3.0, "transcribe": 5.0}
    for seconds in done:
        walk(owner.id, JobStatus.COMPLETED, seconds)
    walk(owner.id, JobStatus.ANALYZING, halfway)
    walk(owner.id, JobStatus.DOWNLOADING, {})  # fails before finishing a stage
    walk(owner.id, JobStatus.PENDING, {})
    walk(owner.id, JobStatus.PENDING, {})

    counts = count_jobs_by_status()
    assert {status: n for status, n in counts.items() if n} == {
        "completed": 2,
        "analyzing": 1,
        "failed": 1,
        "pending": 2,
    }
    assert set(counts) == {status.value for status in JobStatus}

    histograms = stage_histograms(BOUNDS)
    assert set(histograms) == set(STAGES)
    for stage in STAGES:
        took = [s[stage] for s in [*done, halfway] if stage in s]
        histogram = histograms[stage]
        assert histogram.count == len(took), stage
        assert histogram.total_seconds == sum(took), stage
        assert histogram.at_most == tuple(sum(t <= b for t in took) for b in BOUNDS), stage
    # the bounds are inclusive, and a duration past the last one is only in the count
    assert histograms["download"].at_most == (2, 3, 3, 3)
    assert histograms["slice"].at_most == (0, 0, 0, 1) and histograms["slice"].count == 2


def test_stage_histograms_of_no_jobs_are_empty(owner: User):
    walk(owner.id, JobStatus.PENDING, {})
    for histogram in stage_histograms(BOUNDS).values():
        assert histogram.at_most == (0, 0, 0, 0)
        assert histogram.count == 0 and histogram.total_seconds == 0.0
