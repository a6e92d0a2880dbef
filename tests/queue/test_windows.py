"""Rate-limit counts: two web processes (two `RedisWindows` on one Redis) share them."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.queue.conftest import REDIS_URL
from viralclipper.queue.windows import MemoryWindows, RedisWindows

TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def pair() -> tuple[RedisWindows, RedisWindows]:
    prefix = f"vc-test-{uuid.uuid4().hex[:8]}:logins:"
    return (
        RedisWindows(REDIS_URL, prefix, TIMEOUTS, MemoryWindows()),
        RedisWindows(REDIS_URL, prefix, TIMEOUTS, MemoryWindows()),
    )


@pytest.mark.redis
def test_two_processes_fill_one_window_together() -> None:
    a, b = pair()
    limits = {"account:ann@example.com": 3, "client:127.0.0.9": 10}
    assert a.admit(limits, 60).stamp and b.admit(limits, 60).stamp
    last = a.admit(limits, 60)
    assert last.stamp is not None
    refused = b.admit(limits, 60)
    assert refused.stamp is None and 59 < refused.wait <= 60
    # another account from the same client still has room; taking one back makes room again
    assert a.admit({"account:bob@example.com": 3, "client:127.0.0.9": 10}, 60).stamp
    b.take_back(limits, last.stamp)
    assert a.admit(limits, 60).stamp is not None


@pytest.mark.redis
def test_an_attempt_ages_out_of_the_window() -> None:
    a, b = pair()
    assert a.admit({"user:1": 1}, 0.2).stamp
    assert b.admit({"user:1": 1}, 0.2).stamp is None
    time.sleep(0.25)
    assert b.admit({"user:1": 1}, 0.2).stamp
