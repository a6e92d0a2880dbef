"""How live job updates travel between processes. `JobUpdate` is what a subscriber hears;
`DatabasePoller` reads the rows changed since its last look on a short timer (embedded);
`RedisChannel` pushes each change over Redis pub/sub, a channel per user (scaled), and polls the
database instead while Redis is unreachable, going back to Redis when it answers again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis
from pydantic import BaseModel, ConfigDict

from viralclipper.models import jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import Job

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
# A change's `updated_at` is stamped before its commit. On SQLite a writer can wait for the lock
# up to busy_timeout (5 s), so a change can commit seconds after a later-stamped one: re-read
# that long a window. Elsewhere a commit follows its stamp within milliseconds.
SQLITE_OVERLAP = timedelta(seconds=6)
COMMIT_OVERLAP = timedelta(seconds=0.5)
REDIS_RETRY_SECONDS = 2.0  # while Redis is away, how often to see whether it is back
CHANNEL_PREFIX = "viralclipper:user:"


class JobUpdate(BaseModel):
    """A job as a page needs it to redraw its row and progress bar."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    status: JobStatus
    progress: float
    current_step: str | None = None
    error_message: str | None = None
    title: str | None = None
    updated_at: datetime | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    status_changed: bool = False  # set by a page: the status differs from what it showed

    @classmethod
    def of(cls, job: Job) -> JobUpdate:
        return cls(
            id=job.id,
            user_id=job.user_id,
            status=JobStatus(job.status),
            progress=job.progress,
            current_step=job.current_step,
            error_message=job.error_message,
            title=job.title,
            updated_at=job.updated_at,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


Deliver = Callable[[JobUpdate], None]


class Transport(Protocol):
    def publish(self, update: JobUpdate) -> None:
        """Send `update` to every process's listener."""

    def listen(self, deliver: Deliver, ready: threading.Event, stop: threading.Event) -> None:
        """`deliver` every update until `stop` is set; set `ready` once listening."""


class DatabasePoller:
    """Delivers each job's change once (its newest `updated_at` delivered is remembered), reading
    again a window before the newest change seen, for changes that committed late."""

    def __init__(self, late_commits: bool) -> None:
        self.overlap = SQLITE_OVERLAP if late_commits else COMMIT_OVERLAP
        self._delivered: dict[int, datetime] = {}
        self._newest = datetime.now(UTC) - timedelta(seconds=1)

    def publish(self, update: JobUpdate) -> None:
        """Nothing to do: pollers read the row that was just written."""

    def listen(self, deliver: Deliver, ready: threading.Event, stop: threading.Event) -> None:
        ready.set()
        self.poll_until(deliver, stop.is_set, stop)

    def restart(self) -> None:
        """Look from about now on (after a time when another transport delivered)."""
        self._delivered = {}
        self._newest = datetime.now(UTC) - timedelta(seconds=1)

    def poll_until(self, deliver: Deliver, done: Callable[[], bool], stop: threading.Event) -> None:
        while not stop.wait(POLL_SECONDS) and not done():
            self.poll_once(deliver)

    def poll_once(self, deliver: Deliver) -> None:
        since = self._newest - self.overlap
        try:
            changed = jobs.jobs_updated_since(since)
        except Exception:
            log.debug("could not poll job updates", exc_info=True)
            return
        for job in changed:
            if job.updated_at > self._delivered.get(job.id, since):
                self._delivered[job.id] = job.updated_at
                self._newest = max(self._newest, job.updated_at)
                deliver(JobUpdate.of(job))
        cutoff = self._newest - self.overlap
        self._delivered = {k: v for k, v in self._delivered.items() if v > cutoff}


class RedisChannel:
    """Redis pub/sub, one channel per user; the database poller stands in while Redis is away."""

    def __init__(
        self, url: str, prefix: str, timeouts: dict[str, float], fallback: DatabasePoller
    ) -> None:
        self._client = redis.Redis.from_url(url, **timeouts)
        self._timeout = timeouts["socket_timeout"]
        self._prefix = f"{prefix}:{CHANNEL_PREFIX}"
        self.fallback = fallback
        self._polling = False
        self._publish_failing = False
        self._next_try = 0.0

    def publish(self, update: JobUpdate) -> None:
        try:
            self._client.publish(f"{self._prefix}{update.user_id}", update.model_dump_json())
        except Exception:  # a dropped live update must never fail the job itself
            if not self._publish_failing:
                log.warning("could not publish job updates: Redis is unreachable", exc_info=True)
            self._publish_failing = True
        else:
            self._publish_failing = False

    def listen(self, deliver: Deliver, ready: threading.Event, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self._listen_redis(deliver, ready, stop)
            except Exception:
                log.warning("lost Redis: job updates come from the database until it is back")
                log.debug("the Redis error", exc_info=True)
                self._polling = True
                self.fallback.restart()
                ready.set()  # pages open at once and hear updates from the database meanwhile
                self._next_try = time.monotonic() + REDIS_RETRY_SECONDS
                self.fallback.poll_until(deliver, self._redis_answers, stop)

    def _redis_answers(self) -> bool:
        if time.monotonic() < self._next_try:
            return False
        self._next_try = time.monotonic() + REDIS_RETRY_SECONDS
        try:
            return bool(self._client.ping())
        except Exception:
            return False

    def _listen_redis(self, deliver: Deliver, ready: threading.Event, stop: threading.Event):
        """Hear updates until `stop`; raises when Redis goes away, or stops answering: an idle
        subscriber hears nothing either way, so after a quiet `socket_timeout` it pings, and
        Redis must answer (the subscription's confirmation, or the pong) within another."""
        pubsub = self._client.pubsub()
        try:
            pubsub.psubscribe(f"{self._prefix}*")
            awaiting, quiet_since = True, time.monotonic()
            while not stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None:
                    if time.monotonic() - quiet_since < self._timeout:
                        continue
                    if awaiting:
                        raise redis.TimeoutError("Redis stopped answering the subscriber")
                    pubsub.ping()
                    awaiting, quiet_since = True, time.monotonic()
                    continue
                awaiting, quiet_since = False, time.monotonic()
                if message["type"] == "psubscribe":
                    if self._polling:  # what changed between the last poll and now
                        self.fallback.poll_once(deliver)
                        self._polling = False
                        log.warning("Redis is back: job updates come over Redis again")
                    ready.set()
                elif message["type"] == "pmessage":
                    deliver(JobUpdate.model_validate_json(message["data"]))
        finally:
            pubsub.close()
