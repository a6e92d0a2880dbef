"""Two analyses of a job side by side (the job page's "Compare"): each one's clips with their
time range, score and title, marked the same in both, new in the later one, or dropped."""

from __future__ import annotations

from nicegui import ui

from viralclipper.models.jobs import JobActionError
from viralclipper.models.tables import AnalysisRun, Clip
from viralclipper.queue import api
from viralclipper.ui.components import format_seconds, format_time, score_badge
from viralclipper.ui.io import io_bound

CHANGE_COLORS = {"same": "grey-7", "new": "positive", "dropped": "negative"}


async def open_comparison(job_id: int, run_id: int, other_id: int, user_id: int) -> None:
    try:
        compared = await io_bound(api.compare_runs, job_id, run_id, other_id, user_id)
    except JobActionError as exc:
        ui.notify(str(exc), type="warning")
        return
    later = compared.later_clips
    counts = {
        "same": sum(1 for c in later if c.id in compared.same),
        "new": sum(1 for c in later if c.id not in compared.same),
        "dropped": sum(1 for c in compared.earlier_clips if c.id not in compared.same),
    }
    with (
        ui.context.client.content,
        ui.dialog() as dialog,
        ui.card().classes("w-[60rem] max-w-full p-5 gap-3").mark("run-comparison"),
    ):
        ui.label(f"Analysis #{compared.earlier.number} and #{compared.later.number}").classes(
            "text-h6"
        )
        ui.label(", ".join(f"{n} {change}" for change, n in counts.items())).classes(
            "text-sm text-grey-8"
        ).mark("comparison-counts")
        with ui.grid().classes("w-full gap-4 grid-cols-1 sm:grid-cols-2"):
            for run, found in (
                (compared.earlier, compared.earlier_clips),
                (compared.later, later),
            ):
                _column(run, found, compared)
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=dialog.close).props("flat no-caps")
    dialog.on("hide", dialog.delete)
    dialog.open()


def _column(run: AnalysisRun, found: list[Clip], compared: api.RunComparison) -> None:
    with ui.column().classes("gap-1 min-w-0").mark(f"compared-run-{run.number}"):
        ui.label(
            f"#{run.number} · {run.analyzer or run.clip_settings.analyzer} · "
            f"{format_time(run.created_at)}"
        ).classes("text-sm font-medium text-grey-9")
        if not found:
            ui.label("No clips.").classes("text-sm text-grey-6")
        for clip in found:
            change = compared.change(clip)
            with ui.row().classes("w-full items-center gap-2 no-wrap py-0.5") as row:
                row.mark(f"compared-{change}")
                ui.label(f"{format_seconds(clip.start)}–{format_seconds(clip.end)}").classes(
                    "text-xs font-mono text-grey-8 w-24 shrink-0"
                )
                score_badge(clip.score)
                ui.label(clip.title).classes("text-sm text-grey-9 grow ellipsis")
                ui.badge(change, color=CHANGE_COLORS[change]).props("outline")
