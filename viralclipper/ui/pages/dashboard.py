"""Dashboard: counts by status, running jobs moving live, recent jobs and the best recent clips."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from viralclipper.models import clips, jobs
from viralclipper.models.jobs import RUNNING_STATES, JobStatus
from viralclipper.models.tables import Clip, Job, User
from viralclipper.queue.transport import JobUpdate
from viralclipper.ui.auth import protected_page
from viralclipper.ui.components import (
    STATUS_LOOK,
    JobProgress,
    StatusChip,
    clip_card,
    clip_grid,
    empty_state,
    format_ago,
    hint,
    job_origin,
    job_source,
    job_thumbnail,
    job_title,
    section_title,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.live import LiveJobs
from viralclipper.ui.submit import submit_box

COUNT_TILES = [  # label, statuses counted, color, icon
    ("Queued", [JobStatus.PENDING], *STATUS_LOOK[JobStatus.PENDING]),
    ("Running", sorted(RUNNING_STATES), "blue-7", "autorenew"),
    ("Completed", [JobStatus.COMPLETED], *STATUS_LOOK[JobStatus.COMPLETED]),
    ("Failed", [JobStatus.FAILED], *STATUS_LOOK[JobStatus.FAILED]),
    ("Cancelled", [JobStatus.CANCELLED], *STATUS_LOOK[JobStatus.CANCELLED]),
]
RECENT_JOBS = 6
BEST_CLIPS = 6
RECENT_CLIP_POOL = 60  # "best recent": the best of the latest this many clips


def register() -> None:
    @protected_page("/")
    async def dashboard_page(user: User) -> None:
        with frame("Dashboard", user) as live:
            dashboard = Dashboard(user, live)
            await submit_box(user, on_added=dashboard.reload)
            await dashboard.reload()
            dashboard.best = await io_bound(read_best_clips, user.id)
            dashboard.build()


@dataclass
class JobsOverview:
    """What the jobs section shows, read in one go off the event loop."""

    counts: dict[str, int]
    running: list[Job]
    recent: list[Job]


@dataclass
class BestClips:
    clips: list[Clip]
    jobs: dict[int, Job]


def read_best_clips(user_id: int) -> BestClips:
    """The best of the user's latest clips, and their jobs."""
    pool = clips.list_clips(user_id=user_id, order="date", limit=RECENT_CLIP_POOL)
    best = sorted(pool, key=lambda clip: clip.score, reverse=True)[:BEST_CLIPS]
    return BestClips(best, jobs.get_jobs(clip.job_id for clip in best))


def read_overview(user_id: int) -> JobsOverview:
    return JobsOverview(
        jobs.count_jobs_by_status(user_id),
        jobs.list_jobs(user_id, status=list(RUNNING_STATES), limit=20),
        jobs.list_jobs(user_id, limit=RECENT_JOBS),
    )


class Dashboard:
    def __init__(self, user: User, live: LiveJobs) -> None:
        self.user, self.live = user, live
        self.progress: dict[int, tuple[StatusChip, JobProgress]] = {}
        self.overview: JobsOverview | None = None
        self.best: BestClips | None = None
        self.reload_soon = live.debounced(self.reload)
        self.reload_clips_soon = live.debounced(self.reload_clips)
        live.on_update(self.on_update)

    async def reload(self) -> None:
        """Read the counts and jobs off the event loop, then redraw the jobs section."""
        self.overview = await io_bound(read_overview, self.user.id)
        await self.jobs_section.refresh()

    async def reload_clips(self) -> None:
        self.best = await io_bound(read_best_clips, self.user.id)
        await self.best_clips.refresh()

    def build(self) -> None:
        self.jobs_section()
        self.best_clips()

    @ui.refreshable_method
    def jobs_section(self) -> None:
        overview = self.overview
        assert overview is not None, "reload() before drawing"
        counts = overview.counts
        with ui.grid().classes("w-full gap-4 grid-cols-2 md:grid-cols-5"):
            for label, statuses, color, icon in COUNT_TILES:
                count = sum(counts.get(status, 0) for status in statuses)
                with ui.card().classes("p-4 gap-1").mark(f"count-{label.lower()}"):
                    with ui.row().classes("items-center gap-2"):
                        ui.icon(icon, color=color, size="sm")
                        ui.label(label).classes("text-sm text-grey-7")
                    ui.label(str(count)).classes("text-h4 font-bold text-grey-9")
        self.progress = {}
        with ui.row().classes("w-full gap-6 items-start no-wrap max-lg:flex-wrap"):
            with ui.card().classes("grow basis-0 min-w-80 p-5 gap-3"):
                section_title("Running now", "bolt")
                if not overview.running:
                    ui.label("Nothing is running.").classes("text-sm text-grey-6")
                for job in overview.running:
                    self.running_job(job)
            with ui.card().classes("grow basis-0 min-w-80 p-5 gap-3"):
                with ui.row().classes("w-full items-center"):
                    section_title("Recent jobs", "history")
                    ui.space()
                    ui.button(
                        "New job", icon="add", on_click=lambda: ui.navigate.to("/jobs")
                    ).props("unelevated dense no-caps")
                if not overview.recent:
                    empty_state("movie", "No jobs yet: add a video on the Jobs page.")
                with ui.list().props("separator").classes("w-full"):
                    for job in overview.recent:
                        self.recent_job(job)

    def running_job(self, job: Job) -> None:
        with ui.row().classes("w-full items-center gap-3 no-wrap"):
            ui.image(job_thumbnail(job, None)).classes("w-20 aspect-video rounded shrink-0").props(
                "fit=cover"
            )
            with ui.column().classes("grow gap-1 min-w-0"):
                with ui.row().classes("w-full items-center no-wrap gap-2"):
                    link = ui.link(job_title(job), f"/jobs/{job.id}")
                    link.classes("font-medium text-grey-9 no-underline ellipsis grow")
                    hint(link, job_origin(job))
                    chip = StatusChip(job.status)
                ui.label(f"#{job.id} · {job_source(job)}").classes("text-xs text-grey-6")
                progress = JobProgress(job)
        self.progress[job.id] = (chip, progress)
        self.live.seen(job)

    def recent_job(self, job: Job) -> None:
        with ui.item(on_click=lambda: ui.navigate.to(f"/jobs/{job.id}")).classes("px-0"):
            with ui.item_section():
                ui.item_label(job_title(job)).classes("ellipsis font-medium")
                origin = ui.item_label(
                    f"#{job.id} · {job_source(job)} · {format_ago(job.created_at)}"
                )
                hint(origin.props("caption"), job_origin(job)).mark(f"origin-{job.id}")
            with ui.item_section().props("side"):
                StatusChip(job.status)
        self.live.seen(job)

    @ui.refreshable_method
    def best_clips(self) -> None:
        best = self.best
        assert best is not None, "reload_clips() before drawing"
        with ui.column().classes("w-full gap-3"):
            with ui.row().classes("w-full items-center"):
                section_title("Best recent clips", "star")
                ui.space()
                ui.link("All clips", "/clips").classes("text-primary text-sm")
            if not best.clips:
                with ui.card().classes("w-full"):
                    empty_state("video_library", "Clips show up here when a job completes.")
                return
            with clip_grid():
                for clip in best.clips:
                    clip_card(clip, job=best.jobs.get(clip.job_id))

    def on_update(self, update: JobUpdate) -> None:
        widgets = self.progress.get(update.id)
        if update.status_changed:
            self.reload_soon()
            if update.status == JobStatus.COMPLETED:
                self.reload_clips_soon()
        elif widgets is not None:
            widgets[1].set(update.status, update.progress, update.current_step)
