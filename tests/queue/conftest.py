"""Queue tests run on both backends with real worker processes:
embedded (SQLite + SqliteHuey) and scaled out (Postgres + RedisHuey on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import reset_process_state
from tests.http_server import VideoServer, serve_directory
from tests.machine import require
from tests.pg import throwaway_database
from tests.waiting import wait_for
from viralclipper.models import jobs, upgrade_database
from viralclipper.models.tables import Job, User
from viralclipper.models.users import create_user
from viralclipper.pipeline.sample import FILLER, PLANTED, SampleTalk, make_sample_talk

REDIS_URL = "redis://127.0.0.1:6379/0"
FAST_RECOVERY = {
    "HEARTBEAT_SECONDS": "0.5",
    "STALE_AFTER_SECONDS": "3",
    "RECOVERY_INTERVAL_SECONDS": "1",
    "PROGRESS_INTERVAL_SECONDS": "0.2",
    "MIN_CLIP_SECONDS": "5",
    "MAX_CLIP_SECONDS": "20",
    "MAX_CLIPS": "2",
    "ANALYZER": "offline",
}


@pytest.fixture(scope="session")
def short_talk(media_dir: Path) -> SampleTalk:
    """About 20 s: one planted passage after one line of filler."""
    require("espeak")
    return make_sample_talk(media_dir / "short.mp4", [(FILLER[0], False), (PLANTED[0], True)])


@pytest.fixture(scope="session")
def site(
    sample_talk: SampleTalk, short_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VideoServer]:
    root = tmp_path_factory.mktemp("queue-site")
    shutil.copy(sample_talk.path, root / "talk.mp4")
    shutil.copy(short_talk.path, root / "short.mp4")
    with serve_directory(root) as server:
        yield server


@dataclass
class Backend:
    name: str
    env: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)
    logs: Path | None = None

    def start_worker(self, workers: int = 1) -> subprocess.Popen:
        log = open(self.logs / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "viralclipper", "worker", "--workers", str(workers)],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def stop_workers(self) -> None:
        """Huey's immediate stop (SIGTERM): the test is done with the workers, so they need not
        finish a task or a scaled worker's 1 s blocking read of Redis, as SIGINT's graceful stop
        waits for (about 1 s a scaled worker)."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def worker_logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("worker-*.log")))

    def logs_tail(self) -> str:
        return self.worker_logs()[-4000:]


SCALED_PARAM = pytest.param("scaled", marks=[pytest.mark.postgres, pytest.mark.redis])
# for a test whose behaviour does not depend on the backend: it runs on one, and its commit
# names the test that covers the other backend's path
EMBEDDED = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
SCALED = pytest.mark.parametrize("backend", [SCALED_PARAM], indirect=True)


@pytest.fixture(params=["embedded", SCALED_PARAM])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    env = {**FAST_RECOVERY, "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data")}
    with _database(request.param) as database_url:
        if database_url:
            env.update(
                DATABASE_URL=database_url,
                REDIS_URL=REDIS_URL,
                QUEUE_NAME=f"vc-test-{uuid.uuid4().hex[:8]}",
            )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_process_state()
        upgrade_database()
        backend = Backend(request.param, env, logs=tmp_path)
        try:
            yield backend
        finally:
            backend.stop_workers()
            if request.param == "scaled":
                from viralclipper.queue.app import get_queue

                get_queue().huey.storage.flush_all()
            reset_process_state()


def _database(name: str):
    from contextlib import nullcontext

    return throwaway_database("vc_queue") if name == "scaled" else nullcontext(None)


@pytest.fixture
def user(backend: Backend) -> User:
    return create_user("worker-test@example.com", "correct horse battery")


def wait_for_status(job_id: int, statuses: set[str], backend: Backend, timeout: float = 120) -> Job:
    def reached() -> Job | None:
        job = jobs.get_job(job_id)
        return job if job and job.status in statuses else None

    return wait_for(
        reached, timeout, f"job {job_id} to reach {statuses}", details=backend.logs_tail
    )
