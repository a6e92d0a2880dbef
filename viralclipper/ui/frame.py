"""The shared page frame: header with the app name, navigation, user menu, and live updates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nicegui import app, context, ui

from viralclipper.models.tables import User
from viralclipper.ui.auth import end_session
from viralclipper.ui.live import LiveJobs

APP_NAME = "Viral Clipper"
NAVIGATION = [
    ("Dashboard", "/", "space_dashboard"),
    ("Jobs", "/jobs", "movie"),
    ("Clips", "/clips", "video_library"),
    ("Settings", "/settings", "tune"),
]
BRAND_COLORS = {
    "primary": "#5b4bdb",
    "secondary": "#1f2937",
    "accent": "#f43f5e",
    "positive": "#16a34a",
    "negative": "#dc2626",
}

# Every page: a light grey page (Quasar's grey-1), button labels as written (sentence case; Quasar
# capitalises them by default), and a toast's buttons in the toast's own text colour (Quasar draws
# them in the primary colour: purple on the red of an error).
THEME_CSS = """
body { background: #fafafa; }
.q-btn, .q-tab { text-transform: none; }
.q-notification__actions { color: inherit; }
"""


def apply_theme() -> None:
    """The colours and CSS of every page, set once for the app: in each page's HTML head, not
    three elements built on every page load."""
    app.colors(**BRAND_COLORS)
    ui.add_css(THEME_CSS, shared=True)


@contextmanager
def frame(title: str, user: User, live: LiveJobs | None = None) -> Iterator[LiveJobs]:
    """Header and navigation around the page content; yields the page's live job updates
    (`live`, made before the page read what it shows, or new here)."""
    ui.page_title(f"{title} · {APP_NAME}")
    path = context.client.page.path
    items = NAVIGATION + ([("Users", "/users", "group")] if user.is_admin else [])
    with ui.header(elevated=False).classes(
        "bg-white text-grey-9 border-b border-gray-200 px-2 md:px-4 py-2 items-center no-wrap"
    ):
        navigation_menu(items, path)
        with ui.link(target="/").classes("flex items-center gap-2 no-underline text-grey-9 mr-4"):
            ui.icon("movie_filter", color="primary", size="md")
            ui.label(APP_NAME).classes("text-h6 font-bold tracking-tight")
        with ui.row().classes("gap-1 items-center gt-sm"):
            for label, target, icon in items:
                active = is_active(target, path)
                button = ui.button(label, icon=icon, on_click=lambda t=target: ui.navigate.to(t))
                button.props("flat" + (" color=primary" if active else " color=grey-8"))
                if active:
                    button.classes("bg-indigo-1")
        ui.space()
        user_menu(user)
    live = live or LiveJobs(context.client, user.id)
    live.on_update(live.toast_on_finish)
    with ui.column().classes("w-full max-w-screen-xl mx-auto p-0 sm:p-4 md:p-6 gap-4 sm:gap-6"):
        ui.label(title).classes("text-h5 font-bold text-grey-9")
        yield live


def is_active(target: str, path: str) -> bool:
    return path == target or (target != "/" and path.startswith(target))


def navigation_menu(items: list[tuple[str, str, str]], path: str) -> None:
    """The navigation as a menu button, in place of the buttons, on screens narrower than 1024 px
    (Quasar's `lt-md`): a phone keeps a one-row header."""

    def build() -> None:
        for label, target, icon in items:
            active = is_active(target, path)
            with ui.menu_item(on_click=lambda t=target: ui.navigate.to(t)).classes(
                "text-primary bg-indigo-1" if active else "text-grey-9"
            ) as item:
                item.mark(f"navigation-{label.lower()}")
                with ui.item_section().props("avatar"):
                    ui.icon(icon)
                ui.item_section(label)

    button = ui.button(icon="menu").props("flat round color=grey-8").classes("lt-md")
    menu_on_demand(button.mark("navigation-menu"), "anchor='bottom left' self='top left'", build)


def user_menu(user: User) -> None:
    def build() -> None:
        with ui.item().props("dense"), ui.item_section():
            ui.item_label(user.email).classes("font-medium")
            ui.item_label("Administrator" if user.is_admin else "Member").props("caption")
        ui.separator()
        ui.menu_item("Change password", on_click=lambda: ui.navigate.to("/account")).mark(
            "change-password-menu"
        )
        ui.menu_item("Log out", on_click=log_out).mark("logout")

    button = ui.button(icon="account_circle").props("flat round color=grey-8")
    menu_on_demand(button.mark("user-menu"), "anchor='bottom right' self='top right'", build)


def menu_on_demand(button: ui.button, props: str, build: Callable[[], None]) -> None:
    """A menu under `button` that `build` fills on the button's first click, then opens; later
    clicks Quasar handles by itself. Most page loads never open a menu, and each load would
    otherwise build every item of every menu."""
    menu: ui.menu | None = None

    def open_menu() -> None:
        nonlocal menu
        if menu is None:
            with button, ui.menu().props(props).classes("min-w-[14rem]") as menu:
                build()
            menu.open()

    button.on_click(open_menu)


async def log_out() -> None:
    await end_session()
    ui.navigate.to("/login")


@contextmanager
def centered_card(title: str, subtitle: str | None = None) -> Iterator[ui.card]:
    """The frame of the pages without a session: login, register."""
    ui.page_title(f"{title} · {APP_NAME}")
    with ui.column().classes("w-full min-h-[85vh] items-center justify-center p-4 gap-4"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("movie_filter", color="primary", size="lg")
            ui.label(APP_NAME).classes("text-h4 font-bold tracking-tight")
        with ui.card().classes("w-full max-w-sm p-6 gap-4") as card:
            ui.label(title).classes("text-h6 font-medium")
            if subtitle:
                ui.label(subtitle).classes("text-sm text-grey-7 -mt-3")
            yield card
