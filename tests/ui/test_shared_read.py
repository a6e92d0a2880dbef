"""Pages that ask for the same read at about the same time share one (ui/io.py shared_read)."""

from __future__ import annotations

import asyncio
import threading
import time

from nicegui.testing import User

from tests.waiting import wait_for_async
from viralclipper.ui.io import shared_read


class Reads:
    """A read that counts its runs and waits until it is let go."""

    def __init__(self) -> None:
        self.runs = 0
        self.go = threading.Event()

    def read(self, user_id: int, page: int) -> tuple[int, int, int]:
        self.runs += 1
        run = self.runs
        self.go.wait(30)
        return user_id, page, run


async def test_the_same_read_at_once_runs_once_and_other_reads_run_apart(user: User) -> None:
    reads = Reads()
    since = time.monotonic()
    first = asyncio.create_task(shared_read(since, reads.read, 7, 1))
    await wait_for_async(lambda: reads.runs == 1)
    joined = asyncio.create_task(shared_read(since, reads.read, 7, 1))
    other_page = asyncio.create_task(shared_read(since, reads.read, 7, 2))
    await wait_for_async(lambda: reads.runs == 2)
    reads.go.set()
    assert await first == (7, 1, 1) and await joined == (7, 1, 1)
    assert await other_page == (7, 2, 2)


async def test_a_read_begun_before_the_caller_heard_of_a_change_is_not_joined(user: User) -> None:
    reads = Reads()
    first = asyncio.create_task(shared_read(time.monotonic(), reads.read, 7, 1))
    await wait_for_async(lambda: reads.runs == 1)
    changed = time.monotonic()  # a live update arrived while the first read ran
    later = asyncio.create_task(shared_read(changed, reads.read, 7, 1))
    await wait_for_async(lambda: reads.runs == 2)
    reads.go.set()
    assert await first == (7, 1, 1)
    assert await later == (7, 1, 2)
