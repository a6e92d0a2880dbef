"""Login, register, rate limit, change password, logout, admin-only pages."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from tests.ui.conftest import PASSWORD, log_in, logged_in, make_account
from tests.waiting import wait_for_async
from viralclipper.config import get_settings
from viralclipper.models import users


async def test_a_page_without_a_session_redirects_to_login_and_back(user: User) -> None:
    make_account()
    await user.open("/jobs")
    await user.should_see(marker="login-button")
    user.find(marker="email").type("ann@example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="login-button").click()
    await user.should_see(marker="url-input", retries=50)  # back on the jobs page


async def test_wrong_password_is_refused(user: User) -> None:
    make_account()
    await user.open("/login")
    user.find(marker="email").type("ann@example.com")
    user.find(marker="password").type("not the password")
    user.find(marker="login-button").click()
    await user.should_see("Wrong email or password.", retries=50)
    await user.should_not_see("Dashboard")


async def test_empty_login_form_says_what_is_missing(user: User) -> None:
    make_account()
    await user.open("/login")
    user.find(marker="login-button").click()
    await user.should_see("Enter your email and password.")


async def test_failed_logins_are_rate_limited_per_email(user: User) -> None:
    make_account()
    await user.open("/login")
    user.find(marker="email").type("ann@example.com")
    password = user.find(marker="password").elements.pop()
    for attempt in range(get_settings().login_attempts):
        user.find(marker="password").type(f"wrong {attempt}")
        user.find(marker="login-button").click()
        # a failed attempt empties the password field
        await wait_for_async(lambda: not password.value, 5, "the password field to empty")
        await user.should_see("Wrong email or password.")
    user.find(marker="password").type(PASSWORD)  # even the right password is refused now
    user.find(marker="login-button").click()
    await user.should_see("Too many failed logins. Try again in 5 minutes.", retries=50)
    await user.should_not_see("Dashboard")


async def test_a_fresh_instance_opens_on_creating_the_admin_account(user: User) -> None:
    await user.open("/")  # no users yet: not "Welcome back" but the first-run form
    await user.should_see("Create the admin account")
    await user.should_not_see("Welcome back")
    user.find(marker="email").type("Boss@Example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="repeat").type(PASSWORD)
    user.find(marker="register-button").click()
    await user.should_see("Dashboard", retries=50)
    assert users.get_user_by_email("boss@example.com").is_admin
    await user.open("/users")
    await user.should_see("boss@example.com")
    await user.should_see("Add a user")


async def test_after_the_first_run_the_setup_page_is_gone(user: User) -> None:
    make_account("admin@example.com")
    await user.open("/setup")
    await user.should_see("Welcome back")
    await user.should_not_see("Create the admin account")
    await user.open("/register")
    await user.should_see("Create your account.")


async def test_a_setup_form_left_open_cannot_make_a_second_admin(user: User) -> None:
    """Two browsers open the first-run form; the second to submit is refused (the check is made
    again in the statement that inserts, not only when the page was drawn)."""
    await user.open("/setup")
    make_account("quicker@example.com")  # the other browser won
    user.find(marker="email").type("slower@example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="repeat").type(PASSWORD)
    user.find(marker="register-button").click()
    await user.should_see("This instance already has an admin: log in instead.", retries=50)
    assert users.get_user_by_email("slower@example.com") is None


@pytest.mark.parametrize("page", ["/setup", "/register"])
@pytest.mark.parametrize(
    ("email", "password", "repeat", "message"),
    [
        ("not-an-email", PASSWORD, PASSWORD, "is not a valid email address"),
        ("ann@example.com", "short", "short", "at least 10 characters"),
        ("ann@example.com", PASSWORD, "something else", "The two passwords do not match."),
    ],
)
async def test_register_rejects_bad_input(
    user: User, page: str, email: str, password: str, repeat: str, message: str
) -> None:
    if page == "/register":
        make_account("first@example.com")
    before = users.count_users()
    await user.open(page)
    user.find(marker="email").type(email)
    user.find(marker="password").type(password)
    user.find(marker="repeat").type(repeat)
    user.find(marker="register-button").click()
    await user.should_see(message, retries=50)
    assert users.count_users() == before


async def test_closed_registration_only_lets_an_admin_add_users(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRATION_OPEN", "false")
    get_settings.cache_clear()
    make_account("admin@example.com")  # the first user: admin
    await user.open("/register")
    await user.should_see("Registration is closed")
    await user.should_not_see(marker="register-button")

    await log_in(user, "admin@example.com")
    await user.open("/users")
    user.find("Email").type("bob@example.com")
    user.find("Initial password").type("bobs password")
    user.find("Add user").click()
    await user.should_see("Added bob@example.com.", retries=50)
    assert users.authenticate("bob@example.com", "bobs password") is not None


async def test_the_users_page_is_not_found_for_members(user: User) -> None:
    make_account("admin@example.com")
    await logged_in(user, "member@example.com")
    await user.should_not_see("Users")
    await user.open("/users")
    await user.should_see("This page was not found.")
    await user.should_not_see("Add a user")


async def test_change_password(user: User) -> None:
    account = await logged_in(user)
    await user.open("/account")
    user.find("Current password").type("wrong one")
    user.find("New password").type("a new password")
    user.find("Repeat the new password").type("a new password")
    user.find(marker="change-password").click()
    await user.should_see("Your current password is wrong.", retries=50)

    user.find("Current password").clear().type(PASSWORD)
    user.find(marker="change-password").click()
    await user.should_see(
        "Your password was changed; your other sessions were logged out.", retries=50
    )
    assert users.authenticate(account.email, "a new password") is not None
    assert users.authenticate(account.email, PASSWORD) is None


async def test_log_out_ends_the_session(user: User) -> None:
    await logged_in(user)
    user.find(marker="user-menu").click()
    user.find(marker="logout").click()
    await user.should_see(marker="login-button", retries=50)
    await user.open("/settings")
    await user.should_see(marker="login-button")
