"""A user's action on a job from any page (cancel, retry, re-analyze, delete): it runs off the
event loop, and what the user cannot do now (`JobActionError`) becomes one sentence on screen, as
does a job saved while the queue is unreachable."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from viralclipper.models.jobs import JobActionError
from viralclipper.queue.api import QueueUnreachable
from viralclipper.ui.io import io_bound


async def job_action(action: Callable[[int, int], object], job_id: int, user_id: int) -> bool:
    """`action(job_id, user_id)`; False (and a warning shown) when the job does not allow it.
    A job saved while the queue is unreachable counts as done, with a note saying so."""
    try:
        await io_bound(action, job_id, user_id)
    except JobActionError as exc:
        ui.notify(str(exc), type="warning")
        return False
    except QueueUnreachable as exc:
        ui.notify(str(exc), type="info")
    return True
