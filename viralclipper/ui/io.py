"""Blocking work (database, files) off the event loop, so that no page waits on another."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from nicegui import run

P = ParamSpec("P")
R = TypeVar("R")


async def io_bound(callback: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """NiceGUI's `run.io_bound`, typed as what `callback` returns. NiceGUI answers None instead
    only while the app shuts down or when the waiting page was cancelled (NiceGUI 4 raises
    CancelledError then): no page is drawn from that answer."""
    return cast(R, await run.io_bound(callback, *args, **kwargs))
