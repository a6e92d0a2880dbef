"""Live job updates: `publish(job)` after every change, `subscribe(user_id, callback)` to hear them.

The backend's transport carries them (Redis pub/sub when scaled out, database polling embedded);
one listener thread per process serves every subscriber of that process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache

from viralclipper.models.tables import Job
from viralclipper.queue.backend import get_backend
from viralclipper.queue.transport import JobUpdate, Transport

log = logging.getLogger(__name__)

Callback = Callable[[JobUpdate], None]


@lru_cache
def transport() -> Transport:
    return get_backend().make_transport()


def publish(job: Job) -> None:
    """Tell every subscriber of the job's owner."""
    transport().publish(JobUpdate.of(job))


class Hub:
    """Fans updates out from one listener thread to every subscriber in this process."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
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
                    target=self._transport.listen,
                    args=(self.deliver, self._listening, self._stop),
                    daemon=True,
                    name="job-updates",
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
                cb for uid, cb in self._subscribers.values() if uid is None or uid == update.user_id
            ]
        for callback in targets:
            try:
                callback(update)
            except Exception:
                log.exception("a job update subscriber failed")


@lru_cache
def hub() -> Hub:
    return Hub(transport())


def subscribe(user_id: int | None, callback: Callback) -> Callable[[], None]:
    """Call `callback(update)` for every change to a job of `user_id` (None: every user's), from
    a background thread. Returns the function that unsubscribes."""
    return hub().subscribe(user_id, callback)
