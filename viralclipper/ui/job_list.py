"""The jobs page's list: a filter bar, the rows, and pagination.

The rows are data that one Vue component draws in the browser (job_list.js, a QTable), not a tree
of NiceGUI elements per job: the list is a few elements whatever it shows, and a live update
changes a row's values, which the browser patches in place. On a phone (under 600 px) the same
rows show as cards (CSS below), nothing scrolls sideways."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from nicegui import events, ui

from viralclipper.models import clips, jobs
from viralclipper.models.jobs import FINISHED_STATES, RUNNING_STATES, JobStatus
from viralclipper.models.tables import Clip, Job, User
from viralclipper.queue import api
from viralclipper.queue.transport import JobUpdate
from viralclipper.ui.actions import job_action
from viralclipper.ui.components import (
    STATUS_LOOK,
    confirm,
    display_url,
    empty_state,
    format_ago,
    format_seconds,
    is_youtube,
    job_thumbnail,
    job_title,
)
from viralclipper.ui.io import shared_read
from viralclipper.ui.live import LiveJobs

PAGE_SIZE = 10
STATUS_FILTERS = {
    "all": "All statuses",
    "running": "Running",
    **{status.value: status.value.capitalize() for status in JobStatus},
}
COLUMNS = [
    {"name": "thumbnail", "label": "", "field": "thumbnail", "align": "left"},
    {"name": "title", "label": "Title", "field": "title", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "progress", "label": "Progress", "field": "percent", "align": "left"},
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "length", "label": "Length", "field": "length", "align": "left"},
    {"name": "clips", "label": "Clips", "field": "clips", "align": "left"},
    {"name": "actions", "label": "", "field": "id", "align": "right"},
]
# Wide: a table (title wraps; the facts line is for cards). Phone: each row a card: thumbnail
# and title side by side, then status, progress and actions across; created, length and clips
# in the facts line.
CSS = """
.job-list td { white-space: normal; }
.job-list td.job-title { min-width: 14rem; }
.job-list td.job-progress { min-width: 11rem; }
.job-list .job-facts { display: none; }
@media (max-width: 599.98px) {
  .job-list thead, .job-list td.job-meta { display: none; }
  .job-list tbody tr.job-row { display: grid; grid-template-columns: 6.5rem minmax(0, 1fr);
    column-gap: 0.75rem; row-gap: 0.4rem; padding: 0.75rem 1rem; height: auto;
    border-bottom: 1px solid #e5e7eb; }
  .job-list tbody td { display: block; padding: 0; height: auto; border: 0; min-width: 0; }
  .job-list td.job-thumbnail { grid-row: span 2; }
  .job-list td.job-title { min-width: 0; overflow-wrap: anywhere; }
  .job-list td.job-progress { grid-column: 1 / -1; min-width: 0; }
  .job-list td.job-actions { grid-column: 1 / -1; text-align: right; }
  .job-list .job-facts { display: block; }
}
"""


def register_styles() -> None:
    ui.add_css(CSS, shared=True)


@dataclass
class TablePage:
    """What one drawing of the list shows, read in one go off the event loop."""

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


def read_rows(
    user_id: int, job_ids: tuple[int, ...]
) -> tuple[list[Job], dict[int, int], dict[int, Clip]]:
    """The current state of a few shown jobs (those not found were deleted)."""
    found = list(jobs.get_jobs(list(job_ids), user_id).values())
    return found, *clip_details(found)


def status_values(status: str, progress: float, step: str | None) -> dict[str, Any]:
    """The row's values that a live update changes."""
    color, icon = STATUS_LOOK.get(status, ("grey-7", "help"))
    return {
        "status": status,
        "color": color,
        "icon": icon,
        "fraction": round(progress / 100, 3),
        "percent": f"{progress:.0f}%",
        "step": step or "",
        "queued": status == JobStatus.PENDING,  # waiting in the queue: an indeterminate bar
        "can_cancel": status not in FINISHED_STATES,
    }


def job_row(job: Job, clip_count: int, first_clip: Clip | None) -> dict[str, Any]:
    """Everything one row shows, as the template reads it."""
    created, length = format_ago(job.created_at), format_seconds(job.duration)
    failed = job.status == JobStatus.FAILED
    return {
        "id": job.id,
        "url": f"/jobs/{job.id}",
        "thumbnail": job_thumbnail(job, first_clip),
        "title": job_title(job),
        "source": f"#{job.id} · {'upload' if job.upload else display_url(job.source_url)}",
        "facts": f"{created} · {length} · {clip_count} clip{'s' if clip_count != 1 else ''}",
        "created": created,
        "length": length,
        "clips": clip_count,
        "error": (job.error_message or "The job failed.") if failed else "",
        "can_retry": api.can_retry(job),
        **status_values(job.status, job.progress, job.current_step),
    }


class JobRows(ui.element, component="job_list.js"):
    """The table of jobs, drawn in the browser from row data; `on_act` gets what a row's button
    sends ({"action": "cancel" | "retry" | "delete", "id": job id}). What it displays (for
    `ElementFilter`, hence the user fixture's `should_see`) is its rows' texts."""

    TEXTS = ("title", "source", "status", "percent", "step", "error", "created", "length")

    def __init__(self) -> None:
        super().__init__()
        self._props["rows"] = []
        self._props["columns"] = COLUMNS

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self._props["rows"]

    @rows.setter
    def rows(self, rows: list[dict[str, Any]]) -> None:
        self._props["rows"] = rows
        self.update()

    def _displayed_contents(self, *, only_visible: bool) -> list:
        return [row[key] for row in self.rows for key in self.TEXTS]


class JobTable:
    """The filter bar, the rows and the pagination. A live update changes its job's row in
    place; the page is read again (at most once per refresh tick) only when a job enters or
    leaves it, or when a shown job's status changes (title, length, clips may change too)."""

    def __init__(self, user: User, live: LiveJobs) -> None:
        self.user = user
        self.status = "all"
        self.search = ""
        self.page = 1
        self.data: TablePage | None = None
        self.jobs: dict[int, Job] = {}  # shown, by id
        self.stale_rows: set[int] = set()
        self.drawings = 0  # counts page reads, so an outdated read is not drawn
        self.built = False
        self.changed_at = time.monotonic()  # the newest change heard of (the page listens)
        self.live = live
        self.reload_soon = live.debounced(self.reload)
        self.reload_rows_soon = live.debounced(self.reload_rows)
        live.on_update(self.on_update)

    async def reload(self) -> None:
        """Read the current page off the event loop, then show it (once built)."""
        self.drawings += 1
        drawing = self.drawings
        data = await shared_read(
            self.changed_at, read_page, self.user.id, self.status, self.search, self.page
        )
        if drawing == self.drawings:  # else a later reload (e.g. a new filter) draws instead
            self.data = data
            if self.built:
                self.show()

    async def reload_rows(self) -> None:
        job_ids = sorted(job_id for job_id in self.stale_rows if job_id in self.jobs)
        self.stale_rows = set()
        if not job_ids:
            return
        drawing = self.drawings
        found, counts, first_clips = await shared_read(
            self.changed_at, read_rows, self.user.id, tuple(job_ids)
        )
        if drawing != self.drawings:
            return  # the whole page is being shown again anyway
        for job in found:
            if job.id in self.jobs:
                self.jobs[job.id] = job
                self.row(job.id).update(job_row(job, counts[job.id], first_clips.get(job.id)))
                self.live.seen(job)
        self.rows.update()
        if len(found) < len(job_ids):  # deleted meanwhile
            self.reload_soon()

    def build(self) -> None:
        with ui.card().classes("w-full p-0 overflow-hidden gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-4 border-b border-gray-200"):
                ui.input(placeholder="Search by title", on_change=self._searched).props(
                    "outlined dense clearable debounce=300"
                ).classes("w-full sm:w-72").mark("search")
                ui.select(STATUS_FILTERS, value="all", on_change=self._filtered).props(
                    "outlined dense options-dense"
                ).classes("w-full sm:w-48").mark("status-filter")
                ui.space()
                self.total = ui.label().classes("text-sm text-grey-7")
            self.rows = JobRows().classes("w-full").mark("job-rows")
            self.rows.on("act", self._act)
            self.empty = ui.element("div").classes("w-full")
            with ui.row().classes("w-full justify-center p-3") as self.pager:
                self.pagination = ui.pagination(
                    1, 1, direction_links=True, on_change=self._paged
                ).props("max-pages=7 boundary-numbers")
        self.built = True
        self.show()

    def show(self) -> None:
        """Show `self.data`: the rows, the count, the empty state and the pagination."""
        data = self.data
        assert data is not None, "reload() before showing"
        self.page = data.page
        self.total.text = f"{data.total} job{'s' if data.total != 1 else ''}"
        self.jobs = {job.id: job for job in data.jobs}
        self.rows.rows = [
            job_row(job, data.clip_counts[job.id], data.first_clips.get(job.id))
            for job in data.jobs
        ]
        for job in data.jobs:
            self.live.seen(job)
        self.rows.visible = bool(data.jobs)
        self.empty.clear()
        if not data.jobs:
            with self.empty:
                empty_state(
                    "movie",
                    "No jobs yet: paste a URL above."
                    if data.total == 0 and self.status == "all" and not self.search
                    else "No job matches.",
                )
        self.pager.visible = data.pages > 1
        self.pagination.max = data.pages
        self.pagination.set_value(self.page)

    def row(self, job_id: int) -> dict[str, Any]:
        return next(row for row in self.rows.rows if row["id"] == job_id)

    async def _act(self, event: events.GenericEventArguments) -> None:
        action, job = event.args["action"], self.jobs.get(event.args["id"])
        if job is None:
            return
        if action == "cancel":
            await self.run_action(api.cancel_job, job, "Cancelling")
        elif action == "retry":
            await self.run_action(api.retry_job, job, "Retrying")
        elif action == "delete" and await confirm(
            f"Delete “{job_title(job)}”, its clips and files?", "Delete"
        ):
            await self.run_action(api.delete_job, job, "Deleted")

    async def run_action(self, action, job: Job, doing: str) -> None:
        if await job_action(action, job.id, self.user.id):
            ui.notify(f"{doing} job {job.id}.")
        await self.reload_now()

    async def reload_now(self) -> None:
        """Read again, seeing every change made until now (a filter, an action, a new job)."""
        self.changed_at = time.monotonic()
        await self.reload()

    def shows(self, status: str) -> bool:
        """Whether a job in `status` belongs in the list under the current status filter."""
        wanted = wanted_statuses(self.status)
        return wanted is None or status in wanted

    def may_enter(self, job_id: int, status: str) -> bool:
        """Whether a job not shown could now belong on this page: a new job (ids grow), or,
        under a status filter, a job that moved into the filtered status."""
        newest_shown = max(self.jobs, default=0)
        return self.shows(status) and (self.status != "all" or job_id > newest_shown)

    def on_update(self, update: JobUpdate) -> None:
        self.changed_at = time.monotonic()
        if update.id not in self.jobs:
            if update.status_changed and self.may_enter(update.id, update.status):
                self.reload_soon()
        elif update.status_changed and not self.shows(update.status):  # it leaves the page
            self.reload_soon()
        else:
            self.row(update.id).update(
                status_values(update.status, update.progress, update.current_step)
            )
            self.rows.update()
            if update.status_changed:
                self.stale_rows.add(update.id)  # title, length, clips, error, retry may change
                self.reload_rows_soon()

    async def _searched(self, event: events.ValueChangeEventArguments) -> None:
        self.search, self.page = event.value or "", 1
        await self.reload_now()

    async def _filtered(self, event: events.ValueChangeEventArguments) -> None:
        self.status, self.page = event.value, 1
        await self.reload_now()

    async def _paged(self, event: events.ValueChangeEventArguments) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.reload_now()
