"""The one way tests wait: poll a condition until it holds or the time is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def wait_for(
    condition: Callable[[], Any],
    timeout: float = 10,
    what: str = "the condition",
    interval: float = 0.05,
    details: Callable[[], str] | None = None,
) -> Any:
    """Return `condition()`'s first truthy value; fail naming `what` (and `details()`, such as
    a log tail) after `timeout` seconds."""
    deadline = Deadline(timeout, what, details)
    while not (value := condition()):
        deadline.check()
        time.sleep(interval)
    return value


async def wait_for_async(
    condition: Callable[[], Any],
    timeout: float = 5,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """`wait_for` inside an event loop: the loop keeps running (handlers, live updates)."""
    deadline = Deadline(timeout, what, None)
    while not (value := condition()):
        deadline.check()
        await asyncio.sleep(interval)
    return value


class Deadline:
    def __init__(self, timeout: float, what: str, details: Callable[[], str] | None) -> None:
        self.at = time.monotonic() + timeout
        self.timeout, self.what, self.details = timeout, what, details

    def check(self) -> None:
        if time.monotonic() > self.at:
            message = f"timed out after {self.timeout:g} s waiting for {self.what}"
            raise AssertionError(f"{message}\n{self.details()}" if self.details else message)
