"""Attempts counted within a sliding time window, for the login and API rate limits: in this
process (`MemoryWindows`, embedded: one web process) or in Redis (`RedisWindows`, scaled: every
web process shares the counts). The backend chooses (queue/backend.py).

An attempt is admitted under every one of its keys at once, or under none: a key that is full
refuses it, and the answer says how long until that key has room again."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    stamp: str | None  # the admitted attempt, to take back; None: refused
    wait: float = 0.0  # refused: seconds until a key has room again


class Windows(Protocol):
    def admit(self, limits: Mapping[str, int], window: float) -> Admission:
        """Count one attempt under every key of `limits` ({key: most attempts per window})
        unless one of them is full."""

    def take_back(self, keys: Iterable[str], stamp: str) -> None:
        """Forget the admitted attempt `stamp` under `keys` (it succeeded)."""

    def clear(self) -> None:
        """Forget what this process counted."""


class MemoryWindows:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._attempts: dict[str, deque[tuple[float, str]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stamps = itertools.count()

    def admit(self, limits: Mapping[str, int], window: float) -> Admission:
        now = self.clock()
        with self._lock:
            recent = {key: self._recent(key, now, window) for key in limits}
            full = [attempts for key, attempts in recent.items() if len(attempts) >= limits[key]]
            if full:
                return Admission(None, max(a[0][0] for a in full) + window - now)
            stamp = str(next(self._stamps))
            for attempts in recent.values():
                attempts.append((now, stamp))
            return Admission(stamp)

    def _recent(self, key: str, now: float, window: float) -> deque[tuple[float, str]]:
        attempts = self._attempts[key]
        while attempts and attempts[0][0] <= now - window:
            attempts.popleft()
        return attempts

    def take_back(self, keys: Iterable[str], stamp: str) -> None:
        with self._lock:
            for key in keys:
                attempts = self._attempts.get(key)
                if attempts:
                    self._attempts[key] = deque(a for a in attempts if a[1] != stamp)

    def clear(self) -> None:
        with self._lock:
            self._attempts.clear()


# KEYS: the keys; ARGV: the window in seconds, the attempt's member, then each key's limit.
# Redis's own clock, so that web processes on several machines agree on the window.
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local wait = -1
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait >= 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
return false
"""


class RedisWindows:
    """Counts in Redis sorted sets under `prefix`; while Redis is unreachable, counts in this
    process (`fallback`) so that logins and the API keep working."""

    def __init__(
        self, url: str, prefix: str, timeouts: dict[str, float], fallback: MemoryWindows
    ) -> None:
        self._client = redis.Redis.from_url(url, **timeouts)
        self._admit = self._client.register_script(ADMIT)
        self._prefix = prefix
        self.fallback = fallback
        self._failing = False
        self._stamps = itertools.count()
        self._process = f"{time.time_ns()}-{threading.get_native_id()}"

    def admit(self, limits: Mapping[str, int], window: float) -> Admission:
        stamp = f"{self._process}-{next(self._stamps)}"
        keys = [self._prefix + key for key in limits]
        try:
            wait = self._admit(keys=keys, args=[window, stamp, *limits.values()])
        except redis.RedisError:
            self._lost()
            return self.fallback.admit(limits, window)
        self._failing = False
        return Admission(stamp) if wait is None else Admission(None, float(wait))

    def take_back(self, keys: Iterable[str], stamp: str) -> None:
        keys = list(keys)
        try:
            with self._client.pipeline() as pipe:
                for key in keys:
                    pipe.zrem(self._prefix + key, stamp)
                pipe.execute()
        except redis.RedisError:
            self._lost()
        self.fallback.take_back(keys, stamp)

    def clear(self) -> None:
        self.fallback.clear()

    def _lost(self) -> None:
        if not self._failing:
            log.warning("Redis is unreachable: attempts are counted in this process meanwhile")
        self._failing = True
