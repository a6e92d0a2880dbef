"""Login and register (the first user becomes admin; registration can be closed)."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from viralclipper.models import users
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


def client_address() -> str:
    request = ui.context.client.request
    return request.client.host if request.client else "unknown"


def register() -> None:
    @ui.page("/login")
    async def login_page(next: str = "/") -> RedirectResponse | None:
        if await session_user_id() is not None:
            return RedirectResponse("/")
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
        first = await io_bound(users.count_users) == 0
        may_register = await io_bound(registration_allowed)

        async def submit() -> None:
            error.visible = False
            if not await io_bound(registration_allowed):
                show_error(error, "Registration is closed: ask an admin to add you.")
                return
            if password.value != repeat.value:
                show_error(error, "The two passwords do not match.")
                return
            try:
                user = await io_bound(users.create_user, email.value or "", password.value or "")
            except ValueError as exc:
                show_error(error, str(exc))
                return
            ui.navigate.to(start_session(user, "/"))

        subtitle = (
            "You are the first user: you will be the administrator."
            if first
            else "Create your account."
        )
        with centered_card("Create an account", subtitle):
            if not may_register:
                ui.label("Registration is closed. Ask an administrator to add you.").classes(
                    "text-grey-8"
                )
                ui.link("Back to login", "/login")
                return None
            email = form_field("Email", props="autofocus", mark="email")
            password = form_field(
                "Password", password=True, toggle=True, props=MIN_LENGTH_HINT, mark="password"
            )
            repeat = form_field("Repeat password", password=True, on_enter=submit, mark="repeat")
            error = error_label()
            ui.button("Create account", on_click=submit).props("unelevated no-caps").classes(
                "w-full"
            ).mark("register-button")
            with ui.row().classes("w-full justify-center gap-1 text-sm"):
                ui.label("Already registered?").classes("text-grey-7")
                ui.link("Log in", "/login")
        return None
