"""Redis down under a real worker: the worker logs one line when the queue goes away (its
traceback once) and one when it answers again, not a traceback at every poll. The Redis is a
private redis-server on a free loopback port, started only once the worker has seen it down."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest

from tests.queue.conftest import Backend
from tests.security.test_redis_down import RedisServer
from tests.waiting import wait_for

DOWN = "the queue is unreachable"
BACK = "the queue answers again"


def test_a_worker_logs_a_redis_outage_once_and_its_end_once(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    redis = RedisServer(tmp_path)
    env = {
        "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": redis.url,
        "REDIS_TIMEOUT_SECONDS": "2",
        "RECOVERY_INTERVAL_SECONDS": "0.5",
        "QUEUE_NAME": f"vc-test-{uuid.uuid4().hex[:8]}",
    }
    worker = Backend("scaled", env, logs=tmp_path)
    try:
        worker.start_worker()
        wait_for(lambda: DOWN in worker.worker_logs(), 60, "the worker to see Redis down")
        time.sleep(3)  # a worker polls several times a second: this is many failed polls
        redis.start()
        wait_for(lambda: BACK in worker.worker_logs(), 30, "the worker to see Redis back")
    finally:
        worker.stop_workers()
        redis.stop()
    logs = worker.worker_logs()
    assert "Error reading" not in logs, logs[-3000:]
    assert logs.count(DOWN) == 1, logs[-3000:]
    assert logs.count(BACK) == 1, logs[-3000:]
    assert logged_tracebacks(logs) == 1, logs[-3000:]


def logged_tracebacks(logs: str) -> int:
    """Tracebacks logged, an exception's chained causes counted with it."""
    chained = logs.count("During handling of the above") + logs.count("The above exception was")
    return logs.count("Traceback (most recent call last)") - chained
