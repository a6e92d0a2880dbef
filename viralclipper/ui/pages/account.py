"""The account page (change password, personal API tokens) and the users page (admins: add
users, grant admin)."""

from __future__ import annotations

from nicegui import ui

from viralclipper.models import tokens, users
from viralclipper.models.tables import ApiToken, User
from viralclipper.ui.auth import change_password, protected_page
from viralclipper.ui.components import (
    confirm,
    error_label,
    form_field,
    format_time,
    not_found,
    show_error,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.pages.login import MIN_LENGTH_HINT


def register() -> None:
    @protected_page("/account")
    async def account_page(user: User) -> None:
        owned = await io_bound(tokens.list_tokens, user.id)
        with frame("Account", user), ui.row().classes("w-full gap-6 items-start"):
            password_form(user)
            ApiTokens(user, owned).build()

    @protected_page("/users")
    async def users_page(user: User) -> None:
        with frame("Users", user):
            if not user.is_admin:
                not_found()
                return
            users_admin(user, await io_bound(users.list_users))


def password_form(user: User) -> None:
    async def change() -> None:
        error.visible = False
        if new.value != repeat.value:
            show_error(error, "The two new passwords do not match.")
            return
        if await io_bound(users.authenticate, user.email, current.value or "") is None:
            show_error(error, "Your current password is wrong.")
            return
        try:
            await change_password(user.id, new.value or "")
        except ValueError as exc:
            show_error(error, str(exc))
            return
        for field in (current, new, repeat):
            field.value = ""
        ui.notify(
            "Your password was changed; your other sessions were logged out.", type="positive"
        )

    with ui.card().classes("w-full max-w-md p-6 gap-4"):
        ui.label("Change password").classes("text-subtitle1 font-medium")
        current = form_field("Current password", password=True)
        new = form_field("New password", password=True, toggle=True, props=MIN_LENGTH_HINT)
        repeat = form_field("Repeat the new password", password=True, on_enter=change)
        error = error_label()
        ui.button("Change password", icon="lock_reset", on_click=change).props("unelevated").mark(
            "change-password"
        )


def users_admin(admin: User, members: list[User]) -> None:
    @ui.refreshable
    def user_list() -> None:
        with ui.list().props("separator").classes("w-full"):
            for member in members:
                with ui.item().classes("py-3"):
                    with ui.item_section().props("avatar"):
                        ui.avatar(member.email[0].upper(), color="indigo-1", text_color="primary")
                    with ui.item_section():
                        ui.item_label(member.email).classes("font-medium")
                        ui.item_label(f"since {format_time(member.created_at)}").props("caption")
                    with ui.item_section().props("side"):
                        ui.switch(
                            "Admin",
                            value=member.is_admin,
                            on_change=lambda e, m=member: toggle_admin(m, e.value),
                        ).props("dense").set_enabled(member.id != admin.id)

    async def toggle_admin(member: User, value: bool) -> None:
        await io_bound(users.set_admin, member.id, value)
        ui.notify(f"{member.email} is {'now' if value else 'no longer'} an admin.")

    async def add() -> None:
        error.visible = False
        try:
            await io_bound(
                users.create_user,
                email.value or "",
                password.value or "",
                is_admin=bool(make_admin.value),
            )
        except ValueError as exc:
            show_error(error, str(exc))
            return
        ui.notify(f"Added {email.value.strip().lower()}.", type="positive")
        email.value = password.value = ""
        make_admin.value = False
        members[:] = await io_bound(users.list_users)
        user_list.refresh()

    with ui.row().classes("w-full gap-6 items-start"):
        with ui.card().classes("grow min-w-80 p-2"):
            user_list()
        with ui.card().classes("w-full md:w-96 p-6 gap-3"):
            ui.label("Add a user").classes("text-subtitle1 font-medium")
            ui.label("Share the password with them; they can change it afterwards.").classes(
                "text-sm text-grey-7"
            )
            email = form_field("Email", props="dense")
            password = form_field("Initial password", password=True, toggle=True, props="dense")
            make_admin = ui.checkbox("Administrator")
            error = error_label()
            ui.button("Add user", icon="person_add", on_click=add).props("unelevated")


class ApiTokens:
    """Personal API tokens: made here (the secret is shown once), listed with their last use,
    revoked."""

    def __init__(self, user: User, owned: list[ApiToken]) -> None:
        self.user = user
        self.owned = owned

    def build(self) -> None:
        with ui.card().classes("grow min-w-80 max-w-2xl p-6 gap-3"):
            ui.label("API tokens").classes("text-subtitle1 font-medium")
            ui.label(
                "Scripts use the REST API (/api/docs) with a token: "
                "Authorization: Bearer <token>. A token acts as you; revoke the ones you no "
                "longer use."
            ).classes("text-sm text-grey-7")
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                self.name = form_field("Token name", props="dense", on_enter=self.create)
                self.name.classes("grow").mark("token-name")
                ui.button("Create token", icon="key", on_click=self.create).props(
                    "unelevated"
                ).mark("create-token")
            self.error = error_label()
            self.secret = ui.column().classes("w-full gap-1")
            self.token_list = ui.refreshable(self._list)
            self.token_list()

    def _list(self) -> None:
        if not self.owned:
            ui.label("No tokens yet.").classes("text-sm text-grey-7").mark("no-tokens")
            return
        with ui.list().props("separator dense").classes("w-full"):
            for token in self.owned:
                with ui.item().classes("py-2").mark(f"token-{token.id}"):
                    with ui.item_section():
                        ui.item_label(f"{token.name} ({token.prefix}…)").classes("font-medium")
                        ui.item_label(
                            f"created {format_time(token.created_at)} · last used "
                            f"{format_time(token.last_used_at) if token.last_used_at else 'never'}"
                        ).props("caption")
                    with ui.item_section().props("side"):
                        ui.button("Revoke", on_click=lambda t=token: self.revoke(t)).props(
                            "flat dense color=negative no-caps"
                        ).mark(f"revoke-{token.id}")

    async def create(self) -> None:
        self.error.visible = False
        try:
            _, secret = await io_bound(tokens.create_token, self.user.id, self.name.value or "")
        except ValueError as exc:
            show_error(self.error, str(exc))
            return
        self.name.value = ""
        self.secret.clear()
        with self.secret:
            ui.label("Copy the token now: it is not shown again.").classes(
                "text-sm text-positive font-medium"
            )
            ui.input(value=secret).props("readonly outlined dense").classes(
                "w-full font-mono"
            ).mark("new-token")
        await self._reload()

    async def revoke(self, token: ApiToken) -> None:
        if not await confirm(
            f"Revoke the token {token.name}? Scripts using it stop working.", "Revoke"
        ):
            return
        await io_bound(tokens.revoke_token, token.id, self.user.id)
        ui.notify(f"Revoked {token.name}.")
        await self._reload()

    async def _reload(self) -> None:
        self.owned = await io_bound(tokens.list_tokens, self.user.id)
        self.token_list.refresh()
