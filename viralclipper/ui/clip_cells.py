"""The clips of a page as cells of one grid, one element per clip: a live update or an edit
redraws only the cells of clips that changed, adds new clips' cells and removes gone ones; the
other cells keep their elements (their players play on). The job page and the clips gallery use
it."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from viralclipper.models.tables import Clip

Build = Callable[[Clip], ui.element]


def card_key(clip: Clip, youtube_links: object) -> tuple[object, ...]:
    """What a clip's card shows, its render percentage apart (set in place): a change here
    redraws the card."""
    return (clip.model_dump(exclude={"render_progress"}), youtube_links)


class ClipCells:
    def __init__(self, build: Build) -> None:
        self.build = build
        self.cells: dict[int, ui.element] = {}  # by clip id, in the grid's order

    def draw(self, grid: ui.element, clips: list[Clip]) -> None:
        """All the cells, in a new (empty) grid."""
        self.grid = grid
        self.cells = {}
        with grid:
            for clip in clips:
                self.cells[clip.id] = self.build(clip)

    def redraw(self, clip: Clip) -> None:
        """One clip's cell again, where it was."""
        old = self.cells[clip.id]
        self.cells[clip.id] = self._built(clip, self.grid.default_slot.children.index(old))
        old.delete()

    def update(self, clips: list[Clip], changed: Callable[[Clip], bool]) -> None:
        """The grid shows `clips` in this order: gone clips' cells removed, new ones added and
        those of `changed` clips redrawn; the others are kept (moved if the order changed)."""
        wanted = {clip.id for clip in clips}
        for clip_id in [clip_id for clip_id in self.cells if clip_id not in wanted]:
            self.cells.pop(clip_id).delete()
        for index, clip in enumerate(clips):
            old = self.cells.get(clip.id)
            if old is None:
                self.cells[clip.id] = self._built(clip, index)
            elif changed(clip):
                self.redraw(clip)
            elif self.grid.default_slot.children.index(old) != index:
                old.move(self.grid, target_index=index)
        self.cells = {clip.id: self.cells[clip.id] for clip in clips}

    def _built(self, clip: Clip, index: int) -> ui.element:
        with self.grid:
            cell = self.build(clip)
        cell.move(self.grid, target_index=index)
        return cell
