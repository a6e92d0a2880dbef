"""MAX_UPLOAD_MB enforced on the server while an upload streams in.

The browser's uploader checks the size too, but a direct POST skips it. NiceGUI receives
`ui.upload` files on `/_nicegui/client/{client}/upload/{element}` and parses the whole multipart
body before our handler sees a byte, so the limit sits in front of it, at the ASGI level: a
declared Content-Length over the limit is refused before reading, and the body's bytes are counted
as they arrive, so a chunked or lying upload stops with 413 as soon as it passes the limit.
Starlette's form parser closes (and so deletes) its spooled temporary files when the body fails,
and the upload handler, which writes into the data dir, never runs: nothing stays on disk.
"""

from __future__ import annotations

import json
import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from viralclipper.config import get_settings

log = logging.getLogger(__name__)
# NiceGUI's uploader, and the API's upload (api/jobs.py)
UPLOAD_PATH = re.compile(r"^(/_nicegui/client/[^/]+/upload/[^/]+|/api/v1/jobs/upload/?)$")
MULTIPART_OVERHEAD = 64 * 1024  # part headers and boundaries around the file itself


class UploadTooLarge(Exception):  # noqa: N818 - reads as what happened
    pass


def upload_limit_bytes() -> int:
    return get_settings().max_upload_mb * 1024 * 1024


def too_large_message() -> str:
    return f"The file is larger than {get_settings().max_upload_mb} MB, the most this server takes."


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class UploadLimit:
    """Answers 413 to an upload whose body passes MAX_UPLOAD_MB (plus multipart overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not UPLOAD_PATH.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        limit = upload_limit_bytes() + MULTIPART_OVERHEAD
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            log.warning("upload refused: Content-Length %d is over the limit", declared)
            await _refuse(scope, send)
            return
        received = 0
        started = False
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise UploadTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if too_large:  # FastAPI turns a failed body into its own 400: answer 413 instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    log.warning(
                        "upload refused: its body passed the limit after %d bytes", received
                    )
                    await _refuse(scope, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except* UploadTooLarge:  # `except*`: Starlette's middleware may wrap it in a group
            log.warning("upload refused: its body passed the limit after %d bytes", received)
            if not started:
                await _refuse(scope, send)


async def _refuse(scope: Scope, send: Send) -> None:
    """413 with the sentence: JSON for the API, text for the web app's uploader."""
    if scope["path"].startswith("/api/"):
        body, content_type = (
            json.dumps({"detail": too_large_message()}).encode(),
            b"application/json",
        )
    else:
        body, content_type = too_large_message().encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
