"""Live job updates: `publish(job)` after every change, `subscribe(user_id, callback)` to hear them.

With Redis, each change is published on a channel per user and pushed to every subscriber.
Embedded, one thread per process polls the database for jobs changed since its last look. One
listener thread per process serves every subscriber of that process either way.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.models.tables import Job

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "viralclipper:user:"
POLL_SECONDS = 0.25
POLL_OVERLAP = timedelta(seconds=6)  # longer than SQLite's busy_timeout (5 s)

JobUpdate = dict
Callback = Callable[[JobUpdate], None]


def job_update(job: Job) -> JobUpdate:
    """What a subscriber hears about a job: enough to redraw its row and progress bar."""
    return {
        "id": job.id,
        "user_id": job.user_id,
        "status": job.status,
        "progress": job.progress,
        "current_step": job.current_step,
        "error_message": job.error_message,
        "title": job.title,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
    }


@lru_cache
def _redis():
    import redis

    url = get_settings().redis_url
    if not url:
        raise RuntimeError("Live updates over Redis need REDIS_URL.")
    return redis.Redis.from_url(url)


def _channel(user_id: int) -> str:
    return f"{get_settings().queue_name}:{CHANNEL_PREFIX}{user_id}"


def publish(job: Job) -> None:
    """Tell every subscriber of the job's owner. Embedded mode has nothing to do: pollers read
    the row that was just written."""
    if not get_settings().redis_url:
        return
    try:
        _redis().publish(_channel(job.user_id), json.dumps(job_update(job)))
    except Exception:  # a dropped live update must never fail the job itself
        log.warning("could not publish the update of job %s", job.id, exc_info=True)


class Hub:
    """Fans updates out from one listener thread to every subscriber in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, tuple[int | None, Callback]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()

    def subscribe(self, user_id: int | None, callback: Callback) -> Callable[[], None]:
        with self._lock:
            token = self._next
            self._next += 1
            self._subscribers[token] = (user_id, callback)
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._listen, daemon=True, name="job-updates"
                )
                self._thread.start()
        # with Redis, a message published before the subscription is confirmed would be lost
        self._listening.wait(timeout=5)
        return lambda: self._unsubscribe(token)

    def _unsubscribe(self, token: int) -> None:
        with self._lock:
            self._subscribers.pop(token, None)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def deliver(self, update: JobUpdate) -> None:
        with self._lock:
            targets = [
                cb
                for uid, cb in self._subscribers.values()
                if uid is None or uid == update["user_id"]
            ]
        for callback in targets:
            try:
                callback(update)
            except Exception:
                log.exception("a job update subscriber failed")

    def _listen(self) -> None:
        if not get_settings().redis_url:
            self._listening.set()
            self._poll_database()
            return
        while not self._stop.is_set():
            try:
                self._listen_redis()
            except Exception:  # Redis went away: keep trying, the page stays up meanwhile
                log.warning("lost the Redis subscription; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def _listen_redis(self) -> None:
        pubsub = _redis().pubsub()
        pubsub.psubscribe(f"{get_settings().queue_name}:{CHANNEL_PREFIX}*")
        try:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None:
                    continue
                if message["type"] == "psubscribe":
                    self._listening.set()
                elif message["type"] == "pmessage":
                    self.deliver(json.loads(message["data"]))
        finally:
            pubsub.close()

    def _poll_database(self) -> None:
        """Re-read a window before the newest change seen: `updated_at` is stamped before a
        write waits for SQLite's lock, so a change can commit after a later-stamped one. Each
        job's change is delivered once (its newest `updated_at` delivered is remembered)."""
        delivered: dict[int, datetime] = {}
        newest = datetime.now(UTC) - timedelta(seconds=1)
        while not self._stop.wait(POLL_SECONDS):
            try:
                changed = jobs.jobs_updated_since(newest - POLL_OVERLAP)
            except Exception:
                log.debug("could not poll job updates", exc_info=True)
                continue
            for job in changed:
                if job.updated_at > delivered.get(job.id, newest - POLL_OVERLAP):
                    delivered[job.id] = job.updated_at
                    newest = max(newest, job.updated_at)
                    self.deliver(job_update(job))
            cutoff = newest - POLL_OVERLAP
            delivered = {k: v for k, v in delivered.items() if v > cutoff}


@lru_cache
def hub() -> Hub:
    return Hub()


def subscribe(user_id: int | None, callback: Callback) -> Callable[[], None]:
    """Call `callback(update)` for every change to a job of `user_id` (None: every user's), from
    a background thread. Returns the function that unsubscribes."""
    return hub().subscribe(user_id, callback)
