"""The clip editor: one clip's card with its tools (favourite, edit the range, title, hook and
caption words, undo back to the analysis's version, delete). The job page and the clips gallery
both use it.

A new range is rendered again as a queued task; the card keeps playing the old file and says
"Rendering… N%" until the new one is ready: each live update of the job sets the percentage in
place (`RenderWatch`), and the page redraws once the render is done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from nicegui import ui

from viralclipper.models import clips as clip_store
from viralclipper.models.jobs import JobActionError
from viralclipper.models.tables import Clip, Job
from viralclipper.queue import api
from viralclipper.ui.components import clip_card, confirm, hint
from viralclipper.ui.io import io_bound
from viralclipper.ui.live import LiveJobs

Changed = Callable[[], Awaitable[None]]
# what a clip may have of its own, as the editor offers it
RENDER_CHOICES: dict[str, tuple[str, dict[str, str]]] = {
    "output_format": ("Format", {"horizontal": "16:9", "vertical": "9:16"}),
    "layout": ("9:16 layout", {"auto": "Automatic", "center": "Center crop", "fit": "Fit"}),
    "captions": (
        "Captions",
        {
            "auto": "Automatic",
            "none": "None",
            "bold": "Bold",
            "classic": "Classic",
            "minimal": "Minimal",
        },
    ),
}
NUDGES: list[tuple[str, Literal[-1, 1], api.Step]] = [
    ("− word", -1, "word"),
    ("− 0.5 s", -1, "half_second"),
    ("+ 0.5 s", 1, "half_second"),
    ("+ word", 1, "word"),
]


def rendering_text(progress: float | None) -> str:
    return f"Rendering… {progress:.0f}%" if progress is not None else "Rendering…"


class RenderWatch:
    """The render percentages a page shows: a live update of a job re-reads the clips being
    rendered and sets their labels in place; when one is done, the page redraws."""

    def __init__(self, live: LiveJobs, redraw: Changed) -> None:
        self.redraw = redraw
        self.labels: dict[int, ui.label] = {}
        self.soon = live.debounced(self.refresh)

    def clear(self) -> None:
        """Before the page draws its clips again."""
        self.labels.clear()

    def track(self, clip_id: int, label: ui.label) -> None:
        self.labels[clip_id] = label

    def forget(self, clip_id: int) -> None:
        """Before one clip's card is drawn again."""
        self.labels.pop(clip_id, None)

    def show(self, clip_id: int, progress: float | None) -> None:
        """A render's new percentage, in place."""
        if (label := self.labels.get(clip_id)) is not None:
            label.text = rendering_text(progress)

    def heard(self) -> None:
        """A job changed: look at the renders shown (at the page's next refresh tick)."""
        if self.labels:
            self.soon()

    async def refresh(self) -> None:
        shown = dict(self.labels)
        states = await io_bound(clip_store.render_states, list(shown))
        if any(not states.get(clip_id, (False, None))[0] for clip_id in shown):
            await self.redraw()
            return
        for clip_id in shown:
            self.show(clip_id, states[clip_id][1])


def action(
    icon: str, text: str, on_click: Callable[[], Awaitable[None]], color: str = ""
) -> ui.button:
    """One of a card's round icon buttons, `text` shown on hover."""
    button = ui.button(icon=icon, on_click=on_click).props("flat round dense")
    return hint(button.props(f"color={color}") if color else button, text)


class ClipEditor:
    def __init__(
        self,
        clip: Clip,
        user_id: int,
        on_change: Changed,
        *,
        job: Job | None = None,
        on_publish: Callable[[int], Awaitable[None]] | None = None,
        youtube_links: list[tuple[str, str]] | None = None,
        renders: RenderWatch | None = None,
    ) -> None:
        self.clip, self.user_id, self.on_change, self.job = clip, user_id, on_change, job
        self.on_publish, self.youtube_links, self.renders = on_publish, youtube_links, renders

    def build(self) -> ui.card:
        clip = self.clip
        card = clip_card(
            clip, job=self.job, on_publish=self.on_publish, youtube_links=self.youtube_links
        )
        with card, ui.row().classes("w-full items-center gap-1 px-2 pb-2"):
            star = "star" if clip.favourite else "star_border"
            action(star, "Favourite", self.toggle_favourite, "amber-8").mark(
                f"clip-{clip.id}-favourite"
            )
            action("edit", "Edit range, title, hook", self.open_editor, "primary").mark(
                f"clip-{clip.id}-edit"
            )
            if clip.edited:
                action("undo", "Back to the analysis's version", self.undo).mark(
                    f"clip-{clip.id}-undo"
                )
            action("delete", "Delete this clip", self.reject, "negative").mark(
                f"clip-{clip.id}-delete"
            )
            ui.space()
            if clip.rendering:
                ui.spinner(size="sm")
                label = ui.label(rendering_text(clip.render_progress))
                label.classes("text-xs text-grey-7").mark(f"clip-{clip.id}-rendering")
                if self.renders is not None:
                    self.renders.track(clip.id, label)
            elif clip.edited:
                ui.badge("edited", color="grey-6").props("outline")
        return card

    async def _do(
        self,
        action: Callable[..., Any],
        *args: Any,
        done: str,
        dialog: ui.dialog | None = None,
        **kwargs: Any,
    ) -> bool:
        """Run `action` off the event loop; on success close `dialog`, say `done` and redraw."""
        try:
            await io_bound(lambda: action(*args, user_id=self.user_id, **kwargs))
        except JobActionError as exc:
            ui.notify(str(exc), type="warning")
            return False
        if dialog is not None:
            dialog.close()
        ui.notify(done)
        await self.on_change()
        return True

    async def toggle_favourite(self) -> None:
        favourite = not self.clip.favourite
        await self._do(
            api.favourite_clip,
            self.clip.id,
            favourite,
            done="Marked as a favourite." if favourite else "No longer a favourite.",
        )

    async def undo(self) -> None:
        await self._do(api.undo_clip_edits, self.clip.id, done="Back to the analysis's version.")

    async def reject(self) -> None:
        if await confirm(f"Delete the clip “{self.clip.title}”?", "Delete"):
            await self._do(api.reject_clip, self.clip.id, done="Clip deleted.")

    async def open_editor(self) -> None:
        clip = self.clip
        try:
            words = await io_bound(api.caption_words, clip.id, self.user_id)
        except JobActionError as exc:
            ui.notify(str(exc), type="warning")
            return
        # at the page's root: the redraw after saving replaces the card that opened it
        with (
            ui.context.client.content,
            ui.dialog() as dialog,
            ui.card().classes("w-[30rem] p-5 gap-3"),
        ):
            ui.label("Edit clip").classes("text-h6")
            title = ui.input("Title", value=clip.title).classes("w-full").mark("edit-title")
            hook = ui.input("Hook", value=clip.hook or "").classes("w-full").mark("edit-hook")
            start = self._bound_field("Start", "start", clip.start)
            end = self._bound_field("End", "end", clip.end)
            ui.label(
                "Move an end by a word or by half a second, anywhere in the video. A new range "
                "is rendered again; the current file plays until then."
            ).classes("text-xs text-grey-7")
            if words:
                self._word_fixer(words, dialog)
            own = clip.render_options or {}
            with ui.row().classes("w-full gap-2 no-wrap"):
                render = {
                    name: ui.select(
                        {"": "As its job", **choices}, value=own.get(name, ""), label=label
                    )
                    .props("outlined dense options-dense")
                    .classes("grow")
                    .mark(f"edit-{name}")
                    for name, (label, choices) in RENDER_CHOICES.items()
                }
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")

                async def save() -> None:
                    chosen = {k: field.value for k, field in render.items() if field.value}
                    changed = {k: v for k, v in chosen.items() if own.get(k) != v}

                    def edit(user_id: int) -> None:
                        api.edit_clip(
                            clip.id,
                            user_id,
                            start=float(start.value),
                            end=float(end.value),
                            title=title.value,
                            hook=hook.value,
                        )
                        if changed:
                            api.set_clip_render(clip.id, user_id, **changed)

                    await self._do(edit, done="Clip saved.", dialog=dialog)

                ui.button("Save", icon="save", on_click=save).props("unelevated no-caps").mark(
                    "edit-save"
                )
        dialog.on("hide", dialog.delete)
        dialog.open()

    def _word_fixer(self, words: list[api.CaptionWord], dialog: ui.dialog) -> None:
        """The clip's caption words: a click picks a misheard one, the fix typed for it shows in
        the burned-in captions, the SRT and the VTT once the clip is rendered again."""
        picked: list[api.CaptionWord] = []
        ui.label("Caption words: click a misheard word to fix it (fixed words are green).").classes(
            "text-xs text-grey-7"
        )
        with ui.scroll_area().classes("w-full h-28 border rounded"), ui.row().classes("gap-0"):
            for i, word in enumerate(words):
                ui.button(word.text, on_click=lambda w=word: pick(w)).props(
                    "flat dense no-caps padding='0 4px' "
                    + ("color=positive" if word.fixed else "color=grey-9")
                ).mark(f"caption-word-{i}")
        heard = ui.label().classes("text-xs text-grey-7")
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            fix = ui.input("Pick a word above").props("outlined dense").classes("grow")
            fix.mark("caption-fix")
            save = ui.button("Fix word", icon="spellcheck").props("outline no-caps")
            save.mark("caption-fix-save")
        fix.disable()
        save.disable()

        def pick(word: api.CaptionWord) -> None:
            picked[:] = [word]
            heard.text = f"Heard “{word.heard}” at {word.start:.2f} s; the captions say:"
            fix.value = word.text
            fix.enable()
            save.enable()

        async def fix_word() -> None:
            if picked:
                await self._do(
                    api.fix_caption_word,
                    self.clip.id,
                    picked[0].start,
                    fix.value or "",
                    done="Caption word fixed: the clip is rendered again.",
                    dialog=dialog,
                )

        save.on_click(fix_word)

    def _bound_field(self, label: str, edge: api.Edge, value: float) -> ui.number:
        with ui.row().classes("w-full items-center gap-1 no-wrap"):
            field = (
                ui.number(f"{label} (s)", value=value, step=0.5, format="%.2f", min=0)
                .props("outlined dense")
                .classes("w-28")
                .mark(f"edit-{edge}")
            )
            for text, direction, step in NUDGES:

                async def nudge(
                    direction: Literal[-1, 1] = direction, step: api.Step = step
                ) -> None:
                    try:
                        field.value = await io_bound(
                            api.nudge_time,
                            self.clip.id,
                            edge,
                            float(field.value),
                            direction,
                            step,
                            self.user_id,
                        )
                    except JobActionError as exc:
                        ui.notify(str(exc), type="warning")

                ui.button(text, on_click=nudge).props("flat dense no-caps").mark(
                    f"nudge-{edge}-{direction}-{step}"
                )
        return field
