"""The job page's transcript view, the same weight for a 2-hour video as for a 5-minute one.

The page holds one element for the lines (transcript.js) with the first HEAD_LINES of them, so
the first screen shows at once; the browser fetches the rest while the page starts
(`/media/jobs/{id}/lines.json`) and draws only the lines in view. It highlights the
line being played from the player's own events and seeks the player on a click, without a round
trip. The search box filters on the server (`find_lines`) and sends the matching line numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from nicegui import ui

from viralclipper.models.tables import Job
from viralclipper.queue import api
from viralclipper.queue.api import TranscriptLine
from viralclipper.ui.io import io_bound

TRANSCRIPT_CSS = """
.vc-transcript-lines { height: 24rem; }
.vc-transcript .vc-note { font-size: 0.875rem; color: #757575; padding: 0.5rem 0; }
.vc-line { display: flex; gap: 0.75rem; align-items: flex-start; padding: 0.25rem 0.5rem;
    border-radius: 4px; border-left: 3px solid transparent; cursor: pointer; }
.vc-line:hover, .vc-line:focus-visible { background: #e8eaf6; outline: none; }
.vc-line.vc-in-clip { background: #fff8e1; }
.vc-line.vc-playing { background: #c5cae9; border-left-color: var(--q-primary); }
.vc-time { font-family: monospace; font-size: 0.75rem; color: var(--q-primary); width: 3.5rem;
    flex-shrink: 0; margin-top: 0.125rem; }
.vc-text { font-size: 0.875rem; color: #212121; }
.vc-hit { background: #ffd54f; color: inherit; border-radius: 2px; }
video.vc-pinned { position: fixed; right: 1rem; bottom: 1rem; width: min(22rem, 60vw) !important;
    z-index: 3000; background: #000; border-radius: 6px; box-shadow: 0 4px 16px rgba(0,0,0,.45); }
.vc-unpin { position: fixed; right: 1rem; z-index: 3001; width: 1.75rem; height: 1.75rem;
    border: none; border-radius: 50%; background: rgba(0,0,0,.75); color: #fff; font-size: 1.1rem;
    line-height: 1; cursor: pointer; }
"""

# In the page's head: the lines are on their way while the app's scripts load and run (a null
# answer makes transcript.js fetch them itself).
PREFETCH_HTML = """<script>
(window.vcLines = window.vcLines || {})[SRC] =
  fetch(SRC).then((response) => (response.ok ? response.json() : null)).catch(() => null);
</script>"""

HEAD_LINES = 40  # more than the box shows (24rem)


def transcript_head(job: Job) -> list[TranscriptLine] | None:
    """The first lines of the job's transcript; None when it has none (yet). Blocking (the
    transcript is parsed once per file version): call it off the event loop."""
    if not (job.transcript_path and Path(job.transcript_path).is_file()):
        return None
    return api.transcript_lines(job)[:HEAD_LINES]


def find_lines(lines: list[TranscriptLine], query: str) -> list[int]:
    """The numbers of the lines that hold `query` (case aside), as transcript.js marks it."""
    needle = query.strip().lower()
    return [index for index, (_, _, text) in enumerate(lines) if needle in text.lower()]


def lines_url(job_id: int) -> str:
    return f"/media/jobs/{job_id}/lines.json"


class TranscriptLines(ui.element, component="transcript.js"):
    """The lines themselves, drawn in the browser; `pick` gets (start, end) of a clicked line."""

    def __init__(
        self,
        src: str,
        head: list[TranscriptLine],
        player_id: str | None,
        ranges: list[tuple[float, float]],
        on_pick: Callable[[float, float], None],
    ) -> None:
        super().__init__()
        self._props["src"] = src
        self._props["head"] = [list(line) for line in head]
        self._props["player"] = player_id
        self._props["ranges"] = [list(r) for r in ranges]
        self._props["found"] = None
        self._props["query"] = ""
        self.on("pick", lambda event: on_pick(float(event.args[0]), float(event.args[1])))

    def show(self, found: list[int] | None, query: str) -> None:
        """Only the lines `found` (all when None), `query` marked in them."""
        self._props["found"] = found
        self._props["query"] = query if found is not None else ""
        self.update()

    @property
    def found(self) -> list[int] | None:
        return self._props["found"]


class TranscriptView:
    """Search box, match count and the lines; the query survives the page's redraws."""

    def __init__(self, on_pick: Callable[[float, float], None]) -> None:
        self.on_pick = on_pick
        self.query = ""
        self.lines: TranscriptLines | None = None
        self.count: ui.label | None = None
        self.job: Job | None = None
        self.prefetched = False

    def build(
        self,
        job: Job,
        head: list[TranscriptLine],
        player_id: str | None,
        ranges: list[tuple[float, float]],
    ) -> None:
        self.job = job
        ui.add_css(TRANSCRIPT_CSS)
        with ui.row().classes("w-full items-center gap-3 no-wrap"):
            ui.input(
                placeholder="Search the transcript",
                value=self.query,
                on_change=lambda event: self.search(event.value or ""),
            ).props("dense outlined clearable debounce=250").classes("grow").mark(
                "transcript-search"
            ).add_slot("prepend", '<q-icon name="search" />')
            self.count = ui.label().classes("text-xs text-grey-6 shrink-0").mark("transcript-count")
        src = lines_url(job.id)
        if not self.prefetched:  # the browser fetches the lines while it starts the page
            ui.add_head_html(PREFETCH_HTML.replace("SRC", json.dumps(src)))
            self.prefetched = True
        self.lines = TranscriptLines(src, head, player_id, ranges, self.on_pick)
        self.lines.classes("w-full").mark("transcript")
        if self.query.strip():
            ui.timer(0, lambda: self.search(self.query), once=True)

    async def search(self, query: str) -> None:
        self.query = query
        if not query.strip() or self.job is None:
            self.show(None, query)
            return
        lines = await io_bound(api.transcript_lines, self.job)
        if query == self.query:  # not overtaken by a later keystroke meanwhile
            self.show(find_lines(lines, query), query)

    def show(self, found: list[int] | None, query: str) -> None:
        if self.lines is None or self.count is None:
            return
        self.lines.show(found, query)
        if found is None:
            self.count.set_text("")
        else:
            self.count.set_text(f"{len(found)} line{' matches' if len(found) == 1 else 's match'}")
