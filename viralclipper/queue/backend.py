"""Embedded or scaled out, decided once at start (as Huey picks its storage class): the one
`Backend` gives the Huey queue, the live-update transport and whether `serve` starts a worker.

- embedded (no `REDIS_URL`): a SQLite Huey queue in the data dir, live updates by polling the
  database, login and API rate limits counted in the (one) web process, and `viralclipper serve`
  runs a worker itself;
- scaled (`REDIS_URL` set): a Redis Huey queue, live updates over Redis pub/sub (polling the
  database while Redis is unreachable), rate limits counted in Redis (so any number of web
  processes share them), and workers run as `viralclipper worker` anywhere.
"""

from __future__ import annotations

import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any, ClassVar

from huey import Huey, RedisHuey, SqliteHuey
from redis import ConnectionPool
from redis.exceptions import RedisError

from viralclipper.config import get_settings
from viralclipper.models.db import database_url, is_sqlite
from viralclipper.queue.outage import Outage
from viralclipper.queue.transport import DatabasePoller, RedisChannel, Transport
from viralclipper.queue.windows import MemoryWindows, RedisWindows, Windows

log = logging.getLogger(__name__)


class Watched(Huey):
    """A Huey whose reads of the queue and the schedule (what a worker polls) note whether the
    queue answers, so that an outage is logged once, not at every poll."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = Outage("the queue", log)

    def dequeue(self) -> Any:
        return self._noted(super().dequeue)

    def read_schedule(self, timestamp: Any = None) -> Any:
        return self._noted(partial(super().read_schedule, timestamp))

    def _noted(self, read: Callable[[], Any]) -> Any:
        """`read()`, noting whether the queue answered."""
        try:
            answer = read()
        except Exception as exc:
            self.outage.failed(exc)
            raise
        self.outage.answered()
        return answer


class WatchedSqliteHuey(Watched, SqliteHuey):
    pass


class WatchedRedisHuey(Watched, RedisHuey):
    pass


class Backend(ABC):
    name: ClassVar[str]
    serve_starts_worker: ClassVar[bool]
    # what enqueueing raises when the queue cannot be reached (the job stays saved, pending)
    queue_errors: ClassVar[tuple[type[Exception], ...]]

    def __init__(self) -> None:
        self._windows: dict[str, Windows] = {}

    @abstractmethod
    def make_huey(self) -> Watched: ...

    @abstractmethod
    def make_transport(self) -> Transport: ...

    @abstractmethod
    def make_windows(self, name: str) -> Windows:
        """Where the rate limit `name` counts its attempts."""

    def windows(self, name: str) -> Windows:
        """The rate limit `name`'s counts, made once per backend."""
        if name not in self._windows:
            self._windows[name] = self.make_windows(name)
        return self._windows[name]


def _poller() -> DatabasePoller:
    return DatabasePoller(late_commits=is_sqlite(database_url()))


class Embedded(Backend):
    name = "embedded"
    serve_starts_worker = True
    queue_errors = (sqlite3.Error,)

    def make_huey(self) -> Watched:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return WatchedSqliteHuey(settings.queue_name, filename=str(settings.data_dir / "queue.db"))

    def make_transport(self) -> Transport:
        return _poller()

    def make_windows(self, name: str) -> Windows:
        return MemoryWindows()


class Scaled(Backend):
    name = "scaled"
    serve_starts_worker = False
    queue_errors = (RedisError,)

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self.redis_url = redis_url

    def make_huey(self) -> Watched:
        settings = get_settings()
        pool = ConnectionPool.from_url(self.redis_url, **redis_timeouts())
        return WatchedRedisHuey(
            settings.queue_name, connection_pool=pool, blocking=True, read_timeout=1
        )

    def make_transport(self) -> Transport:
        return RedisChannel(
            self.redis_url, get_settings().queue_name, redis_timeouts(), fallback=_poller()
        )

    def make_windows(self, name: str) -> Windows:
        prefix = f"{get_settings().queue_name}:{name}:"
        return RedisWindows(self.redis_url, prefix, redis_timeouts(), MemoryWindows())


def redis_timeouts() -> dict[str, float]:
    """Every Redis connection's timeouts: a Redis that accepts but never answers must not hang
    a web request or a worker."""
    timeout = get_settings().redis_timeout_seconds
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout}


@lru_cache
def get_backend() -> Backend:
    """Chosen from the settings on first use (a process, or a test, configures itself first)."""
    redis_url = get_settings().redis_url
    return Scaled(redis_url) if redis_url else Embedded()
