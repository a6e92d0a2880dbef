"""The clips gallery across jobs: sort by score or date, filter by job, minimum score and
favourites; each clip in the clip editor."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from nicegui import events, ui

from viralclipper.models import clips, jobs
from viralclipper.models.clips import ClipOrder, Published
from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import Clip, Job, User
from viralclipper.queue.transport import JobUpdate
from viralclipper.ui.auth import protected_page
from viralclipper.ui.clip_cells import ClipCells, card_key
from viralclipper.ui.clip_editor import ClipEditor, RenderWatch
from viralclipper.ui.clip_tiles import TILE_GRID, WIDE_CARD, vertical_tile
from viralclipper.ui.components import clip_grid, empty_state, is_vertical, job_choice
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.live import LiveJobs
from viralclipper.ui.youtube import PublishDialog, youtube_links

PAGE_SIZE = 12
PUBLISHED_FILTERS = {
    "": "All clips",
    "published": "Published",
    "scheduled": "Scheduled",
    "unpublished": "Not published",
}


def register() -> None:
    @protected_page("/clips")
    async def clips_page(user: User, job: str | None = None) -> None:
        with frame("Clips", user) as live:
            job_options = await io_bound(read_job_options, user.id)
            job_id = int(job) if job and job.isdigit() else None
            gallery = Gallery(user, live, job_id if job_id in job_options else None)
            await gallery.reload()
            gallery.build(job_options)


@dataclass
class GalleryPage:
    """What one drawing of the grid shows, read in one go off the event loop."""

    total: int
    page: int
    pages: int
    clips: list[Clip]
    jobs: dict[int, Job]
    youtube_links: dict[int, list[tuple[str, str]]]


@dataclass
class Filters:
    order: ClipOrder = "score"
    job_id: int | None = None
    min_score: float = 0.0
    favourites: bool = False
    published: Published | None = None
    page: int = 1


def read_job_options(user_id: int) -> dict[int, str]:
    """The job filter's choices: all jobs, or one of the user's."""
    return {
        0: "All jobs",
        **{job.id: job_choice(job) for job in jobs.list_jobs(user_id, limit=500)},
    }


def read_page(user_id: int, filters: Filters) -> GalleryPage:
    min_score = filters.min_score or None
    total = clips.count_clips(
        job_id=filters.job_id,
        user_id=user_id,
        min_score=min_score,
        favourites=filters.favourites,
        published=filters.published,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    found = clips.list_clips(
        job_id=filters.job_id,
        user_id=user_id,
        min_score=min_score,
        order=filters.order,
        favourites=filters.favourites,
        published=filters.published,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return GalleryPage(
        total,
        page,
        pages,
        found,
        jobs.get_jobs(clip.job_id for clip in found),
        youtube_links([clip.id for clip in found]),
    )


class Gallery:
    def __init__(self, user: User, live: LiveJobs, job_id: int | None) -> None:
        self.user = user
        self.filters = Filters(job_id=job_id)
        self.data: GalleryPage | None = None
        self.drawings = 0  # counts reloads, so an outdated read is not drawn
        self.reload_soon = live.debounced(self.reload)
        self.renders = RenderWatch(live, self.reload)
        self.cells = ClipCells(self.cell)
        live.on_update(self.on_update)

    async def reload(self) -> None:
        """Read the current page off the event loop, then redraw the grid."""
        self.drawings += 1
        drawing = self.drawings
        data = await io_bound(read_page, self.user.id, replace(self.filters))
        if drawing != self.drawings:  # a later reload (e.g. a new filter) draws instead
            return
        old, self.data = self.data, data
        self.filters.page = data.page
        if old is None or grid_layout(old) != grid_layout(data):
            self.grid.refresh()
            return
        self.counts.refresh()
        self.pager.refresh()
        self.cells.update(data.clips, lambda clip: self.cell_changed(old, data, clip))

    def cell_changed(self, old: GalleryPage, new: GalleryPage, clip: Clip) -> bool:
        """Whether the clip's cell shows something else now (its render percentage apart,
        set in place)."""
        was = {shown.id: shown for shown in old.clips}[clip.id]
        if cell_key(old, was) != cell_key(new, clip):
            return True
        if clip.render_progress != was.render_progress:
            self.renders.show(clip.id, clip.render_progress)
        return False

    def build(self, job_options: dict[int, str]) -> None:
        self.publisher = PublishDialog(self.user)
        self.player = ui.dialog().mark("clip-player")
        self.playing: int | None = None  # the clip open in the player
        with ui.card().classes("w-full p-4"), ui.row().classes("w-full items-center gap-6"):
            ui.toggle(
                {"score": "Best first", "date": "Newest first"},
                value=self.filters.order,
                on_change=self._ordered,
            ).props("no-caps unelevated toggle-color=primary")
            ui.select(
                job_options, value=self.filters.job_id or 0, label="Job", on_change=self._job_chosen
            ).props("outlined dense options-dense").classes("w-72").mark("job-filter")
            with ui.row().classes("items-center gap-3 grow min-w-64"):
                label = ui.label().classes("text-sm text-grey-7 w-24")
                slider = ui.slider(min=0, max=100, step=5, value=0, on_change=self._scored)
                slider.props("color=primary").classes("grow").mark("min-score")
                label.bind_text_from(slider, "value", lambda v: f"Min score {v:.0f}")
            ui.switch("Favourites", on_change=self._favourites).mark("favourites-filter")
            ui.select(
                PUBLISHED_FILTERS, value="", label="YouTube", on_change=self._published
            ).props("outlined dense options-dense").classes("w-44").mark("published-filter")
        self.grid()

    @ui.refreshable_method
    def grid(self) -> None:
        data = self.data
        assert data is not None, "reload() before drawing"
        if not data.clips:
            with ui.card().classes("w-full"):
                empty_state(
                    "video_library",
                    "No clips match."
                    if data.total == 0
                    and (
                        self.filters.job_id
                        or self.filters.min_score
                        or self.filters.favourites
                        or self.filters.published
                    )
                    else "No clips yet: they appear here when a job completes.",
                )
            return
        self.counts()
        self.renders.clear()
        self.cells.draw(
            ui.grid().classes(TILE_GRID) if grid_layout(data)[1] else clip_grid(), data.clips
        )
        self.pager()

    @ui.refreshable_method
    def counts(self) -> None:
        data = self.data
        assert data is not None
        with ui.row().classes("w-full items-center -mb-3"):
            ui.label(f"{data.total} clip{'s' if data.total != 1 else ''}").classes(
                "text-sm text-grey-7"
            )
            ids = ",".join(str(clip.id) for clip in data.clips)
            ui.button("ZIP of these clips", icon="folder_zip").props(
                f"flat dense no-caps href=/media/clips.zip?ids={ids} tag=a"
            ).mark("gallery-zip")

    @ui.refreshable_method
    def pager(self) -> None:
        data = self.data
        assert data is not None
        if data.pages > 1:
            with ui.row().classes("w-full justify-center"):
                ui.pagination(
                    1, data.pages, direction_links=True, value=data.page, on_change=self._paged
                ).props("max-pages=7 boundary-numbers")

    def cell(self, clip: Clip) -> ui.element:
        """A clip's cell in the grid: a 9:16 tile, or its card (two tiles wide among tiles)."""
        data = self.data
        assert data is not None
        self.renders.forget(clip.id)
        if is_vertical(clip, data.jobs.get(clip.job_id)):
            return vertical_tile(clip, self.play)
        with ui.element("div").classes(WIDE_CARD if grid_layout(data)[1] else "w-full") as cell:
            self.editor(clip).build()
        return cell

    def editor(self, clip: Clip) -> ClipEditor:
        assert self.data is not None
        return ClipEditor(
            clip,
            self.user.id,
            self.changed,
            job=self.data.jobs.get(clip.job_id),
            on_publish=self.publisher.open,
            youtube_links=self.data.youtube_links[clip.id],
            renders=self.renders,
        )

    def play(self, clip: Clip) -> None:
        """The clip large, with its tools, in the player dialog."""
        self.playing = clip.id
        self.player.clear()
        with self.player, ui.card().classes("w-full max-w-md p-0"):
            self.editor(clip).build()
        self.player.open()

    async def changed(self) -> None:
        """After an edit: the grid again, and the open clip as it is now (gone: closed)."""
        await self.reload()
        if self.player.value and self.data is not None:
            now = next((c for c in self.data.clips if c.id == self.playing), None)
            if now is None:
                self.player.close()
            else:
                self.play(now)

    def on_update(self, update: JobUpdate) -> None:
        if update.status_changed and update.status == JobStatus.COMPLETED:
            self.reload_soon()
        else:
            self.renders.heard()

    async def _ordered(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.order, self.filters.page = event.value, 1
        await self.reload()

    async def _job_chosen(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.job_id, self.filters.page = (event.value or None), 1
        await self.reload()

    async def _scored(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.min_score, self.filters.page = float(event.value or 0), 1
        await self.reload()

    async def _favourites(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.favourites, self.filters.page = bool(event.value), 1
        await self.reload()

    async def _published(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.published, self.filters.page = event.value or None, 1
        await self.reload()

    async def _paged(self, event: events.ValueChangeEventArguments) -> None:
        self.filters.page = event.value
        await self.reload()


def grid_layout(data: GalleryPage) -> tuple[bool, bool]:
    """Whether there are clips, and whether some are 9:16 tiles (a grid of tiles): a change
    here redraws the whole grid, else only the cells of clips that changed."""
    vertical = any(is_vertical(clip, data.jobs.get(clip.job_id)) for clip in data.clips)
    return (bool(data.clips), vertical)


def cell_key(data: GalleryPage, clip: Clip) -> tuple[object, ...]:
    """What a clip's cell shows: a change here redraws it."""
    return (
        card_key(clip, data.youtube_links.get(clip.id)),
        is_vertical(clip, data.jobs.get(clip.job_id)),
    )
