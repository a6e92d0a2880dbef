"""Sessions, the login guard and the login rate limit.

A session is `app.storage.user['user_id']` (NiceGUI's signed-cookie user storage). The middleware
sends every page request without one to /login; file routes and pages also check the user and
the ownership of what they show themselves (see `current_user`).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from viralclipper.config import get_settings
from viralclipper.models import users
from viralclipper.models.tables import User

PUBLIC_PAGES = {"/login", "/register"}
# NiceGUI's own assets, websocket and upload routes, and the file routes (which check the session
# themselves and answer 404 rather than redirect a <video> request to a login page).
PUBLIC_PREFIXES = ("/_nicegui", "/media/", "/favicon")


class AuthMiddleware(BaseHTTPMiddleware):
    """Redirects page requests without a session to /login, remembering where they wanted to go."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if (
            not app.storage.user.get("user_id")
            and path not in PUBLIC_PAGES
            and not path.startswith(PUBLIC_PREFIXES)
        ):
            app.storage.user["referrer_path"] = path
            return RedirectResponse("/login")
        return await call_next(request)


def session_user_id() -> int | None:
    user_id = app.storage.user.get("user_id")
    return int(user_id) if user_id else None


def current_user() -> User | None:
    """The logged-in user, or None (no session, or the user was deleted: the session is dropped)."""
    user_id = session_user_id()
    if user_id is None:
        return None
    user = users.get_user(user_id)
    if user is None:
        app.storage.user.clear()
    return user


def start_session(user: User) -> str:
    """Log `user` in; returns the page to go to next."""
    target = app.storage.user.get("referrer_path") or "/"
    app.storage.user.clear()
    app.storage.user.update({"user_id": user.id, "email": user.email})
    return target if target not in PUBLIC_PAGES else "/"


def end_session() -> None:
    app.storage.user.clear()


class TooManyAttempts(Exception):  # noqa: N818 - reads as what happened
    """Logins for this email from this client are refused for a while."""


class LoginLimiter:
    """At most `attempts` failed logins per (email, client address) within `window` seconds."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        window = get_settings().login_window_seconds
        failures = self._failures[key]
        while failures and failures[0] <= now - window:
            failures.popleft()
        return failures

    def check(self, key: tuple[str, str]) -> None:
        """Raise TooManyAttempts with a sentence for the user when `key` is locked out."""
        settings = get_settings()
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) < settings.login_attempts:
                return
            wait = failures[0] + settings.login_window_seconds - now
        minutes = max(1, round(wait / 60))
        raise TooManyAttempts(
            f"Too many failed logins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


limiter = LoginLimiter()


async def log_in(email: str, password: str, client_address: str) -> User:
    """The user for these credentials; ValueError or TooManyAttempts with a sentence otherwise.

    bcrypt runs in a thread so the event loop stays free.
    """
    email = email.strip().lower()
    if not email or not password:
        raise ValueError("Enter your email and password.")
    key = (email, client_address)
    limiter.check(key)
    user = await run.io_bound(users.authenticate, email, password)
    if user is None:
        limiter.failed(key)
        raise ValueError("Wrong email or password.")
    limiter.succeeded(key)
    return user


def registration_allowed() -> bool:
    """Anyone may register while registration is open, and the very first user always may."""
    return get_settings().registration_open or users.count_users() == 0
