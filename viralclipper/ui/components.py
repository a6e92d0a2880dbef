"""Small pieces every page uses: status chips, live progress, thumbnails, clip cards, formatting,
form errors and the yes/no dialog."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from typing import TypeVar
from urllib.parse import unquote, urlsplit
from weakref import WeakKeyDictionary

from nicegui import Client, ui
from nicegui.element import Element
from nicegui.events import ValueChangeEventArguments

from viralclipper.models.jobs import FINISHED_STATES, JobStatus
from viralclipper.models.tables import Clip, Job

STATUS_LOOK: dict[str, tuple[str, str]] = {  # status -> (color, icon)
    JobStatus.PENDING: ("grey-7", "schedule"),
    JobStatus.DOWNLOADING: ("blue-7", "download"),
    JobStatus.TRANSCRIBING: ("indigo-7", "subtitles"),
    JobStatus.ANALYZING: ("deep-purple-7", "psychology"),
    JobStatus.SLICING: ("teal-7", "content_cut"),
    JobStatus.COMPLETED: ("positive", "check_circle"),
    JobStatus.FAILED: ("negative", "error"),
    JobStatus.CANCELLED: ("orange-8", "block"),
}
E = TypeVar("E", bound=Element)
PLACEHOLDER_THUMBNAIL = (
    "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 9'>"
    "<rect width='16' height='9' fill='%23e2e8f0'/><path d='M6.5 2.8v3.4L9.7 4.5z' "
    "fill='%2394a3b8'/></svg>"
)


def format_seconds(seconds: float | None) -> str:
    """12.3 -> '0:12', 3725 -> '1:02:05'; '—' when unknown."""
    if seconds is None:
        return "—"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def job_title(job: Job) -> str:
    if job.title:
        return job.title
    return "Uploaded video" if job.upload else display_url(job.source_url)


def job_source(job: Job) -> str:
    """Where the video came from, in a word: the site's domain, or "upload"."""
    if job.upload:
        return "upload"
    host = (urlsplit(job.source_url).hostname or "").removeprefix("www.").removeprefix("m.")
    return host or "link"


def job_origin(job: Job) -> str:
    """Source and date, which tell apart jobs of the same title: 'youtube.com · 2026-11-26 19:20
    UTC'."""
    return f"{job_source(job)} · {format_time(job.created_at)}"


def job_choice(job: Job, limit: int = 48) -> str:
    """A job in a list of choices: number, title (shortened) and origin."""
    title = job_title(job)
    if len(title) > limit:
        title = title[: limit - 1].rstrip() + "…"
    return f"#{job.id} {title} ({job_origin(job)})"


def display_url(url: str) -> str:
    """The URL as people read it: 'talk%20one.mp4' -> 'talk one.mp4'."""
    return unquote(url)


def is_running(status: str) -> bool:
    return status not in FINISHED_STATES and status != JobStatus.PENDING


class StatusChip:
    """A coloured chip with the job's status, updated in place."""

    def __init__(self, status: str) -> None:
        self.chip = ui.chip("", color="grey-7", text_color="white").props("dense square")
        self.chip.classes("text-xs font-medium uppercase tracking-wide")
        self.set(status)

    def set(self, status: str) -> None:
        color, icon = STATUS_LOOK.get(status, ("grey-7", "help"))
        self.chip.text = status
        self.chip.props(f"color={color} icon={icon}")


class JobProgress:
    """A progress bar with its percentage and the current step, updated in place."""

    def __init__(self, job: Job, *, show_step: bool = True) -> None:
        with ui.column().classes("w-full gap-1"):
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                self.bar = (
                    ui.linear_progress(value=0, show_value=False, size="8px")
                    .props("rounded")
                    .classes("grow")
                )
                self.percent = ui.label().classes("text-xs text-grey-7 w-10 text-right")
            self.step = ui.label().classes("text-xs text-grey-6 ellipsis max-w-full")
            self.step.visible = show_step
        self.set(job.status, job.progress, job.current_step)

    def set(self, status: str, progress: float, step: str | None) -> None:
        color = STATUS_LOOK.get(status, ("primary", ""))[0]
        self.bar.value = round(progress / 100, 3)
        self.bar.props(f"color={color}")
        if status == JobStatus.PENDING:  # waiting in the queue
            self.bar.props("indeterminate")
        else:
            self.bar.props(remove="indeterminate")
        self.percent.text = f"{progress:.0f}%"
        self.step.text = step or ""


def job_thumbnail(job: Job, first_clip: Clip | None) -> str:
    """The YouTube thumbnail from the video id, else the first clip's, else a placeholder."""
    if job.video_id and is_youtube(job.source_url):
        return f"https://i.ytimg.com/vi/{job.video_id}/mqdefault.jpg"
    if first_clip is not None and first_clip.thumbnail_path:
        return clip_url(first_clip.id, "jpg")
    return PLACEHOLDER_THUMBNAIL


def is_youtube(url: str | None) -> bool:
    host = (urlsplit(url or "").hostname or "").removeprefix("www.").removeprefix("m.")
    return host in {"youtube.com", "youtu.be", "music.youtube.com", "youtube-nocookie.com"}


def clip_url(clip_id: int, kind: str) -> str:
    return f"/media/clips/{clip_id}.{kind}"


def clip_file_url(clip: Clip, kind: str) -> str:
    """The clip's file to show; the file's name in the URL: a clip rendered again (a new file) is
    not played from the browser's cache."""
    return f"{clip_url(clip.id, kind)}?v={zlib.crc32((clip.video_path or '').encode()):x}"


def is_vertical(clip: Clip, job: Job | None) -> bool:
    """A 9:16 clip: its own format, else its job's."""
    own = clip.render_options.get("output_format")
    return (own or (job.clip_settings.output_format if job else None)) == "vertical"


def clip_download_url(clip_id: int, kind: str) -> str:
    return f"/media/clips/{clip_id}.{kind}?download=1"


def hint(element: E, text: str) -> E:
    """`text` shown when the pointer rests on `element`: its `title`, which the browser shows (and
    reads out to a screen reader), not a tooltip element built on every page load."""
    element.props["title"] = text
    return element


def score_badge(score: float) -> ui.badge:
    color = "positive" if score >= 70 else "warning" if score >= 40 else "grey-6"
    badge = ui.badge(f"{score:.0f}", color=color).classes("text-sm px-2 py-1")
    return hint(badge, "Virality score (0-100)")


VERTICAL_PICTURE = "aspect-ratio: 9 / 16; max-height: 32rem; object-fit: contain"


def clip_grid() -> ui.grid:
    """The clip cards: two a row on a phone (9:16 clips are tall), three on a wide screen."""
    return ui.grid().classes("w-full gap-2 sm:gap-4 grid-cols-2 lg:grid-cols-3")


def clip_card(
    clip: Clip,
    *,
    job: Job | None = None,
    on_play=None,
    on_publish: Callable[[int], Awaitable[None]] | None = None,
    youtube_links: list[tuple[str, str]] | None = None,
) -> ui.card:
    """Player, score, title, hook, reasoning, criteria chips and downloads of one clip."""
    with ui.card().tight().classes("w-full overflow-hidden") as card:
        card.mark(f"clip-{clip.id}")
        poster = clip_file_url(clip, "jpg") if clip.thumbnail_path else None
        vertical = is_vertical(clip, job)
        picture: ui.video | ui.image
        if clip.video_path:
            picture = ui.video(clip_file_url(clip, "mp4"), autoplay=False)
            picture.classes("w-full bg-black")
            picture.props("preload=metadata" + (f" poster={poster}" if poster else ""))
        else:
            picture = ui.image(poster or PLACEHOLDER_THUMBNAIL).classes("w-full aspect-video")
        if vertical:  # a 9:16 picture, not a 16:9 box: as tall as a phone screen allows
            picture.style(VERTICAL_PICTURE).mark("vertical-clip")
        with ui.card_section().classes("w-full gap-1"):
            with ui.row().classes("w-full items-start no-wrap gap-2"):
                ui.label(clip.title).classes("text-subtitle1 font-medium leading-tight grow")
                score_badge(clip.score)
            if clip.hook:
                ui.label(f"“{clip.hook}”").classes("text-sm italic text-grey-8")
            with ui.row().classes("gap-1 items-center text-xs text-grey-7"):
                ui.icon("schedule", size="xs")
                ui.label(
                    f"{format_seconds(clip.start)}–{format_seconds(clip.end)} "
                    f"({clip.duration:.0f} s)"
                )
                if job is not None:
                    ui.label("·")
                    ui.link(job_title(job), f"/jobs/{job.id}").classes(
                        "text-primary ellipsis"
                    ).style("max-width: min(100%, 14rem)")
            if clip.criteria:
                criteria_tags(clip.criteria)
            if clip.reasoning:
                why_this_clip(clip.reasoning).mark(f"why-{clip.id}")
        # at the bottom, so the downloads line up across a row of cards of different heights
        with ui.card_actions().classes("w-full justify-end flex-wrap gap-1 pt-0 mt-auto"):
            for channel, url in youtube_links or []:
                link = ui.button(channel, icon="smart_display").props(
                    f"flat dense no-caps color=red-8 href={url} tag=a target=_blank"
                )
                hint(link, "On YouTube").mark(f"youtube-link-{clip.id}")
            if clip.video_path and on_publish is not None:
                ui.button(
                    "Publish", icon="smart_display", on_click=lambda: on_publish(clip.id)
                ).props("flat dense no-caps").mark(f"publish-{clip.id}")
            if clip.video_path:
                ui.button("MP4", icon="download").props(
                    f"flat dense no-caps href={clip_download_url(clip.id, 'mp4')} tag=a"
                )
            if clip.subtitles_path:
                for kind in ("srt", "vtt"):
                    ui.button(kind.upper(), icon="closed_caption").props(
                        f"flat dense no-caps href={clip_download_url(clip.id, kind)} tag=a"
                    )
    return card


CRITERION_TAG = "rounded-full px-2 text-xs leading-6 bg-blue-1 text-blue-9"


def criteria_tags(criteria: list[str]) -> ui.html:
    """The criteria a clip meets, as chips drawn by one element (a q-chip each was a card's
    largest share of the elements a page load builds)."""
    tags = "".join(
        f'<span class="{CRITERION_TAG}">{escape(criterion.replace("_", " "))}</span>'
        for criterion in criteria
    )
    return ui.html(tags).classes("flex flex-wrap gap-1")


def why_this_clip(reasoning: str) -> ui.expansion:
    """The analysis's reasoning for a clip, folded; its text is built when first opened: most
    page loads open none of their cards'."""

    def build(event: ValueChangeEventArguments) -> None:
        if event.value and not expansion.default_slot.children:
            with expansion:
                ui.label(reasoning).classes("text-sm text-grey-8")

    expansion = ui.expansion("Why this clip", icon="lightbulb", on_value_change=build)
    return expansion.classes("w-full text-sm").props("dense header-class='px-0 text-grey-8'")


def empty_state(icon: str, text: str) -> None:
    with ui.column().classes("w-full items-center py-10 text-grey-6 gap-2"):
        ui.icon(icon, size="3rem")
        ui.label(text).classes("text-body1")


def section_title(text: str, icon: str | None = None) -> None:
    with ui.row().classes("items-center gap-2"):
        if icon:
            ui.icon(icon, color="primary", size="sm")
        ui.label(text).classes("text-h6 font-medium")


def not_found(what: str = "page") -> None:
    with ui.card().classes("w-full max-w-xl mx-auto items-center p-10 gap-3"):
        ui.icon("search_off", size="4rem", color="grey-5")
        ui.label(f"This {what} was not found.").classes("text-h6").mark("not-found")
        ui.label("It does not exist, or it is not yours.").classes("text-grey-7")
        ui.button("Back to the dashboard", icon="home", on_click=lambda: ui.navigate.to("/")).props(
            "unelevated"
        )


def form_field(
    label: str,
    *,
    password: bool = False,
    toggle: bool = False,
    props: str = "",
    on_enter=None,
    mark: str | None = None,
) -> ui.input:
    """An outlined, full-width input as every form here uses it; `toggle` shows a reveal button
    on a password; `on_enter` submits the form."""
    field = ui.input(label, password=password, password_toggle_button=toggle)
    field.props(f"outlined {props}".strip()).classes("w-full")
    if on_enter is not None:
        field.on("keydown.enter", on_enter)
    if mark:
        field.mark(mark)
    return field


def error_label() -> ui.label:
    label = ui.label().classes("text-negative text-sm").mark("form-error")
    label.visible = False
    return label


def show_error(label: ui.label, message: str) -> None:
    label.text = message
    label.visible = True


class ConfirmDialog:
    """One yes/no dialog per page, at the page's root, so a live refresh of the section whose
    button opened it cannot delete it while it is open."""

    def __init__(self) -> None:
        with ui.context.client.content, ui.dialog() as self.dialog, ui.card().classes("p-6 gap-4"):
            self.question = ui.label().classes("text-body1")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Keep it", on_click=lambda: self.dialog.submit(False)).props(
                    "flat no-caps"
                ).mark("keep")
                self.action = ui.button(on_click=lambda: self.dialog.submit(True))
                self.action.props("unelevated color=negative no-caps").mark("confirm")

    async def ask(self, question: str, action: str) -> bool:
        self.question.text = question
        self.action.text = action
        return bool(await self.dialog)


_dialogs: WeakKeyDictionary[Client, ConfirmDialog] = WeakKeyDictionary()


async def confirm(question: str, action: str) -> bool:
    """Ask a yes/no question in a modal dialog; True when the user confirmed."""
    client = ui.context.client
    if client not in _dialogs:
        _dialogs[client] = ConfirmDialog()
    return await _dialogs[client].ask(question, action)
