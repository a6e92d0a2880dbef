"""Blocking work (database, files) off the event loop, so that no page waits on another."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from nicegui import run

P = ParamSpec("P")
R = TypeVar("R")


async def io_bound(callback: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """NiceGUI's `run.io_bound`, typed as what `callback` returns. NiceGUI answers None instead
    while the app shuts down (no page is drawn from that answer) and when the waiting task was
    cancelled: that is raised here, as NiceGUI 4 will, so that e.g. a page past its build
    deadline is not drawn from None ("not found")."""
    result = await run.io_bound(callback, *args, **kwargs)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    return cast(R, result)


_reading: dict[tuple[Callable[..., Any], tuple[Any, ...]], tuple[float, asyncio.Task[Any]]] = {}


async def shared_read(since: float, callback: Callable[..., R], *args: Any) -> R:
    """`io_bound(callback, *args)`, shared by the pages that ask for the same read at about the
    same time (a user's open pages after a live update, many loads at once): a read of the same
    callback and arguments still running that began at or after `since` (time.monotonic()) is
    joined instead of run again. `since` is when the caller last heard of a change (or began
    listening), so a joined read has seen every change the caller knows of; later ones reach
    the caller as live updates."""
    key = (callback, args)
    running = _reading.get(key)
    if running is None or running[0] < since:
        task = asyncio.ensure_future(io_bound(callback, *args))
        running = _reading[key] = (time.monotonic(), task)
        task.add_done_callback(lambda _: _forget(key, task))
    return cast(R, await asyncio.shield(running[1]))


def _forget(key: tuple[Callable[..., Any], tuple[Any, ...]], task: asyncio.Task[Any]) -> None:
    if key in _reading and _reading[key][1] is task:
        del _reading[key]
