"""Redis down does not take the web app down: pages still open, live updates come from the
database until Redis answers again and then over Redis once more, and `jobs add` saves the job,
says so in one line and exits 0; the job runs once the queue is back.

Each test runs its own redis-server on a free loopback port and stops and starts it; the shared
Redis on 6379 is never touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from nicegui.testing import User

from tests.conftest import reset_process_state
from tests.http_server import VideoServer
from tests.pg import throwaway_database
from tests.queue.conftest import FAST_RECOVERY, Backend, wait_for_status
from tests.test_cli import run_cli
from tests.ui.conftest import logged_in, simulated_browser
from tests.ui.data import make_job
from tests.waiting import wait_for, wait_for_async
from viralclipper.models import jobs, upgrade_database
from viralclipper.models.jobs import JobStatus
from viralclipper.models.users import create_user
from viralclipper.queue.api import QUEUE_UNREACHABLE_EVENT
from viralclipper.queue.events import publish, transport
from viralclipper.queue.transport import JobUpdate

pytestmark = pytest.mark.postgres


class RedisServer:
    """A private redis-server on 127.0.0.1 that a test stops and starts again (empty each time:
    no snapshot, no append-only file, as a Redis without persistence restarts)."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 15, f"the private Redis on port {self.port} to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def scaled(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    """Postgres and the private Redis, for this process and the workers it starts."""
    with throwaway_database("vc_redis_down") as database_url:
        env = {
            **FAST_RECOVERY,
            "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "QUEUE_NAME": f"vc-test-{uuid.uuid4().hex[:8]}",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_process_state()
        upgrade_database()
        backend = Backend("scaled", env, logs=tmp_path)
        try:
            yield backend
        finally:
            backend.stop_workers()
            reset_process_state()


def shows(browser: User, text: str) -> bool:
    try:
        browser.find(text)
    except AssertionError:
        return False
    return True


async def test_pages_open_and_live_updates_fall_back_to_the_database_while_redis_is_down(
    scaled: Backend,
    redis_server: RedisServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    async with simulated_browser(tmp_path, caplog) as browser:
        account = await logged_in(browser)
        job = make_job(account.id, "A live talk", JobStatus.TRANSCRIBING)
        await browser.open(f"/jobs/{job.id}")
        publish(jobs.set_progress(job.id, 21.0, "heard over Redis"))
        await browser.should_see("heard over Redis", retries=50)

        redis_server.stop()
        for page in ("/", "/jobs", "/clips", "/settings", f"/jobs/{job.id}"):
            await browser.open(page)
        await browser.should_see("A live talk")
        publish(jobs.set_progress(job.id, 42.0, "read from the database"))  # Redis refuses it
        await browser.should_see("read from the database", retries=100)

        redis_server.start()
        # an update that only Redis carries (the row does not change): heard once the page's
        # listener is back on Redis
        only_redis = JobUpdate.of(jobs.get_job(job.id)).model_copy(
            update={"current_step": "heard over Redis again"}
        )

        def back_on_redis() -> bool:
            transport().publish(only_redis)
            return shows(browser, "heard over Redis again")

        await wait_for_async(back_on_redis, 20, "live updates over Redis again", interval=0.3)


def test_jobs_add_while_redis_is_down_saves_the_job_and_it_runs_once_redis_is_back(
    scaled: Backend, redis_server: RedisServer, site: VideoServer
):
    create_user("ops@example.com", "a long password 42")
    scaled.start_worker()
    redis_server.stop()

    added = run_cli(
        "jobs", "add", site.url("short.mp4"), "--user", "ops@example.com", env=scaled.env
    )

    assert added.returncode == 0, added.stderr
    job_id = int(added.stdout.strip())
    assert added.stderr.strip() == (
        f"Job {job_id} is saved and will start when the queue is reachable."
    )
    assert jobs.get_job(job_id).status == JobStatus.PENDING

    redis_server.start()  # empty: the job has no task anywhere; recovery gives it one
    done = wait_for_status(job_id, {"completed", "failed"}, scaled, timeout=240)
    assert done.status == "completed", done.error_message
    messages = [event.message for event in jobs.list_events(job_id)]
    assert QUEUE_UNREACHABLE_EVENT in messages
