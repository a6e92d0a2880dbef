"""Unexpected errors: the traceback goes to the server log, the user sees one sentence. An
unknown address: the app's own not-found page, in the frame, with a way back.

Without this, NiceGUI's error pages show the exception's class and message (paths, SQL, library
internals) to whoever loaded the page.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from nicegui import Client, app, ui
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response

from viralclipper.ui.auth import current_user
from viralclipper.ui.components import not_found
from viralclipper.ui.frame import centered_card, frame
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


async def page_not_found(request: Request, exception: Exception) -> Response:
    """No page at this address (guests never get here: they are sent to log in first). A route
    that answered 404 itself (a file, the API) keeps its JSON answer."""
    endpoint = request.scope.get("endpoint")
    answered = endpoint is not None and endpoint is not app
    if (
        answered
        and isinstance(exception, HTTPException)
        and not request.scope.get("nicegui_page_path")
    ):
        return await http_exception_handler(request, exception)
    user = await current_user()
    with Client(ui.page(""), request=request) as client:
        if user is None:
            with centered_card("Not found"):
                ui.label("This page was not found.").mark("not-found")
                ui.link("Go to the login page", "/login")
        else:
            with frame("Not found", user):
                not_found()
    return client.build_response(request, 404)


def register_error_handlers() -> None:
    app.on_page_exception(error_page)
    app.exception_handler(404)(page_not_found)
    app.on_exception(notify_user)
    app.exception_handler(Exception)(server_error)
