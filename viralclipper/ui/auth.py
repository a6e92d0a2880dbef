"""Sessions, the login guard and the login rate limit.

A session is `app.storage.user` holding `user_id` and `epoch` (NiceGUI's server-side user storage,
keyed by a browser id in the signed session cookie). It is valid while `epoch` equals the user's
`session_epoch` in the database: logging out and changing the password bump that, which ends the
user's sessions on every browser. Logging in gives the browser a new id (`/login/complete`), so
nothing an attacker planted before the login survives it. Nothing is written to the storage for
anonymous visitors, so they leave no session files behind.

The middleware sends every page request without a session to /login?next=PATH; file routes and
pages also check the user and the ownership of what they show themselves (see `current_user`).
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import Client, app, context, ui
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from viralclipper.config import get_settings
from viralclipper.models import users
from viralclipper.models.tables import User
from viralclipper.queue.backend import get_backend
from viralclipper.queue.windows import Windows
from viralclipper.ui.io import io_bound

PUBLIC_PAGES = {"/login", "/register", "/setup"}
# NiceGUI's default response timeout, kept: the job page of a 2-hour video builds in 0.2 s at
# worst (bench/web.py --long-video). A build still going then (a stalled database) fails into
# our error page; NiceGUI, whose own timeout is set a second later, would answer a bare one.
PAGE_BUILD_SECONDS = 3.0
COMPLETE_LOGIN = "/login/complete"
# NiceGUI's own assets, websocket and upload routes, and the file routes (which check the session
# themselves and answer 404 rather than redirect a <video> request to a login page); the API
# (its token answers for it: 401, never a redirect) and the operations routes.
PUBLIC_PREFIXES = ("/_nicegui", "/media/", "/favicon", COMPLETE_LOGIN, "/api/")
OPERATIONS = {"/api", "/health", "/metrics"}
TICKET_SECONDS = 60.0
PAGE_USER_KEY = "viralclipper_user_id"
CLOSE_PAGES_AFTER_SECONDS = 1.0  # time for the page to receive its navigation to /login


class AuthMiddleware(BaseHTTPMiddleware):
    """Redirects page requests without a session to /login, remembering where they wanted to go."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path in PUBLIC_PAGES or path in OPERATIONS or path.startswith(PUBLIC_PREFIXES):
            return await call_next(request)
        if await session_user_id() is None:
            return RedirectResponse(f"/login?next={quote(path)}")
        return await call_next(request)


def safe_next(path: str | None) -> str:
    """A local page to go to after logging in (never another site, never a login page)."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")):
        return "/"
    return "/" if path.split("?")[0] in PUBLIC_PAGES else path


def _session_matches(epoch: int | None) -> bool:
    """Whether this browser's session is still the user's (`epoch`: the user's current one, None
    for a deleted user); a stale session is dropped."""
    if epoch is None or epoch != app.storage.user.get("epoch"):
        app.storage.user.clear()  # logged out elsewhere, password changed, or the user was deleted
        return False
    return True


async def session_user_id() -> int | None:
    """The logged-in user's id; None without a valid session. The database read runs off the
    event loop."""
    user_id = app.storage.user.get("user_id")
    if not user_id:
        return None
    epoch = await io_bound(users.session_epoch, int(user_id))
    return int(user_id) if _session_matches(epoch) else None


async def current_user() -> User | None:
    """The logged-in user, or None (no session, a session that was ended, a deleted user). The
    database read runs off the event loop."""
    user_id = app.storage.user.get("user_id")
    if not user_id:
        return None
    user = await io_bound(users.get_user, int(user_id))
    return user if _session_matches(user.session_epoch if user else None) else None


@dataclass(frozen=True)
class _Ticket:
    user_id: int
    browser_id: str
    target: str
    expires: float


class LoginTickets:
    """One-time tickets that turn a checked login (made over the websocket, which cannot set a
    cookie) into a session on the next HTTP request from the same browser."""

    def __init__(self) -> None:
        self._tickets: dict[str, _Ticket] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: int, browser_id: str, target: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
            self._tickets[token] = _Ticket(user_id, browser_id, target, now + TICKET_SECONDS)
        return token

    def redeem(self, token: str, browser_id: str | None) -> _Ticket | None:
        with self._lock:
            ticket = self._tickets.pop(token, None)
        if ticket is None or ticket.expires < time.monotonic() or ticket.browser_id != browser_id:
            return None
        return ticket


tickets = LoginTickets()


def start_session(user: User, target: str | None) -> str:
    """Called where the login or registration was checked; returns the URL that completes it."""
    browser_id = str(app.storage.browser["id"])
    token = tickets.issue(int(user.id), browser_id, safe_next(target))
    return f"{COMPLETE_LOGIN}?ticket={token}"


async def complete_login(request: Request, ticket: str = "") -> RedirectResponse:
    """The session starts here, under a new browser id (no session fixation)."""
    login = tickets.redeem(ticket, request.session.get("id"))
    if login is None:
        return RedirectResponse("/login")
    epoch = await io_bound(users.session_epoch, login.user_id)
    if epoch is None:
        return RedirectResponse("/login")
    app.storage.user.clear()  # whatever the old browser id held, its file included
    new_id = str(uuid.uuid4())
    request.session["id"] = new_id  # SessionMiddleware sends the new signed cookie
    # NiceGUI's middleware creates a browser id's storage at the start of a request; this one
    # got its id mid-request, so create it the same way.
    await app.storage._create_user_storage(new_id)
    app.storage.user.update({"user_id": login.user_id, "epoch": epoch})
    return RedirectResponse(login.target)


async def end_session() -> None:
    """Log out: this session and every other session of the user end."""
    user_id = app.storage.user.get("user_id")
    if user_id:
        await io_bound(users.end_sessions, int(user_id))
        close_other_pages(int(user_id))
    app.storage.user.clear()


async def change_password(user_id: int, password: str) -> None:
    """Set a new password (ValueError when it is refused); the user's other sessions end, this
    one goes on."""
    epoch = await io_bound(users.set_password, user_id, password)
    if epoch is not None:
        app.storage.user["epoch"] = epoch
        close_other_pages(user_id, keep_browser=str(app.storage.browser["id"]))


def close_other_pages(user_id: int, keep_browser: str | None = None) -> None:
    """The user's pages still open in other tabs and browsers go to /login, and their server
    side is deleted soon after: an ended session cannot act through a page it opened before."""
    current = context.client if context.slot_stack else None
    for client in list(Client.instances.values()):
        if (
            client is current
            or client.storage.get(PAGE_USER_KEY) != user_id
            or client.request.session.get("id") == keep_browser
        ):
            continue
        with client:
            ui.navigate.to("/login")
        asyncio.get_running_loop().call_later(CLOSE_PAGES_AFTER_SECONDS, _delete, client)


def _delete(client: Client) -> None:
    if not client.is_deleted:
        client.delete()


def register_routes() -> None:
    app.get(COMPLETE_LOGIN, include_in_schema=False)(complete_login)


class TooManyAttempts(Exception):  # noqa: N818 - reads as what happened
    """Logins for this account or from this client are refused for a while."""


class LoginLimiter:
    """Login attempts that did not succeed, per account and per client address, within
    LOGIN_WINDOW_SECONDS; counted where the backend says (Redis when scaled out, so every web
    process shares them), or in `windows` given.

    An attempt counts from the moment it is admitted, before its password is checked, so that
    concurrent guesses cannot all reach bcrypt; a successful one is taken back.
    """

    def __init__(self, windows: Windows | None = None) -> None:
        self._windows = windows

    @property
    def windows(self) -> Windows:
        return self._windows or get_backend().windows("logins")

    def admit(self, email: str, client: str) -> str:
        """Count an attempt for `email` from `client` and return its stamp; TooManyAttempts with
        a sentence for the user when either has no attempts left."""
        settings = get_settings()
        limits = {
            f"account:{email}": settings.login_attempts,
            f"client:{client}": settings.login_client_attempts,
        }
        admission = self.windows.admit(limits, settings.login_window_seconds)
        if admission.stamp is not None:
            return admission.stamp
        minutes = max(1, round(admission.wait / 60))
        raise TooManyAttempts(
            f"Too many failed logins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )

    def succeeded(self, email: str, client: str, stamp: str) -> None:
        self.windows.take_back((f"account:{email}", f"client:{client}"), stamp)

    def clear(self) -> None:
        self.windows.clear()


limiter = LoginLimiter()


async def log_in(email: str, password: str, client_address: str) -> User:
    """The user for these credentials; ValueError or TooManyAttempts with a sentence otherwise.

    The counting and bcrypt run in threads so the event loop stays free.
    """
    email = email.strip().lower()
    if not email or not password:
        raise ValueError("Enter your email and password.")
    stamp = await io_bound(limiter.admit, email, client_address)  # Redis, when scaled out
    user = await io_bound(users.authenticate, email, password)
    if user is None:
        raise ValueError("Wrong email or password.")
    await io_bound(limiter.succeeded, email, client_address, stamp)
    return user


PageHandler = Callable[..., Awaitable[None] | None]


class PageTooSlow(Exception):
    """A page's build outlasted its deadline."""


def protected_page(path: str) -> Callable[[PageHandler], PageHandler]:
    """`@ui.page(path)` for logged-in users only. The handler receives the user first, then the
    page's own path and query parameters; without a valid session the browser goes to /login.
    A build that takes over PAGE_BUILD_SECONDS fails with `PageTooSlow` (our error page)."""

    def decorate(handler: PageHandler) -> PageHandler:
        async def build(params: dict[str, Any]) -> RedirectResponse | None:
            user = await current_user()
            if user is None:
                return RedirectResponse("/login")
            context.client.storage[PAGE_USER_KEY] = user.id  # see close_other_pages
            result = handler(user, **params)
            if inspect.isawaitable(result):
                await result
            return None

        async def page(**params: Any) -> RedirectResponse | None:
            deadline = asyncio.timeout(PAGE_BUILD_SECONDS)
            try:
                async with deadline:
                    return await build(params)
            except TimeoutError as exc:
                if not deadline.expired():
                    raise
                raise PageTooSlow(f"{path} was not built within {PAGE_BUILD_SECONDS:g} s") from exc

        # NiceGUI and FastAPI read the page's parameters from its signature: the handler's, less
        # the user
        own_parameters = list(inspect.signature(handler).parameters.values())[1:]
        page.__signature__ = inspect.Signature(own_parameters)  # type: ignore[attr-defined]
        page.__name__ = page.__qualname__ = handler.__name__
        ui.page(path, response_timeout=PAGE_BUILD_SECONDS + 1)(page)
        return handler

    return decorate


def registration_allowed() -> bool:
    """Anyone may register while registration is open, and the very first user always may."""
    return get_settings().registration_open or users.count_users() == 0
