"""NiceGUI's simulated `user` on our app, with helpers to make accounts and log in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from nicegui import app, storage, ui
from nicegui.element_filter import ElementFilter
from nicegui.storage import Storage
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from viralclipper.models import users

MAIN_FILE = Path(__file__).with_name("main_app.py")
PASSWORD = "correct horse battery"


@asynccontextmanager
async def simulated_browser(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[User]:
    """A simulated browser on a fresh app whose data dir (and session storage) is this test's;
    the test fails if the app logged an error."""
    Storage.path = (tmp_path / "nicegui-storage").resolve()
    app.storage = Storage()
    async with user_simulation(main_file=MAIN_FILE) as simulated:
        yield simulated
    errors = [r for r in caplog.get_records("call") if r.levelname == "ERROR"]
    assert not errors, f"unexpected ERROR logs: {[r.getMessage() for r in errors]}"


@pytest.fixture
async def user(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[User]:
    async with simulated_browser(tmp_path, caplog) as simulated:
        yield simulated


def expect_logged(caplog: pytest.LogCaptureFixture, text: str) -> None:
    logged = caplog.get_records("call")
    assert any(r.exc_info and text in str(r.exc_info[1]) for r in logged)
    logged.clear()  # those ERRORs were expected; the fixture fails the test on unexpected ones


def make_account(email: str = "ann@example.com", password: str = PASSWORD, **kwargs):
    return users.create_user(email, password, **kwargs)


async def log_in(user: User, email: str = "ann@example.com", password: str = PASSWORD) -> None:
    await user.open("/login")
    user.find(marker="email").type(email)
    user.find(marker="password").type(password)
    user.find(marker="login-button").click()
    await user.should_see("Dashboard", retries=50)
    follow_session(user)


def follow_session(user: User) -> None:
    """Let the test's event handlers see the session of the page it is on.

    A browser's events carry the request of their page; the simulation runs handlers in the
    test's task, with the request of the last page the test opened itself. After a login that
    page had the browser id from before the login, which the login replaced.
    """
    storage.request_contextvar.set(user._client.request)


async def logged_in(user: User, email: str = "ann@example.com", **kwargs):
    """Create an account and log it in; returns the account."""
    account = make_account(email, **kwargs)
    await log_in(user, email)
    return account


def leave_page(user: User) -> None:
    """The browser leaves the page it is on for good (a real one goes after the reconnect
    timeout): its live updates stop, so only the next page's toasts count."""
    user._client.delete()


def open_dialogs(user: User) -> list[ui.dialog]:
    """The open dialogs (a closed dialog's content still counts as seen in the simulation)."""
    with user:
        return [dialog for dialog in ElementFilter(kind=ui.dialog) if dialog.value]


def shown_rows(user: User) -> dict[int, dict]:
    """The rows the jobs list shows, by job id."""
    [table] = user.find(marker="job-rows").elements
    return {row["id"]: row for row in table.rows}


def offered(user: User, job_id: int) -> set[str]:
    """The actions the row of `job_id` offers besides View and Delete."""
    row = shown_rows(user)[job_id]
    return {action for action in ("cancel", "retry") if row[f"can_{action}"]}
