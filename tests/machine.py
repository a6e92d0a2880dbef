"""What the tests need from the machine beyond Python packages: programs (ffmpeg, espeak-ng,
Chromium) and the Postgres and Redis on 127.0.0.1, which a test run starts itself when it can.

A test declares a need with a marker (`browser`, `postgres`, `redis`) or, in a fixture or helper,
with `require("espeak")` / `require("ffmpeg")`. When the need is not met, only the tests that
have it are skipped, with the reason; under CI (`CI=true`) they fail instead, so that a CI run
cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tests.pg import postgres_login_error
from tests.ui.browser import browser_missing
from tests.waiting import wait_for

REDIS_PORT = 6379


def ffmpeg_missing() -> str | None:
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return None
    return "ffmpeg is not installed (Debian package ffmpeg): it makes and cuts the test videos"


def espeak_missing() -> str | None:
    if shutil.which("espeak-ng"):
        return None
    return "espeak-ng is not installed (Debian package espeak-ng): it speaks the sample talk"


def _start_postgres() -> None:
    """Start the Debian clusters (`pg_ctlcluster`, as root), as a service manager would."""
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return
    for version in sorted(p.name for p in Path("/etc/postgresql").glob("*")):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            check=False,
        )


@cache
def postgres_missing() -> str | None:
    if postgres_login_error() is None:
        return None
    _start_postgres()
    try:
        wait_for(lambda: postgres_login_error() is None, 30, "Postgres to start", interval=0.5)
    except AssertionError:
        return (
            f"no Postgres on 127.0.0.1:5432 that user postgres may use without a password "
            f"({postgres_login_error()}); `make test` as root installs and starts one"
        )
    return None


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(port=REDIS_PORT, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@cache
def redis_missing() -> str | None:
    if redis_answers():
        return None
    server = shutil.which("redis-server")
    if server is None:
        return "no Redis on 127.0.0.1:6379 and redis-server is not installed (Debian redis-server)"
    # a throwaway server for this test run, gone with it
    folder = tempfile.mkdtemp(prefix="vc-test-redis-")
    process = subprocess.Popen(
        [server, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import atexit

    atexit.register(process.terminate)
    try:
        wait_for(redis_answers, 15, "Redis to start", interval=0.2)
    except AssertionError:
        return "no Redis on 127.0.0.1:6379, and starting redis-server there failed"
    return None


NEEDS: dict[str, Callable[[], str | None]] = {
    "browser": browser_missing,
    "espeak": espeak_missing,
    "ffmpeg": ffmpeg_missing,
    "postgres": postgres_missing,
    "redis": redis_missing,
}


def require(need: str) -> None:
    """Skip the calling test (fail it under CI) when this machine lacks `need`."""
    reason = NEEDS[need]()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must run every test, but {reason}", pytrace=False)
    pytest.skip(reason)
