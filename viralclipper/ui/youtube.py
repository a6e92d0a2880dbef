"""YouTube in the web app: the Connect routes (to Google and back), the settings' YouTube section
(channels, token state, today's quota) and the Publish dialog of a clip (with live progress)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from nicegui import app, ui
from starlette.responses import RedirectResponse

from viralclipper.models import clips as clip_store
from viralclipper.models import youtube as store
from viralclipper.models.tables import Clip, User, YouTubeAccount, YouTubePublication
from viralclipper.models.youtube import PRIVACIES, UPLOAD_COST
from viralclipper.queue import youtube
from viralclipper.queue.youtube import PipelineError, VideoDetails
from viralclipper.ui.auth import session_user_id
from viralclipper.ui.components import confirm, error_label, section_title, show_error
from viralclipper.ui.io import io_bound

log = logging.getLogger(__name__)
NOTICE_KEY = "youtube_notice"
PRIVATE_UNTIL_VERIFIED = (
    "Until Google verifies this instance's OAuth app, YouTube keeps every video it uploads "
    "private (you can make it public yourself on YouTube): that is YouTube's rule, not ours."
)
FINAL = ("published", "failed")


# The routes ----------------------------------------------------------------------------------


async def connect() -> RedirectResponse:
    user_id = await session_user_id()
    if user_id is None:
        return RedirectResponse("/login", status_code=303)
    try:
        url = await io_bound(youtube.connect_url, user_id)
    except PipelineError as exc:
        app.storage.user[NOTICE_KEY] = str(exc)
        return RedirectResponse("/settings", status_code=303)
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> RedirectResponse:
    user_id = await session_user_id()
    if user_id is None:
        return RedirectResponse("/login", status_code=303)
    query = request.query_params
    if query.get("error") or not query.get("code"):
        app.storage.user[NOTICE_KEY] = (
            "The channel was not connected: Google's consent was refused."
        )
    else:
        try:
            account = await io_bound(
                youtube.finish_connect, user_id, query.get("state", ""), query["code"]
            )
            app.storage.user[NOTICE_KEY] = f"Connected {account.channel_title}."
        except PipelineError as exc:
            app.storage.user[NOTICE_KEY] = str(exc)
        except Exception:
            log.exception("connecting a YouTube channel failed")
            app.storage.user[NOTICE_KEY] = "The channel could not be connected: try again."
    return RedirectResponse("/settings", status_code=303)


def register_routes() -> None:
    app.get("/youtube/connect", include_in_schema=False)(connect)
    app.get("/youtube/callback", include_in_schema=False)(callback)


# Settings: the channels ----------------------------------------------------------------------


@dataclass
class ChannelsState:
    configured: bool
    redirect_uri: str
    accounts: list[YouTubeAccount]
    quota: youtube.Quota


def read_channels(user_id: int) -> ChannelsState:
    return ChannelsState(
        youtube.configured(), youtube.redirect_uri(), store.list_accounts(user_id), youtube.quota()
    )


def token_state(account: YouTubeAccount) -> str:
    if account.needs_reconnect:
        return "Sign-in revoked or expired: connect again"
    return "Connected"


class ChannelsSection:
    def __init__(self, user: User, state: ChannelsState) -> None:
        self.user, self.state = user, state

    def build(self) -> None:
        notice = app.storage.user.pop(NOTICE_KEY, None)
        with ui.card().classes("w-full p-5 gap-3").mark("youtube-settings"):
            section_title("YouTube", "smart_display")
            if notice:
                ui.label(notice).classes("w-full rounded bg-blue-1 p-2 text-sm").mark(
                    "youtube-notice"
                )
            self.channels()

    @ui.refreshable_method
    def channels(self) -> None:
        state = self.state
        if not state.configured:
            ui.label(
                f"{youtube.NOT_CONFIGURED} Register this redirect URI with the OAuth client in "
                f"the Google Cloud console: {state.redirect_uri}"
            ).classes("text-sm").mark("youtube-not-configured")
            return
        quota = state.quota
        ui.label(
            f"Uploads today: {quota.uploads_today}; {quota.uploads_left} left "
            f"(the Google project's {quota.units_per_day} quota units a day, {UPLOAD_COST} an "
            "upload)."
        ).classes("text-sm text-grey-8").mark("youtube-quota")
        ui.label(PRIVATE_UNTIL_VERIFIED).classes("text-xs text-grey-7")
        for account in state.accounts:
            with ui.row().classes("w-full items-center gap-3").mark(f"channel-{account.id}"):
                if account.channel_thumbnail:
                    ui.image(account.channel_thumbnail).classes("w-10 h-10 rounded-full")
                with ui.column().classes("gap-0 grow"):
                    ui.label(account.channel_title or account.channel_id).classes("font-medium")
                    ui.label(token_state(account)).classes(
                        "text-xs " + ("text-negative" if account.needs_reconnect else "text-grey-7")
                    )
                ui.button("Disconnect", on_click=lambda a=account: self.disconnect(a)).props(
                    "flat dense no-caps color=negative"
                ).mark(f"disconnect-{account.id}")
        ui.button("Connect YouTube", icon="add_link").props(
            "no-caps href=/youtube/connect tag=a"
        ).mark("youtube-connect")

    async def disconnect(self, account: YouTubeAccount) -> None:
        title = account.channel_title or account.channel_id
        if not await confirm(
            f"Disconnect {title}? Its sign-in is revoked at Google.", "Disconnect"
        ):
            return
        try:
            revoked = await io_bound(youtube.disconnect, self.user.id, account.id)
        except PipelineError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(
            f"Disconnected {title}."
            if revoked
            else f"Disconnected {title}; Google did not confirm the revocation."
        )
        self.state = await io_bound(read_channels, self.user.id)
        self.channels.refresh()


# The Publish dialog --------------------------------------------------------------------------


@dataclass
class PublishState:
    clip: Clip
    accounts: list[YouTubeAccount]
    suggested: VideoDetails
    warnings: list[str]
    publications: list[YouTubePublication]
    configured: bool


def read_publish(user_id: int, clip_id: int) -> PublishState | None:
    clip = clip_store.get_clip(clip_id, user_id)
    if clip is None:
        return None
    return PublishState(
        clip,
        [a for a in store.list_accounts(user_id) if not a.needs_reconnect],
        youtube.suggested_details(clip),
        youtube.clip_warnings(clip),
        store.publications_of([clip.id])[clip.id],
        youtube.configured(),
    )


def youtube_links(clip_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each clip's videos on YouTube as (channel, URL), in one query."""
    return {
        clip_id: [(p.channel_title or p.channel_id, p.url) for p in found if p.url]
        for clip_id, found in store.publications_of(clip_ids).items()
    }


def publication_line(publication: YouTubePublication) -> str:
    where = publication.channel_title or publication.channel_id
    if publication.status == "published":
        when = "scheduled" if youtube.scheduled(publication) else "published"
        return f"{where}: {when} ({publication.privacy})"
    if publication.status == "failed":
        return f"{where}: failed: {publication.error}"
    return f"{where}: {publication.status} {publication.progress:.0f}%"


def parse_time(text: str) -> datetime | None:
    """An ISO date and time (UTC unless it says otherwise); None for an empty field."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PipelineError("Write the time as 2026-12-24 18:00 (UTC) or with an offset.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PublishDialog:
    """One per page: `open(clip_id)` fills it for that clip."""

    def __init__(self, user: User) -> None:
        self.user = user
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-xl gap-3"):
            self.body = ui.column().classes("w-full gap-3").mark("publish-dialog")
        self.timer: ui.timer | None = None

    async def open(self, clip_id: int) -> None:
        state = await io_bound(read_publish, self.user.id, clip_id)
        if state is None:
            return
        self.body.clear()
        with self.body:
            self.form(state)
        self.dialog.open()

    def form(self, state: PublishState) -> None:
        section_title(f"Publish “{state.clip.title}”", "smart_display")
        for publication in state.publications:
            with ui.row().classes("w-full items-center gap-2 text-xs"):
                ui.label(publication_line(publication)).classes("text-grey-8 grow")
                if publication.url:
                    ui.link("Open on YouTube", publication.url, new_tab=True)
                if state.configured and state.accounts and youtube.can_retry(publication):
                    ui.button("Try again", on_click=lambda p=publication: self.retry(p.id)).props(
                        "flat dense no-caps"
                    ).mark(f"retry-{publication.id}")
        if not state.configured or not state.accounts:
            ui.label(
                "Connect a YouTube channel in Settings first."
                if state.configured
                else youtube.NOT_CONFIGURED
            ).classes("text-sm")
            ui.link("Settings", "/settings")
            return
        for warning in state.warnings:
            ui.label(warning).classes("text-sm text-orange-9").mark("short-warning")
        ui.label("Shorts take no custom thumbnail: YouTube picks a frame.").classes(
            "text-xs text-grey-7"
        )
        suggested = state.suggested
        channels = {a.id: a.channel_title or a.channel_id for a in state.accounts}
        self.channel = ui.select(channels, value=state.accounts[0].id, label="Channel")
        self.title = (
            ui.input("Title", value=suggested.title).props("maxlength=100").mark("publish-title")
        )
        self.description = ui.textarea("Description", value=suggested.description)
        self.tags = ui.input("Tags (comma separated)", value=", ".join(suggested.tags))
        self.privacy = ui.select(list(PRIVACIES), value="private", label="Privacy").mark(
            "publish-privacy"
        )
        self.publish_at = ui.input(
            "Schedule (optional, UTC: 2026-12-24 18:00; needs private)"
        ).mark("publish-at")
        self.for_kids = (
            ui.radio({False: "Not made for kids", True: "Made for kids"}, value=None)
            .props("inline")
            .mark("made-for-kids")
        )
        ui.label(PRIVATE_UNTIL_VERIFIED).classes("text-xs text-grey-7")
        self.error = error_label()
        self.progress = ui.linear_progress(value=0, show_value=False).mark("publish-progress")
        self.progress.visible = False
        self.status = ui.label().classes("text-sm").mark("publish-status")
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=self.close).props("flat no-caps")
            self.send = (
                ui.button("Publish", icon="upload", on_click=lambda: self.publish(state.clip.id))
                .props("no-caps")
                .mark("publish-send")
            )

    def details(self) -> VideoDetails:
        if self.for_kids.value is None:
            raise PipelineError("Say whether the video is made for kids (YouTube asks).")
        tags = [t.strip() for t in (self.tags.value or "").split(",") if t.strip()]
        return VideoDetails(
            title=self.title.value or "",
            description=self.description.value or "",
            tags=tags,
            privacy=self.privacy.value,
            publish_at=parse_time(self.publish_at.value or ""),
            made_for_kids=bool(self.for_kids.value),
        )

    async def publish(self, clip_id: int) -> None:
        try:
            details = self.details()
            publication = await io_bound(
                youtube.publish, self.user.id, clip_id, self.channel.value, details
            )
        except PipelineError as exc:
            show_error(self.error, str(exc))
            return
        self.watch(publication.id)

    async def retry(self, publication_id: int) -> None:
        try:
            await io_bound(youtube.retry, self.user.id, publication_id)
        except PipelineError as exc:
            show_error(self.error, str(exc))
            return
        self.watch(publication_id)

    def watch(self, publication_id: int) -> None:
        """Show the publication's progress live until it is published or fails."""
        self.error.visible = False
        self.send.disable()
        self.progress.visible = True
        self.status.set_text("Queued…")
        if self.timer is not None:
            self.timer.cancel()
        self.timer = ui.timer(1.0, lambda: self.poll(publication_id))

    async def poll(self, publication_id: int) -> None:
        publication = await io_bound(store.get_publication, publication_id, self.user.id)
        if publication is None:
            return
        self.progress.set_value(publication.progress / 100)
        self.status.set_text(publication_line(publication))
        if publication.status in FINAL and self.timer is not None:
            self.timer.cancel()
            self.timer = None
            if publication.status == "failed":
                self.send.enable()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.dialog.close()
