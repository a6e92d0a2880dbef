"""One job: player, metadata, live progress, stage timeline, event log, transcript, its analysis
runs (switch to an earlier one) and the clips of the current run, each in the clip editor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nicegui import context, ui

from viralclipper.models import clips, jobs, runs
from viralclipper.models.jobs import (
    FINISHED_STATES,
    STAGE_STATUS,
    JobActionError,
    JobStatus,
    can_reanalyze,
    failed_stage,
)
from viralclipper.models.runs import RunStatus, RunSummary
from viralclipper.models.tables import AnalysisRun, Clip, Job, JobEvent, User
from viralclipper.queue import api
from viralclipper.queue.api import TranscriptLine
from viralclipper.queue.transport import JobUpdate
from viralclipper.stages import STAGE_LABELS, STAGES
from viralclipper.ui.actions import job_action
from viralclipper.ui.auth import protected_page
from viralclipper.ui.clip_cells import ClipCells, card_key
from viralclipper.ui.clip_editor import ClipEditor, RenderWatch
from viralclipper.ui.components import (
    JobProgress,
    StatusChip,
    clip_card,
    clip_grid,
    confirm,
    display_url,
    empty_state,
    format_seconds,
    format_time,
    hint,
    job_origin,
    job_thumbnail,
    job_title,
    not_found,
    section_title,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.live import LiveJobs
from viralclipper.ui.run_compare import open_comparison
from viralclipper.ui.transcript import TranscriptView, transcript_head
from viralclipper.ui.youtube import PublishDialog, youtube_links

# Quasar's dense timeline puts the subtitle (here the duration) above a heading-sized title:
# show the stage name first, at body size, with its duration under it.
TIMELINE_CSS = """
.stage-timeline .q-timeline__entry { display: flex; flex-direction: column; padding-bottom: 8px; }
.stage-timeline .q-timeline__content { order: 1; padding-bottom: 0; }
.stage-timeline .q-timeline__subtitle { order: 2; text-transform: none; letter-spacing: 0;
    font-weight: 400; opacity: 0.7; padding-bottom: 0; margin-top: -2px; }
.stage-timeline .q-timeline__title { font-size: 0.95rem; font-weight: 500; margin: 0;
    line-height: 1.4; }
"""
EVENT_ICONS = {
    "info": ("info", "grey-6"),
    "warning": ("warning", "orange-8"),
    "error": ("error", "negative"),
}


def register() -> None:
    @protected_page("/jobs/{job_id}")
    async def job_page(user: User, job_id: str) -> None:
        # listening before the read: a change made while it runs is heard (replayed once the
        # browser connects) instead of lost
        live = LiveJobs(context.client, user.id)
        data = await io_bound(read_page, int(job_id), user.id) if job_id.isdigit() else None
        with frame(job_title(data.job) if data else "Job not found", user, live):
            if data is None:
                not_found("job")
                return
            JobView(data, user, live).build()


@dataclass
class JobPage:
    """What the page shows of a job, read in one go off the event loop (the transcript apart)."""

    job: Job
    has_media: bool
    transcript_head: list[TranscriptLine] | None  # its first lines; None: no transcript (yet)
    clips: list[Clip]
    events: list[JobEvent]
    runs: list[RunSummary]  # newest first
    youtube_links: dict[int, list[tuple[str, str]]]
    running: RunningRun

    @property
    def current_run(self) -> RunSummary | None:
        return next((r for r in self.runs if r.current), None)

    @property
    def edited(self) -> int:
        current = self.current_run
        return current.edited if current else 0


@dataclass(frozen=True)
class RunningRun:
    """The analysis in progress, if any, with the clips it has rendered so far (best first)."""

    run: AnalysisRun | None
    clips: list[Clip]

    @property
    def clip_ids(self) -> list[int]:
        return [clip.id for clip in self.clips]


def read_running(job_id: int) -> RunningRun:
    run = runs.open_run(job_id)
    return RunningRun(run, clips.run_clips(run.id) if run else [])


def read_page(job_id: int, user_id: int) -> JobPage | None:
    job = jobs.get_job(job_id, user_id=user_id)
    if job is None:
        return None
    found = clips.list_clips(job_id=job.id, order="score", limit=100)
    return JobPage(
        job,
        bool(job.media_path and Path(job.media_path).is_file()),
        transcript_head(job),
        found,
        jobs.list_events(job.id, limit=200),
        runs.list_runs(job.id),
        youtube_links([clip.id for clip in found]),
        read_running(job.id),
    )


class JobView:
    def __init__(self, data: JobPage, user: User, live: LiveJobs) -> None:
        self.data, self.job, self.user = data, data.job, user
        self.chip: StatusChip | None = None
        self.progress: JobProgress | None = None
        self.player: ui.video | None = None
        self.cards = ClipCells(self.clip_editor)
        self.publisher = PublishDialog(user)  # one for the page, at its root
        self.picked = 0.0  # the transcript line last clicked, in seconds
        self.transcript_view = TranscriptView(self.pick)
        live.seen(self.job)
        self.reload_soon = live.debounced(self.reload)
        self.running_soon = live.debounced(self.reload_running)
        self.renders = RenderWatch(live, self.reload)
        live.on_update(self.on_update)

    def build(self) -> None:
        # under the title: what tells this job from another of the same title
        ui.label(job_origin(self.job)).classes("text-sm text-grey-7 -mt-5").mark("job-origin")
        self.body()

    def body(self) -> None:
        """Each section redraws on its own (see reload): a live update leaves the source player
        playing and the transcript scrolled where they are."""
        with ui.row().classes("w-full gap-6 items-stretch no-wrap max-lg:flex-wrap"):
            with ui.card().tight().classes("grow basis-0 min-w-80 overflow-hidden bg-black"):
                self.player_section()
            with ui.card().classes("w-full lg:w-[26rem] p-5 gap-3"):
                self.summary_section()
        self.running_run()
        self.clips_section()
        with ui.row().classes("w-full gap-6 items-start no-wrap max-lg:flex-wrap"):
            with ui.card().classes("grow basis-0 min-w-80 p-5 gap-3"):
                section_title("Transcript", "subtitles")
                self.transcript_tools()
                self.transcript()
            self.side_section()

    @ui.refreshable_method
    def player_section(self) -> None:
        job = self.job
        if self.data.has_media:
            self.player = (
                ui.video(f"/media/jobs/{job.id}/source", autoplay=False)
                .classes("w-full")
                .props("preload=metadata")
                .mark("source-player")
            )
        else:
            self.player = None
            ui.image(job_thumbnail(job, None)).classes("w-full aspect-video").props("fit=cover")

    @ui.refreshable_method
    def summary_section(self) -> None:
        self.summary(self.job)

    @ui.refreshable_method
    def clips_section(self) -> None:
        job = self.job
        self.renders.clear()
        with ui.column().classes("w-full gap-3"):
            job_clips = self.data.clips
            section_title(f"Clips ({len(job_clips)})", "video_library")
            if job_clips:
                self.cards.draw(clip_grid(), job_clips)
            else:
                with ui.card().classes("w-full"):
                    empty_state(
                        "hourglass_empty",
                        "No clips yet."
                        if job.status not in FINISHED_STATES
                        else "This run produced no clips.",
                    )

    def clip_editor(self, clip: Clip) -> ui.card:
        return ClipEditor(
            clip,
            self.user.id,
            self.reload,
            job=self.job,
            on_publish=self.publisher.open,
            youtube_links=self.data.youtube_links[clip.id],
            renders=self.renders,
        ).build()

    def redraw_clips(self, old: JobPage) -> None:
        """Only what changed: the section if the clips shown did, else the cards of changed
        clips, else (a render going on) their percentages in place."""
        if clips_layout(self.data) != clips_layout(old):
            self.clips_section.refresh()
            return
        for clip, before in zip(self.data.clips, old.clips, strict=True):
            if card_key(clip, self.data.youtube_links.get(clip.id)) != card_key(
                before, old.youtube_links.get(before.id)
            ):
                self.renders.forget(clip.id)
                self.cards.redraw(clip)
            elif clip.render_progress != before.render_progress:
                self.renders.show(clip.id, clip.render_progress)

    def side_section(self) -> None:
        with ui.column().classes("w-full lg:w-[26rem] gap-6"):
            self.runs_and_stages()
            with ui.card().classes("w-full p-5 gap-2"):
                section_title("Event log", "receipt_long")
                self.event_log = EventLog()
                self.event_log.add(self.data.events)

    @ui.refreshable_method
    def runs_and_stages(self) -> None:
        with ui.column().classes("w-full gap-6"):
            if self.data.runs:
                with ui.card().classes("w-full p-5 gap-2"):
                    section_title("Analyses", "history")
                    self.run_list(self.data.runs)
            with ui.card().classes("w-full p-5 gap-2"):
                section_title("Stages", "timeline")
                self.timeline(self.job)

    def summary(self, job: Job) -> None:
        with ui.row().classes("items-center gap-2"):
            self.chip = StatusChip(job.status)
            ui.label(f"Job #{job.id}").classes("text-sm text-grey-7")
        if job.upload:
            ui.label("Uploaded file").classes("text-sm text-grey-8")
        else:
            ui.link(display_url(job.source_url), job.source_url, new_tab=True).classes(
                "text-sm break-all text-primary"
            )
        self.progress = JobProgress(job)
        if job.status == JobStatus.FAILED and job.error_message:
            with ui.element("div").classes("w-full rounded bg-red-1 text-negative p-3 text-sm"):
                ui.label(job.error_message).mark("job-error")
        self.run_notes()
        with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-sm"):
            for name, value in (
                ("Uploader", job.uploader or "—"),
                ("Length", format_seconds(job.duration)),
                ("Created", format_time(job.created_at)),
                ("Started", format_time(job.started_at)),
                ("Finished", format_time(job.finished_at)),
                ("Attempts", str(job.attempts)),
                ("Analyzer", job.clip_settings.analyzer),
                ("Format", "9:16" if job.clip_settings.output_format == "vertical" else "16:9"),
            ):
                ui.label(name).classes("text-grey-6")
                ui.label(value).classes("text-grey-9")
        with ui.row().classes("w-full gap-2 pt-2"):
            if job.status not in FINISHED_STATES:
                ui.button(
                    "Cancel",
                    icon="stop_circle",
                    on_click=lambda: self.act(api.cancel_job, "Cancel requested."),
                ).props("outline no-caps color=orange-8")
            if api.can_retry(job):
                ui.button(
                    "Retry",
                    icon="replay",
                    on_click=lambda: self.act(api.retry_job, "Queued again."),
                ).props("unelevated no-caps")
            if can_reanalyze(job):
                again = ui.button("Re-analyze", icon="auto_awesome", on_click=self.reanalyze)
                hint(again.props("unelevated no-caps"), "With my current settings").mark(
                    "reanalyze"
                )
            if self.data.clips:
                zip_button = ui.button("ZIP", icon="folder_zip").props(
                    f"flat no-caps href=/media/jobs/{job.id}/clips.zip tag=a"
                )
                hint(zip_button, "Every clip with its subtitles and thumbnail, and the transcript")
            delete = ui.button(icon="delete", on_click=self.delete)
            hint(delete.props("flat round color=negative"), "Delete")

    def run_notes(self) -> None:
        """What the user should know about the clips shown: the analyzer's notice, and a newer
        re-analysis that did not replace them."""
        current = self.data.current_run
        latest = self.data.runs[0] if self.data.runs else None
        if current is not None and current.run.notice:
            with ui.element("div").classes("w-full rounded bg-orange-1 text-orange-10 p-3 text-sm"):
                ui.label(current.run.notice).mark("run-notice")
        if latest is not None and latest.run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
            what = "failed" if latest.run.status == RunStatus.FAILED else "was cancelled"
            reason = f": {latest.run.error_message}" if latest.run.error_message else "."
            shown = f" These are the clips of analysis {current.run.number}." if current else ""
            with ui.element("div").classes("w-full rounded bg-grey-2 text-grey-9 p-3 text-sm"):
                ui.label(f"The last re-analysis {what}{reason}{shown}").mark("run-outcome")

    def run_list(self, summaries: list[RunSummary]) -> None:
        shown = self.data.current_run
        for summary in summaries:
            run = summary.run
            settings = run.clip_settings
            criteria = [c.title for c in settings.criteria or [] if c.enabled]
            with ui.row().classes("w-full items-center gap-2 no-wrap py-1") as row:
                row.mark(f"run-{run.number}")
                with ui.column().classes("gap-0 grow"):
                    best = f", best {summary.best_score:.0f}" if summary.best_score else ""
                    ui.label(
                        f"#{run.number} · {run.analyzer or settings.analyzer} · "
                        f"{summary.clip_count} clips{best}"
                    ).classes("text-sm text-grey-9")
                    ui.label(
                        f"{format_time(run.created_at)} · "
                        f"{', '.join(criteria) if criteria else 'default criteria'}"
                    ).classes("text-xs text-grey-6 ellipsis").style("max-width: 16rem")
                if shown is not None and run.status == RunStatus.COMPLETED and not summary.current:
                    compare = ui.button(
                        icon="compare_arrows",
                        on_click=lambda r=run.id: open_comparison(
                            self.job.id, r, shown.run.id, self.user.id
                        ),
                    )
                    hint(compare.props("flat dense round"), "Compare with the clips shown").mark(
                        f"compare-run-{run.number}"
                    )
                if summary.current:
                    ui.badge("shown", color="primary")
                elif run.status == RunStatus.COMPLETED and self.job.status in FINISHED_STATES:
                    ui.button("Show", on_click=lambda r=run.id: self.switch(r)).props(
                        "flat dense no-caps"
                    ).mark(f"show-run-{run.number}")
                else:
                    ui.badge(run.status, color="grey-6").props("outline")

    @ui.refreshable_method
    def running_run(self) -> None:
        """The clips of the analysis in progress, each shown as soon as it is rendered; the
        clips below stay the job's clips until it completes."""
        running = self.data.running
        if running.run is None or not running.clips:
            return
        with ui.column().classes("w-full gap-3").mark("running-run"):
            section_title(
                f"Analysis #{running.run.number} in progress: {len(running.clips)} "
                f"clip{'s' if len(running.clips) != 1 else ''} ready",
                "pending",
            )
            ui.label(
                "These replace the clips below when the analysis completes; a cancelled or "
                "failed analysis leaves the clips below as they are."
            ).classes("text-xs text-grey-7")
            with clip_grid():
                for clip in running.clips:
                    clip_card(clip, job=self.job)

    async def reload_running(self) -> None:
        """Redraw the analysis in progress when it has rendered another clip."""
        running = await io_bound(read_running, self.job.id)
        if running.clip_ids != self.data.running.clip_ids:
            self.data.running = running
            self.running_run.refresh()

    async def switch(self, run_id: int) -> None:
        if await job_action(
            lambda job_id, user_id: api.switch_run(job_id, run_id, user_id),
            self.job.id,
            self.user.id,
        ):
            ui.notify("Showing that analysis's clips.")
            await self.reload()

    async def reanalyze(self) -> None:
        edited = self.data.edited
        if edited and not await confirm(
            f"Re-analyze and replace {edited} clip{'s' if edited != 1 else ''} you edited? "
            "They stay in this analysis, which you can show again.",
            "Re-analyze",
        ):
            return
        await self.act(api.reanalyze_job, "Re-analyzing with your current settings.")

    def timeline(self, job: Job) -> None:
        current = next((stage for stage in STAGES if STAGE_STATUS[stage] == job.status), None)
        failed = failed_stage(job)
        ui.add_css(TIMELINE_CSS)
        with (
            ui.timeline(side="right")
            .props("dense layout=dense color=primary")
            .classes("stage-timeline")
        ):
            for stage in STAGES:
                seconds = job.stage_seconds.get(stage)
                if seconds is not None and stage != current:
                    icon, color, note = "check", "positive", f"{seconds:.1f} s"
                elif stage == current:
                    icon, color, note = "autorenew", "primary", "running…"
                elif stage == failed:
                    icon, color, note = "error", "negative", "failed here"
                else:
                    icon, color, note = "radio_button_unchecked", "grey-5", "waiting"
                    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                        note = "not reached"
                ui.timeline_entry(
                    title=STAGE_LABELS[stage], subtitle=note, icon=icon, color=color
                ).mark(f"stage-{stage}")

    @ui.refreshable_method
    def transcript_tools(self) -> None:
        if self.data.transcript_head is None:
            return
        with ui.row().classes("w-full items-center -mt-2"):
            if self.player is not None:
                ui.label("Click a line to play from there; shaded lines are in a clip.").classes(
                    "text-xs text-grey-6 grow"
                )
            if self.job.status in FINISHED_STATES and self.data.current_run is not None:
                ui.button("New clip", icon="add", on_click=self.new_clip).props(
                    "flat dense no-caps"
                ).mark("new-clip")

    @ui.refreshable_method
    def transcript(self) -> None:
        if self.data.transcript_head is None:
            ui.label("The transcript appears here once the video is transcribed.").classes(
                "text-sm text-grey-6"
            )
            return
        player_id = f"c{self.player.id}" if self.player is not None else None
        ranges = clip_ranges(self.data)
        self.transcript_view.build(self.job, self.data.transcript_head, player_id, ranges)

    def pick(self, start: float, _end: float) -> None:
        """A line was clicked (the browser has already sought the player there)."""
        self.picked = start  # where a new clip starts

    def new_clip(self) -> None:
        """A clip from a range of the transcript: from the line last clicked, 20 s long."""
        start_at = self.picked
        with (
            ui.context.client.content,
            ui.dialog() as dialog,
            ui.card().classes("w-[26rem] p-5 gap-3"),
        ):
            ui.label("New clip").classes("text-h6")
            title = ui.input("Title (default: its first words)").classes("w-full")
            with ui.row().classes("w-full gap-3 no-wrap"):
                start = ui.number("Start (s)", value=start_at, step=0.5, format="%.2f", min=0)
                end = ui.number("End (s)", value=start_at + 20, step=0.5, format="%.2f", min=0)
            start.props("outlined dense").mark("new-clip-start")
            end.props("outlined dense").mark("new-clip-end")

            async def create() -> None:
                try:
                    await io_bound(
                        lambda: api.add_clip(
                            self.job.id,
                            float(start.value),
                            float(end.value),
                            self.user.id,
                            title=title.value,
                        )
                    )
                except JobActionError as exc:
                    ui.notify(str(exc), type="warning")
                    return
                dialog.close()
                ui.notify("New clip: it is being rendered.")
                await self.reload()

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Make clip", icon="content_cut", on_click=create).props(
                    "unelevated no-caps"
                ).mark("new-clip-save")
        dialog.on("hide", dialog.delete)
        dialog.open()

    async def act(self, action, done: str) -> None:
        if await job_action(action, self.job.id, self.user.id):
            ui.notify(done)
            await self.reload()

    async def delete(self) -> None:
        if await confirm(f"Delete “{job_title(self.job)}”, its clips and files?", "Delete"):
            if await job_action(api.delete_job, self.job.id, self.user.id):
                ui.notify("Job deleted.")
            ui.navigate.to("/jobs")

    async def reload(self) -> None:
        data = await io_bound(read_page, self.job.id, self.user.id)
        if data is None:
            return
        old, self.data, self.job = self.data, data, data.job
        # redraw only what changed: the player and transcript would lose position and scroll
        if data.has_media != old.has_media:
            self.player_section.refresh()
        if transcript_key(data) != transcript_key(old):
            self.transcript.refresh()
        elif clip_ranges(data) != clip_ranges(old) and self.transcript_view.lines is not None:
            # the clips' shading, changed in place: the lines keep their scroll
            self.transcript_view.lines.props["ranges"] = [list(r) for r in clip_ranges(data)]
            self.transcript_view.lines.update()
        self.transcript_tools.refresh()
        self.redraw_clips(old)
        if data.running.clip_ids != old.running.clip_ids:
            self.running_run.refresh()
        self.summary_section.refresh()
        self.runs_and_stages.refresh()
        self.event_log.add(data.events)

    def on_update(self, update: JobUpdate) -> None:
        if update.id != self.job.id:
            return
        if update.status_changed:
            self.reload_soon()
        elif self.progress is not None:
            self.progress.set(update.status, update.progress, update.current_step)
        self.renders.heard()
        if update.status == JobStatus.SLICING:
            self.running_soon()


class EventLog:
    """The job's events, oldest first: new ones are appended in place, so the box keeps its
    scroll position while the job moves on."""

    def __init__(self) -> None:
        self.empty = ui.label("Nothing logged yet.").classes("text-sm text-grey-6")
        self.box = ui.scroll_area().classes("w-full h-64").mark("event-log")
        self.shown = 0  # the newest event's id shown

    def add(self, events: list[JobEvent]) -> None:
        """Show the events (newest first, as read) not shown yet."""
        new = [event for event in reversed(events) if event.id > self.shown]
        with self.box:
            for event in new:
                self.line(event)
        self.shown = max([self.shown, *(event.id for event in new)])
        self.empty.visible = self.shown == 0
        self.box.visible = self.shown > 0

    def line(self, event: JobEvent) -> None:
        icon, color = EVENT_ICONS.get(event.level, EVENT_ICONS["info"])
        with ui.row().classes("w-full gap-2 no-wrap items-start py-1"):
            ui.icon(icon, color=color, size="xs").classes("mt-0.5")
            with ui.column().classes("gap-0"):
                ui.label(event.message).classes("text-sm text-grey-9 break-words")
                ui.label(format_time(event.created_at)).classes("text-xs text-grey-6")


def clips_layout(data: JobPage) -> tuple[object, ...]:
    """Which clips the section shows: a change here redraws it."""
    return (data.job.status in FINISHED_STATES, [clip.id for clip in data.clips])


def clip_ranges(data: JobPage) -> list[tuple[float, float]]:
    return [(clip.start, clip.end) for clip in data.clips]


def transcript_key(data: JobPage) -> tuple[object, ...]:
    """What the transcript shows (with the player it seeks): a change here redraws it."""
    return (data.has_media, data.transcript_head)
