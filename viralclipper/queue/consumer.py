"""Running workers: `viralclipper worker` on any machine, or the embedded one that `serve` starts
in a child process (Huey's consumer installs signal handlers, which needs a main thread)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from contextlib import suppress
from multiprocessing.process import BaseProcess
from pathlib import Path

from viralclipper.config import get_settings
from viralclipper.logs import configure_logging
from viralclipper.models import upgrade_database
from viralclipper.models.db import dispose_engines
from viralclipper.queue.app import get_queue
from viralclipper.queue.cleanup import clean_cache_safely
from viralclipper.queue.outage import quiet_huey_polls
from viralclipper.queue.recovery import RecoveryLoop, recover_when_possible


def run_worker(workers: int | None = None, worker_type: str | None = None) -> None:
    """Consume jobs until SIGINT/SIGTERM; recovers stale jobs at start and periodically."""
    settings = get_settings()
    lower_priority(settings.worker_niceness)
    configure_logging(logging.INFO)
    quiet_huey_polls()
    upgrade_database()
    queue = get_queue()
    recover_when_possible()
    clean_cache_safely()
    loop = RecoveryLoop().start()
    dispose_engines()  # process workers fork: never share pooled connections across a fork
    consumer = queue.huey.create_consumer(
        workers=workers or settings.worker_count,
        worker_type=worker_type or settings.worker_type,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.2,
        check_worker_health=True,
    )
    try:
        consumer.run()
    finally:
        loop.stop()


def lower_priority(niceness: int) -> None:
    """Add `niceness` to this process's, in every thread: Linux keeps a niceness per thread, and
    some start before the worker does. Threads (Huey's, Whisper's) and processes (ffmpeg)
    started later inherit it."""
    if not niceness:
        return
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():  # not Linux: the niceness is the process's
        os.nice(niceness)
        return
    for task in tasks.iterdir():
        thread = int(task.name)
        with suppress(OSError):  # the thread ended meanwhile
            lowered = min(19, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
            os.setpriority(os.PRIO_PROCESS, thread, lowered)


def start_embedded_worker() -> BaseProcess:
    """A worker in a child process, for `viralclipper serve` in embedded mode."""
    process = multiprocessing.get_context("spawn").Process(
        target=run_worker, name="viralclipper-worker", daemon=True
    )
    process.start()
    return process
