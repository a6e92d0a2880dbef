"""The clips gallery across jobs: sort by score or date, filter by job and minimum score."""

from __future__ import annotations

import math

from fastapi.responses import RedirectResponse
from nicegui import events, ui

from viralclipper.models import clips, jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import User
from viralclipper.ui.auth import current_user
from viralclipper.ui.components import clip_card, empty_state, job_title
from viralclipper.ui.frame import frame
from viralclipper.ui.live import LiveJobs

PAGE_SIZE = 12


def register() -> None:
    @ui.page("/clips")
    def clips_page(job: str | None = None) -> RedirectResponse | None:
        user = current_user()
        if user is None:
            return RedirectResponse("/login")
        with frame("Clips", user) as live:
            Gallery(user, live, int(job) if job and job.isdigit() else None).build()
        return None


class Gallery:
    def __init__(self, user: User, live: LiveJobs, job_id: int | None) -> None:
        self.user = user
        self.order = "score"
        self.job_id = job_id
        self.min_score = 0.0
        self.page = 1
        self.refresh_soon = live.debounced(self.grid.refresh)
        live.on_update(self.on_update)

    def build(self) -> None:
        user_jobs = jobs.list_jobs(self.user.id, limit=500)
        job_options = {
            0: "All jobs",
            **{job.id: f"#{job.id} {job_title(job)}"[:70] for job in user_jobs},
        }
        if self.job_id not in job_options:
            self.job_id = None
        with ui.card().classes("w-full p-4"), ui.row().classes("w-full items-center gap-6"):
            ui.toggle(
                {"score": "Best first", "date": "Newest first"},
                value=self.order,
                on_change=self._ordered,
            ).props("no-caps unelevated toggle-color=primary")
            ui.select(
                job_options, value=self.job_id or 0, label="Job", on_change=self._job_chosen
            ).props("outlined dense options-dense").classes("w-72").mark("job-filter")
            with ui.row().classes("items-center gap-3 grow min-w-64"):
                label = ui.label().classes("text-sm text-grey-7 w-24")
                slider = ui.slider(min=0, max=100, step=5, value=0, on_change=self._scored)
                slider.props("color=primary").classes("grow").mark("min-score")
                label.bind_text_from(slider, "value", lambda v: f"Min score {v:.0f}")
        self.grid()

    @ui.refreshable_method
    def grid(self) -> None:
        total = clips.count_clips(
            job_id=self.job_id, user_id=self.user.id, min_score=self.min_score or None
        )
        pages = max(1, math.ceil(total / PAGE_SIZE))
        self.page = min(self.page, pages)
        found = clips.list_clips(
            job_id=self.job_id,
            user_id=self.user.id,
            min_score=self.min_score or None,
            order=self.order,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )
        if not found:
            with ui.card().classes("w-full"):
                empty_state(
                    "video_library",
                    "No clips match."
                    if total == 0 and (self.job_id or self.min_score)
                    else "No clips yet: they appear here when a job completes.",
                )
            return
        job_by_id = {job_id: jobs.get_job(job_id) for job_id in {clip.job_id for clip in found}}
        ui.label(f"{total} clip{'s' if total != 1 else ''}").classes("text-sm text-grey-7 -mb-3")
        with ui.grid().classes("w-full gap-4 grid-cols-1 sm:grid-cols-2 lg:grid-cols-3"):
            for clip in found:
                clip_card(clip, job=job_by_id[clip.job_id])
        if pages > 1:
            with ui.row().classes("w-full justify-center"):
                ui.pagination(
                    1, pages, direction_links=True, value=self.page, on_change=self._paged
                ).props("max-pages=7 boundary-numbers")

    def on_update(self, update: dict) -> None:
        if update["status_changed"] and update["status"] == JobStatus.COMPLETED:
            self.refresh_soon()

    def _ordered(self, event: events.ValueChangeEventArguments) -> None:
        self.order, self.page = event.value, 1
        self.grid.refresh()

    def _job_chosen(self, event: events.ValueChangeEventArguments) -> None:
        self.job_id, self.page = (event.value or None), 1
        self.grid.refresh()

    def _scored(self, event: events.ValueChangeEventArguments) -> None:
        self.min_score, self.page = float(event.value or 0), 1
        self.grid.refresh()

    def _paged(self, event: events.ValueChangeEventArguments) -> None:
        self.page = event.value
        self.grid.refresh()
