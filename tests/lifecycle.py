"""Moving a test job through the real lifecycle, as a worker would."""

from __future__ import annotations

from viralclipper.models import jobs
from viralclipper.models.jobs import STAGE_STATUS, JobStatus
from viralclipper.models.tables import Job

WORKER = "test-worker"
STAGE_OF = {status: stage for stage, status in STAGE_STATUS.items()}


def run_to(
    job_id: int,
    status: JobStatus,
    worker: str = WORKER,
    error: str | None = None,
    kind: str = "error",
) -> Job:
    """Claim a pending job for `worker` and walk it to `status`: each stage it passes is recorded
    (0 s); failed and cancelled jobs stop while downloading."""
    if status is JobStatus.PENDING:
        return jobs.get_job(job_id)
    assert jobs.claim_job(job_id, worker) is not None, f"job {job_id} could not be claimed"
    job = jobs.advance_job(job_id, worker)
    if status is JobStatus.FAILED:
        return jobs.fail_job(job_id, worker, error or "The video is private.", kind=kind)
    if status is JobStatus.CANCELLED:
        return jobs.stop_job(job_id, worker)
    while job.status != status:
        jobs.record_stage(job_id, STAGE_OF[JobStatus(job.status)], 0)
        job = jobs.advance_job(job_id, worker)
    return job
