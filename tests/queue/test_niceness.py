"""Workers run media work at a lower CPU priority than the web process (WORKER_NICENESS): every
thread of `viralclipper worker` and of the worker `serve` starts, and the ffmpeg they run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.http_server import VideoServer
from tests.queue.conftest import SCALED, Backend, wait_for_status
from tests.ui.browser import app_server, descendants
from tests.waiting import wait_for
from viralclipper.models import jobs
from viralclipper.models.jobs import FINISHED_STATES
from viralclipper.models.tables import User
from viralclipper.queue import api

OWN_NICENESS = os.getpriority(os.PRIO_PROCESS, 0)


def thread_niceness(pid: int) -> dict[int, int]:
    """The niceness of each thread of `pid` (Linux keeps one per thread), read from /proc."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        found[int(task.name)] = int(stat[stat.rfind(")") + 2 :].split()[16])
    return found


def command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes()).replace(b"\0", b" ").decode()
    except OSError:
        return ""


@SCALED
def test_a_worker_and_its_ffmpeg_run_at_the_lower_priority(
    backend: Backend, user: User, site: VideoServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("WORKER_NICENESS", "7")
    worker = backend.start_worker()
    job = api.submit_job(user.id, site.url("short.mp4"))
    wait_for_status(job.id, {"transcribing"}, backend)
    threads = thread_niceness(worker.pid)
    assert len(threads) > 2  # Huey's and Whisper's threads, not just the main one
    assert set(threads.values()) == {min(19, OWN_NICENESS + 7)}

    ffmpeg: dict[int, int] = {}

    def finished() -> bool:
        for pid in descendants(worker.pid):
            if "ffmpeg" in command_line(pid):
                ffmpeg.update(thread_niceness(pid))
        return jobs.get_job(job.id).status in FINISHED_STATES

    wait_for(finished, 120, "the job to finish", interval=0.02)
    assert ffmpeg, "no ffmpeg seen while the clips were made"
    assert set(ffmpeg.values()) == {min(19, OWN_NICENESS + 7)}


def test_serve_starts_its_worker_at_the_lower_priority_and_serves_at_its_own(tmp_path: Path):
    with app_server(tmp_path / "data", WORKER_NICENESS="5") as server:
        wait_for(lambda: "Huey consumer started" in server.output(), 60, "the worker")
        workers = [
            pid for pid in descendants(server.process.pid) if "spawn_main" in command_line(pid)
        ]
        assert len(workers) == 1, [command_line(pid) for pid in descendants(server.process.pid)]
        assert set(thread_niceness(workers[0]).values()) == {min(19, OWN_NICENESS + 5)}
        assert set(thread_niceness(server.process.pid).values()) == {OWN_NICENESS}
