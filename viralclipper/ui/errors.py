"""Unexpected errors: the traceback goes to the server log, the user sees one sentence.

Without this, NiceGUI's error page shows the exception's class and message (paths, SQL, library
internals) to whoever loaded the page.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import Request
from nicegui import app, ui
from starlette.responses import PlainTextResponse, Response

from viralclipper.ui.headers import SECURITY_HEADERS

log = logging.getLogger(__name__)
SENTENCE = "Something went wrong on our side; the error was logged. Please try again."


def error_page() -> None:
    """The page shown when building a page failed (NiceGUI logs the traceback)."""
    with ui.column().classes("w-full items-center p-20 gap-4"):
        ui.icon("error_outline", size="xl", color="negative")
        ui.label(SENTENCE).classes("text-h6 text-center").mark("server-error")
        ui.link("Back to the dashboard", "/")


def notify_user(_exception: Exception) -> None:
    """An event handler failed: tell the user on the page where it happened, if there is one."""
    with contextlib.suppress(RuntimeError):  # no page: a background task
        ui.notify(SENTENCE, type="negative")


async def server_error(request: Request, exception: Exception) -> Response:
    """Any other request (a file route, a middleware): Starlette re-raises the exception after
    this answer, and the server logs its traceback."""
    # Starlette answers this outside every middleware: the headers come with it here.
    return PlainTextResponse(SENTENCE, status_code=500, headers=SECURITY_HEADERS)


def register_error_handlers() -> None:
    app.on_page_exception(error_page)
    app.on_exception(notify_user)
    app.exception_handler(Exception)(server_error)
