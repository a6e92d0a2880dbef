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
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(_timed_out(timeout, what, details))
        time.sleep(interval)


async def wait_for_async(
    condition: Callable[[], Any],
    timeout: float = 5,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """`wait_for` inside an event loop: the loop keeps running (handlers, live updates)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(_timed_out(timeout, what, None))
        await asyncio.sleep(interval)


def _timed_out(timeout: float, what: str, details: Callable[[], str] | None) -> str:
    message = f"timed out after {timeout:g} s waiting for {what}"
    return f"{message}\n{details()}" if details else message
