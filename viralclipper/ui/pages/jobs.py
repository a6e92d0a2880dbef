"""Jobs: add one (URL or uploaded file), and a live, filterable, paginated table with actions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from nicegui import events, ui

from viralclipper.models import clips, jobs
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES, JobStatus
from viralclipper.models.tables import Clip, Job, User
from viralclipper.queue import api
from viralclipper.queue.transport import JobUpdate
from viralclipper.ui.actions import job_action
from viralclipper.ui.auth import protected_page
from viralclipper.ui.components import (
    JobProgress,
    StatusChip,
    confirm,
    display_url,
    empty_state,
    format_ago,
    format_seconds,
    is_youtube,
    job_thumbnail,
    job_title,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.live import LiveJobs
from viralclipper.ui.submit import submit_box

PAGE_SIZE = 10
STATUS_FILTERS = {
    "all": "All statuses",
    "running": "Running",
    **{status.value: status.value.capitalize() for status in JobStatus},
}
COLUMNS = "7rem minmax(12rem,1fr) 8.5rem 12rem 6.5rem 4.5rem 3.5rem 9rem"


def register() -> None:
    @protected_page("/jobs")
    async def jobs_page(user: User) -> None:
        with frame("Jobs", user) as live:
            table = JobTable(user, live)
            await submit_box(user, on_added=table.reload)
            await table.reload()
            table.build()


@dataclass
class TablePage:
    """What one drawing of the table shows, read in one go off the event loop."""

    total: int
    page: int
    pages: int
    jobs: list[Job]
    clip_counts: dict[int, int]
    first_clips: dict[int, Clip]


def wanted_statuses(choice: str) -> list[str] | None:
    """The statuses a status filter choice shows; None: every status."""
    if choice == "all":
        return None
    return sorted(RUNNING_STATES) if choice == "running" else [choice]


def clip_details(page_jobs: list[Job]) -> tuple[dict[int, int], dict[int, Clip]]:
    """Clip count of each job, and the first clip of those that need it for their thumbnail."""
    counts = clips.clip_counts([job.id for job in page_jobs])
    wanted = [job.id for job in page_jobs if counts[job.id] and not is_youtube(job.source_url)]
    return counts, clips.first_clips(wanted) if wanted else {}


def read_page(user_id: int, choice: str, search: str, page: int) -> TablePage:
    status = wanted_statuses(choice)
    total = jobs.count_jobs(user_id, status=status, search=search)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages)
    page_jobs = jobs.list_jobs(
        user_id, status=status, search=search, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return TablePage(total, page, pages, page_jobs, *clip_details(page_jobs))


def read_rows(user_id: int, job_ids: list[int]) -> tuple[list[Job], dict[int, int], dict]:
    """The current state of a few shown jobs (those not found were deleted)."""
    found = list(jobs.get_jobs(job_ids, user_id).values())
    return found, *clip_details(found)


class JobTable:
    """The filter bar, the rows and the pagination. Rows change in place; the table is redrawn
    (at most once per refresh tick) only when a job enters or leaves the page."""

    def __init__(self, user: User, live: LiveJobs) -> None:
        self.user = user
        self.status = "all"
        self.search = ""
        self.page = 1
        self.data: TablePage | None = None
        self.rows: dict[int, JobRow] = {}
        self.stale_rows: set[int] = set()
        self.drawings = 0  # counts table reloads, so an outdated read is not drawn
        self.live = live
        self.reload_soon = live.debounced(self.reload)
        self.reload_rows_soon = live.debounced(self.reload_rows)
        live.on_update(self.on_update)

    async def reload(self) -> None:
        """Read the current page off the event loop, then redraw the table."""
        self.drawings += 1
        drawing = self.drawings
        data = await io_bound(read_page, self.user.id, self.status, self.search, self.page)
        if drawing == self.drawings:  # else a later reload (e.g. a new filter) draws instead
            self.data = data
            await self.table.refresh()

    async def reload_rows(self) -> None:
        job_ids = [job_id for job_id in self.stale_rows if job_id in self.rows]
        self.stale_rows = set()
        if not job_ids:
            return
        drawing = self.drawings
        found, counts, first_clips = await io_bound(read_rows, self.user.id, job_ids)
        if drawing != self.drawings:
            return  # the whole table is being redrawn anyway
        for job in found:
            if (row := self.rows.get(job.id)) is not None:
                row.show(job, counts[job.id], first_clips.get(job.id))
                self.live.seen(job.id, job.status)
        if len(found) < len(job_ids):  # deleted meanwhile
            self.reload_soon()

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
        data = self.data
        assert data is not None, "reload() before drawing"
        self.page = data.page
        self.total.text = f"{data.total} job{'s' if data.total != 1 else ''}"
        self.rows = {}
        if not data.jobs:
            empty_state(
                "movie",
                "No jobs yet: paste a URL above."
                if data.total == 0 and self.status == "all" and not self.search
                else "No job matches.",
            )
            return
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
            for job in data.jobs:
                self.rows[job.id] = JobRow(
                    self, job, data.clip_counts[job.id], data.first_clips.get(job.id)
                )
                self.live.seen(job.id, job.status)
        if data.pages > 1:
            with ui.row().classes("w-full justify-center p-3"):
                ui.pagination(
                    1, data.pages, direction_links=True, value=self.page, on_change=self._paged
                ).props("max-pages=7 boundary-numbers")

    def actions(self, job: Job) -> None:
        def act(icon: str, tip: str, handler, color: str = "grey-8") -> None:
            # a title attribute, not ui.tooltip: one element less per button on a page that many
            # clients rebuild
            ui.button(icon=icon, on_click=handler).props(
                f'flat round dense color={color} title="{tip}" aria-label="{tip}"'
            ).mark(f"{icon}-{job.id}")

        act("visibility", "View", lambda: ui.navigate.to(f"/jobs/{job.id}"))
        if job.status not in FINISHED_STATES:
            act("stop_circle", "Cancel", lambda: self.run_action(api.cancel_job, job, "Cancelling"))
        if api.can_retry(job):
            act("replay", "Retry", lambda: self.run_action(api.retry_job, job, "Retrying"))
        act("delete", "Delete", lambda: self.delete(job), color="negative")

    async def run_action(self, action, job: Job, doing: str) -> None:
        if await job_action(action, job.id, self.user.id):
            ui.notify(f"{doing} job {job.id}.")
        await self.reload()

    async def delete(self, job: Job) -> None:
        if await confirm(f"Delete “{job_title(job)}”, its clips and files?", "Delete"):
            await self.run_action(api.delete_job, job, "Deleted")

    def shows(self, status: str) -> bool:
        """Whether a job in `status` belongs in the table under the current status filter."""
        wanted = wanted_statuses(self.status)
        return wanted is None or status in wanted

    def may_enter(self, job_id: int, status: str) -> bool:
        """Whether a job not shown could now belong on this page: a new job (ids grow), or,
        under a status filter, a job that moved into the filtered status."""
        newest_shown = max(self.rows, default=0)
        return self.shows(status) and (self.status != "all" or job_id > newest_shown)

    def on_update(self, update: JobUpdate) -> None:
        row = self.rows.get(update.id)
        if not update.status_changed:
            if row is not None:
                row.progress.set(update.status, update.progress, update.current_step)
        elif row is None:
            if self.may_enter(update.id, update.status):
                self.reload_soon()
        elif not self.shows(update.status):  # it leaves the page
            self.reload_soon()
        else:
            row.set_status(update.status, update.progress, update.current_step)
            self.stale_rows.add(update.id)  # title, length, clips and thumbnail may change
            self.reload_rows_soon()

    async def _searched(self, event: events.ValueChangeEventArguments) -> None:
        self.search, self.page = event.value or "", 1
        await self.reload()

    async def _filtered(self, event: events.ValueChangeEventArguments) -> None:
        self.status, self.page = event.value, 1
        await self.reload()

    async def _paged(self, event: events.ValueChangeEventArguments) -> None:
        self.page = event.value
        await self.reload()


class JobRow:
    """The cells of one job in the table's grid, changed in place."""

    CELL = "px-3 py-2 border-b border-gray-200 h-full flex items-center"

    def __init__(self, table: JobTable, job: Job, clip_count: int, first_clip: Clip | None) -> None:
        cell = self.CELL
        self.table, self.job = table, job
        with ui.element("div").classes(cell):
            self.thumbnail = (
                ui.image(job_thumbnail(job, first_clip))
                .classes("w-24 aspect-video rounded")
                .props("fit=cover")
            )
        with ui.element("div").classes(cell + " flex-col items-start justify-center min-w-0"):
            self.title = ui.link(job_title(job), f"/jobs/{job.id}").classes(
                "font-medium text-grey-9 no-underline hover:underline ellipsis max-w-full"
            )
            source = "upload" if job.upload else display_url(job.source_url)
            ui.label(f"#{job.id} · {source}").classes("text-xs text-grey-6 ellipsis max-w-full")
        with ui.element("div").classes(cell):
            self.chip = StatusChip(job.status)
        with ui.element("div").classes(cell):
            self.progress = JobProgress(job)
        ui.label(format_ago(job.created_at)).classes(cell + " text-sm text-grey-8")
        self.length = ui.label(format_seconds(job.duration)).classes(cell + " text-sm text-grey-8")
        self.clip_count = ui.label(str(clip_count)).classes(cell + " text-sm text-grey-8")
        self.action_cell = ui.element("div").classes(cell + " justify-end gap-0")
        self.draw_actions()

    def draw_actions(self) -> None:
        self.actions_status = self.job.status
        self.action_cell.clear()
        with self.action_cell:
            self.table.actions(self.job)

    def set_status(self, status: str, progress: float, step: str | None) -> None:
        self.job.status = status
        self.chip.set(status)
        self.progress.set(status, progress, step)
        if status != self.actions_status:
            self.draw_actions()

    def show(self, job: Job, clip_count: int, first_clip: Clip | None) -> None:
        """The job as just read from the database."""
        self.job = job
        self.set_status(job.status, job.progress, job.current_step)
        self.thumbnail.set_source(job_thumbnail(job, first_clip))
        self.title.text = job_title(job)
        self.length.text = format_seconds(job.duration)
        self.clip_count.text = str(clip_count)
