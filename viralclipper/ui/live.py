"""Live job updates for one open page: one queue subscription per client, delivered on the event
loop as a NiceGUI `Event`, so every page of every open browser of a user moves on its own.

Updates are cheap in-place changes; what needs a rebuild of a whole section goes through
`debounced`, so a busy queue rebuilds each section at most once per `REFRESH_SECONDS`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from inspect import isawaitable
from typing import Any

from nicegui import Client, Event, ui

from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import Job
from viralclipper.queue import events
from viralclipper.queue.transport import JobUpdate

REFRESH_SECONDS = 0.5  # how often a page looks for sections to rebuild
# A job this young when the page opened was just submitted: its end is news even if it came first.
FRESH = timedelta(seconds=5)
ENDS = (JobStatus.COMPLETED, JobStatus.FAILED)  # the ends a page tells of with a toast


class LiveJobs:
    """Hears the queue's updates for `user_id` on a background thread and re-emits them on the
    page's event loop. Handlers subscribed inside the page run in its UI context and are dropped
    with the page; the queue subscription ends when the client is deleted (the browser left and
    did not reconnect within NiceGUI's reconnect timeout).

    While the browser has no socket (still loading, or gone and maybe coming back) updates are
    not applied: the newest one per job is kept and replayed when the socket connects."""

    def __init__(self, client: Client, user_id: int) -> None:
        self.updates: Event[JobUpdate] = Event()
        self._client = client
        self._loop = asyncio.get_running_loop()
        self._opened = datetime.fromtimestamp(client.created, UTC)  # the page's request came in
        self._statuses: dict[int, str] = {}
        self._told: set[int] = set()  # jobs whose current end this page has toasted
        self._missed: dict[int, JobUpdate] = {}
        self._dirty: dict[Callable[[], Any], None] = {}  # an ordered set
        self._timer: ui.timer | None = None
        self._unsubscribe = events.subscribe(user_id, self._from_thread)
        client.on_connect(self._connected)
        client.on_delete(self.close)

    def on_update(self, handler: Callable[[JobUpdate], Any]) -> None:
        self.updates.subscribe(handler)

    def seen(self, job: Job) -> None:
        """What the page shows now, so the next update is compared against it. A drawn end that
        is news (see `is_news`) is toasted here: its own update may arrive later, unchanged."""
        self._statuses[job.id] = job.status
        update = JobUpdate.of(job)
        if self.is_news(update):
            self._toast(update)
        elif job.status not in ENDS:
            self._told.discard(job.id)

    def is_news(self, job: JobUpdate) -> bool:
        """The rule users expect: tell of each end once per page if it came after the page
        opened, or the job was just submitted; a reload of an older ended job stays quiet."""
        return job.status in ENDS and (
            (job.finished_at is not None and job.finished_at >= self._opened)
            or (job.created_at is not None and self._opened - job.created_at <= FRESH)
        )

    def debounced(self, refresh: Callable[[], Any]) -> Callable[[], None]:
        """A function that asks for `refresh()` (sync or async, e.g. a refreshable's `refresh`):
        it runs at the page's next refresh tick, once however often it was asked for, and only
        while the browser is connected. Call it while building the page."""
        if self._timer is None:
            self._timer = ui.timer(REFRESH_SECONDS, self._refresh_dirty, immediate=False)

        def mark_dirty() -> None:
            self._dirty[refresh] = None

        return mark_dirty

    def close(self) -> None:
        self._unsubscribe()

    async def _refresh_dirty(self) -> None:
        if not self._dirty or not self._client.has_socket_connection:
            return
        dirty, self._dirty = list(self._dirty), {}
        for refresh in dirty:
            result = refresh()
            if isawaitable(result):
                await result

    def _from_thread(self, update: JobUpdate) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            self._loop.call_soon_threadsafe(self._deliver, update)

    def _deliver(self, update: JobUpdate) -> None:
        if self._client.has_socket_connection:
            self._emit(update)
        else:
            self._missed[update.id] = update

    def _connected(self) -> None:
        missed, self._missed = self._missed, {}
        for update in missed.values():
            self._emit(update)

    def _emit(self, update: JobUpdate) -> None:
        previous = self._statuses.get(update.id)
        self._statuses[update.id] = update.status
        if update.status not in ENDS:
            self._told.discard(update.id)  # a retry or re-analysis: its next end is news again
        elif previous is None and not self.is_news(update):
            self._told.add(update.id)  # not drawn here, and ended before: old news
        self.updates.emit(update.model_copy(update={"status_changed": previous != update.status}))

    def toast_on_finish(self, update: JobUpdate) -> None:
        """A toast when a job completes or fails (with the reason), once per end: the page's
        draw may have told of it already (`seen`)."""
        if update.status_changed:
            self._toast(update)

    def _toast(self, update: JobUpdate) -> None:
        if update.status not in ENDS or update.id in self._told:
            return
        self._told.add(update.id)
        name = update.title or f"Job {update.id}"
        if update.status == JobStatus.COMPLETED:
            ui.notify(f"{name} is ready.", type="positive", icon="check_circle")
        elif update.status == JobStatus.FAILED:
            reason = update.error_message or "no reason given"
            ui.notify(
                f"{name} failed: {reason}",
                type="negative",
                icon="error",
                multi_line=True,
                close_button="OK",
                timeout=0,
            )
