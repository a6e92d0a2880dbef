"""Logging a part that is down without flooding the log: one line when it goes down (with its
traceback, once per process), a reminder every few minutes while it stays down, one line when it
answers again. Huey's own traceback on every failed poll of the queue is dropped (`QuietPolls`):
a worker polls several times a second."""

from __future__ import annotations

import logging
import threading
import time

REMIND_SECONDS = 300.0
# what Huey's consumer logs, with a traceback, each time reading the queue or the schedule fails
HUEY_POLL_ERRORS = frozenset({"Error reading from queue", "Error reading schedule."})
HUEY_POLL_LOGGERS = ("huey.consumer.Worker", "huey.consumer.Scheduler")


class Outage:
    """Tracks whether `what` is down; `failed(exc)` after each failure, `answered()` after each
    success. Thread-safe: a worker's threads share one."""

    def __init__(self, what: str, log: logging.Logger) -> None:
        self.what = what
        self.log = log
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._reminded = 0.0
        self._traced = False

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                self._down_since = self._reminded = now
                self.log.warning(
                    "%s is unreachable (%s): retrying quietly until it answers",
                    self.what,
                    _describe(exc),
                    exc_info=None if self._traced else exc,
                )
                self._traced = True
            elif now - self._reminded >= REMIND_SECONDS:
                self._reminded = now
                self.log.warning(
                    "%s is still unreachable after %.0f s (%s)",
                    self.what,
                    now - self._down_since,
                    _describe(exc),
                )

    def answered(self) -> None:
        if self._down_since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self._down_since is not None:
                self.log.warning(
                    "%s answers again after %.0f s", self.what, time.monotonic() - self._down_since
                )
                self._down_since = None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class QuietPolls(logging.Filter):
    """Drops Huey's per-poll queue errors: `Outage` reports them instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in HUEY_POLL_ERRORS


def quiet_huey_polls() -> None:
    for name in HUEY_POLL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietPolls) for f in logger.filters):
            logger.addFilter(QuietPolls())
