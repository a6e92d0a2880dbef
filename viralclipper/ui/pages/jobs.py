"""Jobs: add one (URL or uploaded file), and a live, filterable, paginated table with actions."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path
from weakref import WeakKeyDictionary

from fastapi.responses import RedirectResponse
from nicegui import Client, events, run, ui

from viralclipper.config import get_settings
from viralclipper.models import clips, jobs
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES, JobStatus
from viralclipper.models.tables import Job, User
from viralclipper.queue import api
from viralclipper.queue.api import PipelineError
from viralclipper.ui.auth import current_user
from viralclipper.ui.components import (
    JobProgress,
    StatusChip,
    display_url,
    empty_state,
    format_ago,
    format_seconds,
    is_youtube,
    job_thumbnail,
    job_title,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.live import LiveJobs

PAGE_SIZE = 10
STATUS_FILTERS = {
    "all": "All statuses",
    "running": "Running",
    **{status.value: status.value.capitalize() for status in JobStatus},
}
COLUMNS = "7rem minmax(12rem,1fr) 8.5rem 12rem 6.5rem 4.5rem 3.5rem 9rem"
URL_HINT = "A YouTube link, or a link to any video page or file"


def register() -> None:
    @ui.page("/jobs")
    def jobs_page() -> RedirectResponse | None:
        user = current_user()
        if user is None:
            return RedirectResponse("/login")
        with frame("Jobs", user) as live:
            table = JobTable(user, live)
            new_job_card(user, on_added=table.table.refresh)
            table.build()
        return None


def new_job_card(user: User, on_added) -> None:
    """The URL box (checked before anything is queued) and the upload button."""

    async def add_url() -> None:
        url = (url_input.value or "").strip()
        error = "Paste a video URL first." if not url else None
        if error is None:
            try:
                job = await run.io_bound(api.submit_job, user.id, url)
            except PipelineError as exc:
                error = str(exc)
        if error:
            url_input.props(f'error error-message="{_attribute(error)}"')
            return
        url_input.props(remove="error error-message")
        url_input.value = ""
        ui.notify(f"Queued job {job.id}.", type="positive", icon="playlist_add")
        on_added()

    async def uploaded(event: events.UploadEventArguments) -> None:
        target = upload_path(event.file.name)
        await event.file.save(target)
        job = await run.io_bound(
            lambda: api.submit_job(
                user.id, str(target), upload=True, title=Path(event.file.name).stem or None
            )
        )
        upload_dialog.close()
        uploader.reset()
        ui.notify(f"Uploaded {event.file.name}: queued job {job.id}.", type="positive")
        on_added()

    with ui.card().classes("w-full p-4"), ui.row().classes("w-full items-start gap-3 no-wrap"):
        url_input = (
            ui.input(placeholder="https://www.youtube.com/watch?v=…")
            .props(f"outlined clearable hint='{URL_HINT}'")
            .classes("grow")
            .on("keydown.enter", add_url)
            .mark("url-input")
        )
        with url_input.add_slot("prepend"):
            ui.icon("link")
        ui.button("Make clips", icon="auto_awesome", on_click=add_url).props(
            "unelevated size=lg no-caps"
        ).classes("mt-1")
        ui.button("Upload", icon="upload_file", on_click=lambda: upload_dialog.open()).props(
            "outline size=lg no-caps"
        ).classes("mt-1")
    with ui.dialog() as upload_dialog, ui.card().classes("w-full max-w-lg gap-3"):
        ui.label("Upload a video").classes("text-h6")
        ui.label("MP4, MOV, MKV or WebM. The file stays on this server.").classes(
            "text-sm text-grey-7"
        )
        max_bytes = get_settings().max_upload_mb * 1024 * 1024
        uploader = (
            ui.upload(
                on_upload=uploaded,
                auto_upload=True,
                max_file_size=max_bytes,
                on_rejected=lambda: ui.notify(
                    f"That file is larger than {get_settings().max_upload_mb} MB.", type="negative"
                ),
            )
            .props("accept=video/* flat bordered")
            .classes("w-full")
        )
        uploader.mark("uploader")


def upload_path(filename: str) -> Path:
    """A fresh path under data_dir/uploads that keeps a sanitized form of the original name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name).strip("._") or "video"
    folder = get_settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex[:12]}-{name[-80:]}"


def _attribute(text: str) -> str:
    return text.replace('"', "'")


class JobTable:
    """The filter bar, the rows and the pagination; rows move live."""

    def __init__(self, user: User, live: LiveJobs) -> None:
        self.user = user
        self.status = "all"
        self.search = ""
        self.page = 1
        self.rows: dict[int, tuple[StatusChip, JobProgress]] = {}
        self.live = live
        live.on_update(self.on_update)

    def build(self) -> None:
        with ui.card().classes("w-full p-0 overflow-hidden"):
            with ui.row().classes("w-full items-center gap-3 p-4 border-b border-gray-200"):
                ui.input(placeholder="Search by title", on_change=self._searched).props(
                    "outlined dense clearable debounce=300"
                ).classes("w-72").mark("search")
                ui.select(STATUS_FILTERS, value="all", on_change=self._filtered).props(
                    "outlined dense options-dense"
                ).classes("w-48").mark("status-filter")
                ui.space()
                self.total = ui.label().classes("text-sm text-grey-7")
            with ui.element("div").classes("w-full overflow-x-auto"):
                self.table()

    @ui.refreshable_method
    def table(self) -> None:
        status = (
            list(RUNNING_STATES)
            if self.status == "running"
            else (None if self.status == "all" else self.status)
        )
        total = jobs.count_jobs(self.user.id, status=status, search=self.search)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        self.page = min(self.page, pages)
        page_jobs = jobs.list_jobs(
            self.user.id,
            status=status,
            search=self.search,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )
        self.total.text = f"{total} job{'s' if total != 1 else ''}"
        self.rows = {}
        if not page_jobs:
            empty_state(
                "movie",
                "No jobs yet: paste a URL above."
                if total == 0 and self.status == "all" and not self.search
                else "No job matches.",
            )
            return
        counts = clips.clip_counts([job.id for job in page_jobs])
        with (
            ui.element("div")
            .classes("grid w-full items-center min-w-[64rem]")
            .style(f"grid-template-columns: {COLUMNS}")
        ):
            for heading in (
                "\u00a0",
                "Title",
                "Status",
                "Progress",
                "Created",
                "Length",
                "Clips",
                "\u00a0",
            ):
                ui.label(heading).classes(
                    "text-xs uppercase text-grey-6 font-medium px-3 py-2 bg-grey-1 "
                    "border-b border-gray-200"
                )
            for job in page_jobs:
                self.row(job, counts[job.id])
        if pages > 1:
            with ui.row().classes("w-full justify-center p-3"):
                ui.pagination(
                    1, pages, direction_links=True, value=self.page, on_change=self._paged
                ).props("max-pages=7 boundary-numbers")

    def row(self, job: Job, clip_count: int) -> None:
        cell = "px-3 py-2 border-b border-gray-200 h-full flex items-center"
        first_clip = (
            next(iter(clips.list_clips(job_id=job.id, limit=1)), None)
            if clip_count and not is_youtube(job.source_url)
            else None
        )
        with ui.element("div").classes(cell):
            ui.image(job_thumbnail(job, first_clip)).classes("w-24 aspect-video rounded").props(
                "fit=cover"
            )
        with ui.element("div").classes(cell + " flex-col items-start justify-center min-w-0"):
            ui.link(job_title(job), f"/jobs/{job.id}").classes(
                "font-medium text-grey-9 no-underline hover:underline ellipsis max-w-full"
            )
            source = "upload" if job.options.get("upload") else display_url(job.source_url)
            ui.label(f"#{job.id} · {source}").classes("text-xs text-grey-6 ellipsis max-w-full")
        with ui.element("div").classes(cell):
            chip = StatusChip(job.status)
        with ui.element("div").classes(cell):
            progress = JobProgress(job)
        ui.label(format_ago(job.created_at)).classes(cell + " text-sm text-grey-8")
        ui.label(format_seconds(job.duration)).classes(cell + " text-sm text-grey-8")
        ui.label(str(clip_count)).classes(cell + " text-sm text-grey-8")
        with ui.element("div").classes(cell + " justify-end gap-0"):
            self.actions(job)
        self.rows[job.id] = (chip, progress)
        self.live.seen(job.id, job.status)

    def actions(self, job: Job) -> None:
        def act(icon: str, tip: str, handler, color: str = "grey-8") -> None:
            ui.button(icon=icon, on_click=handler).props(f"flat round dense color={color}").tooltip(
                tip
            ).mark(f"{icon}-{job.id}")

        act("visibility", "View", lambda: ui.navigate.to(f"/jobs/{job.id}"))
        if job.status not in FINISHED_STATES:
            act("stop_circle", "Cancel", lambda: self.run_action(api.cancel_job, job, "Cancelling"))
        if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            act("replay", "Retry", lambda: self.run_action(api.retry_job, job, "Retrying"))
        act("delete", "Delete", lambda: self.delete(job), color="negative")

    async def run_action(self, action, job: Job, doing: str) -> None:
        try:
            await run.io_bound(action, job.id, self.user.id)
        except (api.JobNotFound, jobs.IllegalTransition, ValueError) as exc:
            ui.notify(f"Could not do that: {exc}", type="warning")
        else:
            ui.notify(f"{doing} job {job.id}.")
        self.table.refresh()

    async def delete(self, job: Job) -> None:
        if await confirm(f"Delete “{job_title(job)}”, its clips and files?", "Delete"):
            await self.run_action(api.delete_job, job, "Deleted")

    def on_update(self, update: dict) -> None:
        widgets = self.rows.get(update["id"])
        if update["status_changed"]:
            self.table.refresh()
        elif widgets is not None:
            chip, progress = widgets
            progress.set(update["status"], update["progress"], update["current_step"])

    def _searched(self, event: events.ValueChangeEventArguments) -> None:
        self.search, self.page = event.value or "", 1
        self.table.refresh()

    def _filtered(self, event: events.ValueChangeEventArguments) -> None:
        self.status, self.page = event.value, 1
        self.table.refresh()

    def _paged(self, event: events.ValueChangeEventArguments) -> None:
        self.page = event.value
        self.table.refresh()


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
