"""Login, register, and the first run: a fresh instance (no users yet) opens on "create the admin
account" (/setup) instead of the login; registration can be closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi.responses import RedirectResponse
from nicegui import ui

from viralclipper.models import users
from viralclipper.models.tables import User
from viralclipper.ui.auth import (
    TooManyAttempts,
    log_in,
    registration_allowed,
    session_user_id,
    start_session,
)
from viralclipper.ui.components import error_label, form_field, show_error
from viralclipper.ui.frame import centered_card
from viralclipper.ui.io import io_bound

MIN_LENGTH_HINT = f"hint='At least {users.MIN_PASSWORD_CHARS} characters'"
SETUP = "/setup"


async def is_fresh_instance() -> bool:
    return await io_bound(users.count_users) == 0


def client_address() -> str:
    request = ui.context.client.request
    return request.client.host if request.client else "unknown"


def register() -> None:
    @ui.page("/login")
    async def login_page(next: str = "/") -> RedirectResponse | None:
        if await session_user_id() is not None:
            return RedirectResponse("/")
        if await is_fresh_instance():
            return RedirectResponse(SETUP)
        may_register = await io_bound(registration_allowed)
        address = client_address()

        async def submit() -> None:
            error.visible = False
            try:
                user = await log_in(email.value or "", password.value or "", address)
            except (ValueError, TooManyAttempts) as exc:
                show_error(error, str(exc))
                password.value = ""
                return
            ui.navigate.to(start_session(user, next))

        with centered_card("Log in", "Welcome back. Paste a video, get clips."):
            email = form_field("Email", props="autofocus", on_enter=submit, mark="email")
            password = form_field(
                "Password", password=True, toggle=True, on_enter=submit, mark="password"
            )
            error = error_label()
            ui.button("Log in", on_click=submit).props("unelevated size=md no-caps").classes(
                "w-full"
            ).mark("login-button")
            if may_register:
                with ui.row().classes("w-full justify-center gap-1 text-sm"):
                    ui.label("No account yet?").classes("text-grey-7")
                    ui.link("Create one", "/register")
        return None

    @ui.page("/register")
    async def register_page() -> RedirectResponse | None:
        if await session_user_id() is not None:
            return RedirectResponse("/")
        if await is_fresh_instance():
            return RedirectResponse(SETUP)
        may_register = await io_bound(registration_allowed)

        async def create(email: str, password: str) -> User:
            if not await io_bound(registration_allowed):
                raise ValueError("Registration is closed: ask an admin to add you.")
            return await io_bound(users.create_user, email, password)

        with centered_card("Create an account", "Create your account."):
            if not may_register:
                ui.label("Registration is closed. Ask an administrator to add you.").classes(
                    "text-grey-8"
                )
                ui.link("Back to login", "/login")
                return None
            account_form("Create account", create)
        return None

    @ui.page(SETUP)
    async def setup_page() -> RedirectResponse | None:
        """The first run: the first account, the admin. Once anyone exists this page is gone;
        `create_first_admin` checks it again in the same statement that inserts."""
        if not await is_fresh_instance():
            return RedirectResponse("/login")

        async def create(email: str, password: str) -> User:
            return await io_bound(users.create_first_admin, email, password)

        with centered_card(
            "Create the admin account",
            "Welcome to Viral Clipper. This first account administers this server: it can add "
            "users and change the instance settings.",
        ):
            account_form("Create admin account", create, login_link=False)
        return None


def account_form(
    label: str, create: Callable[[str, str], Awaitable[User]], *, login_link: bool = True
) -> None:
    """Email, password twice and a button that calls `create` and starts the new user's
    session; its ValueError is shown under the fields."""

    async def submit() -> None:
        error.visible = False
        if password.value != repeat.value:
            show_error(error, "The two passwords do not match.")
            return
        try:
            user = await create(email.value or "", password.value or "")
        except ValueError as exc:
            show_error(error, str(exc))
            return
        ui.navigate.to(start_session(user, "/"))

    email = form_field("Email", props="autofocus", mark="email")
    password = form_field(
        "Password", password=True, toggle=True, props=MIN_LENGTH_HINT, mark="password"
    )
    repeat = form_field("Repeat password", password=True, on_enter=submit, mark="repeat")
    error = error_label()
    ui.button(label, on_click=submit).props("unelevated no-caps").classes("w-full").mark(
        "register-button"
    )
    if login_link:
        with ui.row().classes("w-full justify-center gap-1 text-sm"):
            ui.label("Already registered?").classes("text-grey-7")
            ui.link("Log in", "/login")
