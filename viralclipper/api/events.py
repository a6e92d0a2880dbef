"""GET /api/v1/events: Server-Sent Events of the token owner's job updates (status, progress,
step, error), the API's side of the web app's live updates, from the same hub (queue/events.py)
on both backends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from viralclipper.api.auth import TokenUser
from viralclipper.models import jobs
from viralclipper.queue.events import subscribe
from viralclipper.queue.transport import SQLITE_OVERLAP, JobUpdate

router = APIRouter(tags=["events"])
KEEP_ALIVE_SECONDS = 15.0
BACKLOG = 1000  # updates waiting for a slow reader; older ones are dropped beyond that
SSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "An endless event stream."}
}


def _event(update: JobUpdate) -> str:
    data = update.model_dump_json(exclude={"status_changed", "user_id"})
    return f"event: job\nid: {_event_id(update)}\ndata: {data}\n\n"


def _event_id(update: JobUpdate) -> str:
    return f"{update.id}-{update.updated_at}"


def missed(user_id: int, last_event_id: str | None) -> list[JobUpdate]:
    """Each of the user's jobs as it is now that may have changed after the event
    `last_event_id` (an `_event` id: the job's id, then its updated_at), oldest change first;
    none without one. A change is stamped before it commits, and on SQLite it can commit seconds
    after a later-stamped one: the window starts that much earlier (a job sent again is harmless,
    an event carries its whole state), leaving out only the event the client named itself."""
    stamp = (last_event_id or "").partition("-")[2]
    try:
        since = datetime.fromisoformat(stamp)
    except ValueError:
        return []
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    changed = map(JobUpdate.of, jobs.jobs_updated_since(since - SQLITE_OVERLAP, user_id))
    return [update for update in changed if _event_id(update) != last_event_id]


@router.get("/events", response_class=StreamingResponse, responses=SSE)
async def events(
    user: TokenUser, last_event_id: Annotated[str | None, Header(max_length=100)] = None
) -> StreamingResponse:
    """Each change of one of your jobs as an `event: job` whose data is the job's id, status,
    progress, current_step, error_message, title and updated_at (JSON); a comment line every
    15 s keeps the connection open. A `completed` status means its clips are ready. A
    reconnection with `Last-Event-ID` first gets each job, as it is now, that changed after
    that event."""
    loop = asyncio.get_running_loop()
    updates: asyncio.Queue[JobUpdate] = asyncio.Queue(maxsize=BACKLOG)

    def put(update: JobUpdate) -> None:
        if updates.full():
            updates.get_nowait()
        updates.put_nowait(update)

    def deliver(update: JobUpdate) -> None:  # on the hub's thread
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
            loop.call_soon_threadsafe(put, update)

    unsubscribe = await run_in_threadpool(subscribe, user.id, deliver)
    # read after subscribing, so a change made meanwhile is sent (maybe twice) rather than lost
    replayed = await run_in_threadpool(missed, user.id, last_event_id)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n: listening\n\n"
            for update in replayed:
                yield _event(update)
            while True:
                try:
                    update = await asyncio.wait_for(updates.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield _event(update)
        finally:
            unsubscribe()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
