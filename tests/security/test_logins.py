"""Logins: guessing is capped before bcrypt, unknown emails cost the same, sessions are renewed at
login and ended by logout and password changes, cookies, weak passwords, no anonymous sessions."""

# `user` here is NiceGUI's simulated browser (tests/ui/conftest.py), not the queue's user.
# ruff: noqa: F401, F811

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import bcrypt
import httpx
import pytest
from nicegui import background_tasks
from nicegui.testing import User

from tests.clock import FakeClock
from tests.security.conftest import second_browser
from tests.test_cli import run_cli
from tests.ui.browser import AppServer, app_server
from tests.ui.conftest import PASSWORD, follow_session, log_in, logged_in, make_account, user
from tests.waiting import wait_for_async
from viralclipper.config import get_settings
from viralclipper.models import users
from viralclipper.queue.windows import MemoryWindows
from viralclipper.ui.auth import LoginLimiter, TooManyAttempts
from viralclipper.ui.auth import log_in as check_login


@pytest.fixture
def bcrypt_checks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every password that reaches bcrypt (the real check still runs)."""
    checked: list[bytes] = []
    real_check = bcrypt.checkpw

    def counted(password: bytes, hashed: bytes) -> bool:
        checked.append(password)
        return real_check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    return checked


def browser_id(client: httpx.AsyncClient) -> str:
    """The browser id inside the signed session cookie (base64 JSON before the signature)."""
    payload = client.cookies["session"].split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["id"]


async def test_twenty_concurrent_wrong_guesses_reach_bcrypt_only_up_to_the_limit(
    user: User, bcrypt_checks: list[bytes]
) -> None:
    make_account()
    await user.open("/login")
    user.find(marker="email").type("ann@example.com")
    user.find(marker="password").type("not the password")
    button = user.find(marker="login-button")
    for _ in range(20):  # twenty clicks before the first check has finished
        button.click()
    await wait_for_async(lambda: len(bcrypt_checks) >= 5, 30, "the admitted guesses")
    await user.should_see("Wrong email or password.", retries=50)
    await wait_for_async(  # every click's handler has run: no straggler still on its way
        lambda: not any("submit" in task.get_name() for task in background_tasks.running_tasks),
        30,
        "every login attempt to finish",
    )
    assert len(bcrypt_checks) == get_settings().login_attempts == 5
    user.find(marker="password").type(PASSWORD)  # the account is locked for the window
    button.click()
    await user.should_see("Too many failed logins. Try again in 5 minutes.", retries=50)
    assert len(bcrypt_checks) == 5


async def test_guesses_across_accounts_are_capped_per_client(
    user: User, bcrypt_checks: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGIN_CLIENT_ATTEMPTS", "4")
    get_settings.cache_clear()
    guesses = [check_login(f"user{n}@example.com", "a guess", "127.0.0.9") for n in range(10)]
    outcomes = await asyncio.gather(*guesses, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, TooManyAttempts)]
    wrong = [o for o in outcomes if isinstance(o, ValueError)]
    assert (len(wrong), len(refused), len(bcrypt_checks)) == (4, 6, 4)
    # another client is not locked out by this one
    with pytest.raises(ValueError, match="Wrong email or password"):
        await check_login("user0@example.com", "a guess", "127.0.0.10")


@pytest.mark.bcrypt_cost
def test_the_dummy_hash_for_unknown_emails_costs_as_much_as_a_real_one() -> None:
    real = users.hash_password(PASSWORD).encode()  # what create_user and set_password store
    cost = lambda hashed: int(hashed.split(b"$")[2])  # noqa: E731 - $2b$<cost>$<salt+hash>
    assert cost(users.dummy_hash()) == cost(real) == users.BCRYPT_ROUNDS >= 12


async def test_logging_in_gives_the_browser_a_new_session_id(user: User) -> None:
    """A session id planted before the login (session fixation) is worth nothing after it."""
    make_account()
    await user.open("/login")
    planted = dict(user.http_client.cookies)
    before = browser_id(user.http_client)
    await log_in(user)
    assert browser_id(user.http_client) != before
    async with second_browser() as attacker:
        attacker.cookies.update(planted)
        response = await attacker.get("/jobs")
        assert response.status_code == 307
        assert response.headers["location"].startswith("/login")


@asynccontextmanager
async def other_session(user: User) -> AsyncIterator[httpx.AsyncClient]:
    """Log the same account in again as `user`, a new browser; yields the first browser, still
    logged in."""
    cookies = dict(user.http_client.cookies)
    user.http_client.cookies.clear()
    await log_in(user)
    async with second_browser() as first:
        first.cookies.update(cookies)
        assert (await first.get("/jobs")).status_code == 200
        yield first


async def test_logging_out_ends_the_users_sessions_on_every_browser(user: User) -> None:
    await logged_in(user)
    async with other_session(user) as first:
        user.find(marker="user-menu").click()
        user.find(marker="logout").click()
        await user.should_see(marker="login-button", retries=50)
        response = await first.get("/jobs")
        assert response.status_code == 307


async def test_pages_an_ended_session_left_open_can_do_nothing_more(user: User) -> None:
    """A tab opened before the logout (in another browser) is sent away and its server side
    deleted, so its websocket cannot add or delete jobs any more."""
    await logged_in(user)
    # The other browser does not log in through the page: the simulation has one global
    # `ui.navigate`, pointed at whichever simulated browser's page last sent an update, so the
    # dashboard `user` has open could take the other browser's navigation to its ticket.
    async with other_session(user) as first:
        other = User(first)
        left_open = await other.open("/jobs")
        follow_session(user)
        user.find(marker="user-menu").click()
        user.find(marker="logout").click()
        await wait_for_async(lambda: left_open.is_deleted, 10, "the other page to be closed")


async def test_changing_the_password_ends_the_other_sessions_but_not_this_one(
    user: User,
) -> None:
    await logged_in(user)
    async with other_session(user) as first:
        await user.open("/account")
        user.find("Current password").type(PASSWORD)
        user.find("New password").type("a brand new passphrase")
        user.find("Repeat the new password").type("a brand new passphrase")
        user.find(marker="change-password").click()
        await user.should_see(
            "Your password was changed; your other sessions were logged out.", retries=50
        )
        assert (await first.get("/jobs")).status_code == 307
        await user.open("/jobs")
        await user.should_see(marker="url-input")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("nine char", "at least 10 characters"),
        ("Password123", "one of the most common"),
        ("qwertyuiop", "one of the most common"),
    ],
)
async def test_weak_passwords_are_refused_at_registration(
    user: User, password: str, message: str
) -> None:
    await user.open("/register")
    user.find(marker="email").type("ann@example.com")
    user.find(marker="password").type(password)
    user.find(marker="repeat").type(password)
    user.find(marker="register-button").click()
    await user.should_see(content=message, retries=50)
    assert users.count_users() == 0


async def test_a_weak_new_password_is_refused(user: User) -> None:
    account = await logged_in(user)
    await user.open("/account")
    user.find("Current password").type(PASSWORD)
    user.find("New password").type("password1234")
    user.find("Repeat the new password").type("password1234")
    user.find(marker="change-password").click()
    await user.should_see(content="one of the most common", retries=50)
    assert users.authenticate(account.email, PASSWORD) is not None


def test_user_create_refuses_a_weak_password() -> None:
    data_dir = str(get_settings().data_dir)
    result = run_cli(
        "user",
        "create",
        "ops@example.com",
        stdin="1234567890\n",
        env={"VIRALCLIPPER_DATA_DIR": data_dir},
    )
    assert result.returncode != 0
    assert "one of the most common" in result.stderr
    assert "Traceback" not in result.stderr


def session_files(server: AppServer) -> list[str]:
    folder = server.data_dir / "sessions"
    return sorted(p.name for p in folder.glob("storage-user-*")) if folder.exists() else []


def test_anonymous_requests_leave_no_session_files(server: AppServer) -> None:
    for path in ("/login", "/register", "/jobs", "/", "/settings", "/login?next=/clips"):
        for _ in range(3):  # a new browser each time: no cookie
            httpx.get(server.url(path), timeout=30)
    assert session_files(server) == []


def test_the_session_cookie_is_httponly_and_only_secure_with_secure_cookies(
    server: AppServer, tmp_path
) -> None:
    plain = httpx.get(server.url("/login"), timeout=30).headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    with app_server(tmp_path / "data", SECURE_COOKIES="true") as secure_server:
        cookie = httpx.get(secure_server.url("/login"), timeout=30).headers["set-cookie"]
    assert "secure" in cookie.lower().split("; ")


async def test_the_page_after_login_is_a_local_path_only(user: User) -> None:
    make_account()
    await user.open("/login?next=//127.0.0.1:9/phish")  # another origin: dropped
    user.find(marker="email").type("ann@example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="login-button").click()
    await user.should_see("Dashboard", retries=50)  # the home page, not the other origin


def test_a_locked_account_may_try_again_once_the_window_has_passed() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(MemoryWindows(clock))
    for _ in range(get_settings().login_attempts):
        limiter.admit("ann@example.com", "127.0.0.9")
    clock.now += 60
    with pytest.raises(TooManyAttempts, match="Try again in 4 minutes"):
        limiter.admit("ann@example.com", "127.0.0.9")
    clock.now += get_settings().login_window_seconds - 60
    limiter.admit("ann@example.com", "127.0.0.9")  # the first attempts have aged out
