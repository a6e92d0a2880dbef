"""Crash recovery: jobs whose worker stopped beating are put back on the queue, and resume from
the last stage they finished; so are YouTube uploads that stopped moving (they resume where
YouTube last confirmed). Runs at every worker start and then periodically."""

from __future__ import annotations

import logging
import threading

from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.queue.app import get_queue
from viralclipper.queue.backend import get_backend
from viralclipper.queue.events import publish
from viralclipper.queue.health import WorkerBeats
from viralclipper.queue.outage import Outage
from viralclipper.queue.youtube import requeue_stalled_uploads

log = logging.getLogger(__name__)
# this process's recovery checks failing for another reason than the queue (the database)
RECOVERY = Outage("the recovery check", log)


def recover_stale_jobs() -> list[int]:
    """Re-queue running jobs with a stale heartbeat, and pending jobs nobody picked up (a queue
    that lost its tasks, e.g. a Redis restart). A second task for one job is harmless: only one
    claim wins. Returns the re-queued job ids."""
    stale_after = get_settings().stale_after_seconds
    requeued = []
    for stale in jobs.stale_jobs(stale_after):
        if stale.worker_id is None:  # stale_jobs are claimed ones; for the type checker
            continue
        job = jobs.requeue_stale(
            stale.id,
            stale.worker_id,
            stale_after,
            step=f"re-queued after its worker stopped ({stale.status})",
        )
        if job is None:
            continue  # it finished, beat again, or another recoverer got there first
        jobs.add_event(
            job.id,
            "warning",
            "worker stopped responding; job re-queued, resuming "
            f"after {job.last_completed_stage or 'the start'}",
        )
        publish(job)
        get_queue().process_job(job.id)
        requeued.append(job.id)
    requeued += requeue_forgotten(stale_after)
    if requeued:
        log.warning("re-queued stale jobs %s", requeued)
    uploads = requeue_stalled_uploads()
    if uploads:
        log.warning("re-queued stalled YouTube uploads %s", uploads)
    return requeued


def requeue_forgotten(older_than_seconds: float) -> list[int]:
    """Pending, unclaimed jobs that have waited that long get another task: the queue may have
    lost theirs (Redis without persistence restarted). A duplicate task is harmless."""
    if get_queue().huey.pending_count() > 0:
        return []  # tasks are waiting: those jobs are not forgotten, just queued
    forgotten = jobs.forgotten_pending_jobs(older_than_seconds)
    for job in forgotten:
        get_queue().process_job(job.id)
    return [job.id for job in forgotten]


def recover_when_possible() -> None:
    """`recover_stale_jobs`, logging instead of raising when the queue or the database is away
    (the next periodic check tries again): once per outage, the queue's with the worker's own."""
    queue = get_queue().huey.outage
    try:
        recover_stale_jobs()
    except get_backend().queue_errors as exc:
        queue.failed(exc)
    except Exception as exc:
        RECOVERY.failed(exc)
    else:
        queue.answered()  # it asked the queue how many tasks wait
        RECOVERY.answered()


class RecoveryLoop:
    """Runs `recover_stale_jobs` every `recovery_interval_seconds` in a daemon thread, and notes
    the worker's heartbeat each time."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="recovery")
        self.beats = WorkerBeats()  # the worker's heartbeat goes with it (for /health)

    def _run(self) -> None:
        while not self._stop.wait(get_settings().recovery_interval_seconds):
            self.beats.beat()
            recover_when_possible()

    def start(self) -> RecoveryLoop:
        self.beats.beat()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.beats.gone()
