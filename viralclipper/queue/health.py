"""The state of the parts a running instance needs (database, queue, workers), for /health,
and the figures /metrics exports. Each check answers; none raises."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from viralclipper.config import get_settings
from viralclipper.models import jobs, stats
from viralclipper.models.tables import utcnow
from viralclipper.queue.app import get_queue
from viralclipper.queue.backend import get_backend
from viralclipper.queue.outage import Outage

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive_window() -> timedelta:
    """A worker that has not beaten for this long counts as gone (it beats every recovery
    interval)."""
    settings = get_settings()
    return timedelta(
        seconds=max(3 * settings.recovery_interval_seconds, settings.stale_after_seconds)
    )


@dataclass
class Health:
    database: bool
    queue: bool
    workers: int
    last_worker_beat: datetime | None
    backend: str
    down: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.down

    def as_json(self) -> dict:
        beat = self.last_worker_beat.isoformat() if self.last_worker_beat else None
        return {
            "status": "ok" if self.ok else "down",
            "down": self.down,
            "backend": self.backend,
            "database": "ok" if self.database else "down",
            "queue": "ok" if self.queue else "down",
            "workers": {"alive": self.workers, "last_heartbeat": beat},
        }


def _works(name: str, check) -> bool:
    try:
        check()
    except Exception as exc:
        log.warning("health: the %s is down (%s)", name, exc.__class__.__name__)
        log.debug("the %s error", name, exc_info=True)
        return False
    return True


def check_health() -> Health:
    database = _works("database", stats.ping_database)
    queue = _works("queue", queue_depth)
    alive, beat = 0, None
    if database:
        try:
            alive = len(stats.live_workers(worker_alive_window()))
            beat = stats.last_worker_beat()
        except Exception:
            log.warning("health: could not read the workers' heartbeats", exc_info=True)
    down = [name for name, up in (("database", database), ("queue", queue)) if not up]
    if database and alive == 0:
        down.append("workers")
    return Health(database, queue, alive, beat, get_backend().name, down)


def queue_depth() -> int:
    """Tasks waiting in the queue."""
    return int(get_queue().huey.pending_count())


@dataclass
class Figures:
    jobs_by_status: dict[str, int]
    stages: dict[str, stats.StageHistogram]
    queue_depth: int | None
    workers: int
    uploads: int


def figures(stage_bounds: Sequence[float]) -> Figures:
    """What /metrics exports, stage durations counted in `stage_bounds` (seconds) (the
    database must answer; the queue may be down: None)."""
    try:
        depth: int | None = queue_depth()
    except Exception:
        depth = None
    return Figures(
        jobs_by_status=jobs.count_jobs_by_status(),
        stages=stats.stage_histograms(stage_bounds),
        queue_depth=depth,
        workers=len(stats.live_workers(worker_alive_window())),
        uploads=stats.count_uploads(),
    )


class WorkerBeats:
    """This worker process's heartbeat row: beat now and on every recovery tick, gone at exit."""

    def __init__(self) -> None:
        self.name = worker_name()
        self.started_at = utcnow()
        self.outage = Outage("the database (this worker's heartbeat)", log)

    def beat(self) -> None:
        try:
            stats.worker_beat(self.name, self.started_at)
        except Exception as exc:
            self.outage.failed(exc)  # one line while it stays down, not a traceback per beat
        else:
            self.outage.answered()

    def gone(self) -> None:
        try:
            stats.worker_gone(self.name)
        except Exception:
            log.debug("could not remove this worker's heartbeat", exc_info=True)
