"""Settings: the criteria editor, clip limits, analyzer, output format, "save and re-analyze"
for a chosen job, and for admins the instance settings (LLM endpoint, model and key; Whisper)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nicegui import background_tasks, ui

from viralclipper.config import (
    AUTO_GPU_WHISPER,
    AUTO_WHISPER,
    BUNDLED_WHISPER,
    WHISPER_MODELS,
    ClipSettings,
    Criterion,
    InstanceSettings,
    Settings,
    get_settings,
    problems,
    redact_url,
)
from viralclipper.models import jobs
from viralclipper.models.instance import (
    effective_settings,
    get_instance_settings,
    save_instance_settings,
)
from viralclipper.models.jobs import can_reanalyze
from viralclipper.models.settings import get_user_settings, save_user_settings
from viralclipper.models.tables import Job, User
from viralclipper.queue import api
from viralclipper.queue.criterion_preview import CriterionMatches, criterion_matches
from viralclipper.ui.actions import job_action
from viralclipper.ui.auth import protected_page
from viralclipper.ui.components import (
    confirm,
    format_seconds,
    job_choice,
    section_title,
    show_error,
)
from viralclipper.ui.frame import frame
from viralclipper.ui.io import io_bound
from viralclipper.ui.youtube import ChannelsSection, ChannelsState, read_channels

ANALYZERS = {"auto": "Automatic", "llm": "LLM", "offline": "Offline"}
FORMATS = {"horizontal": "16:9 original", "vertical": "9:16 vertical"}
LAYOUTS = {
    "auto": "Follow the speaker",
    "center": "Centre crop",
    "fit": "Whole frame",
    "split": "Two people stacked",
}
CAPTIONS = {
    "auto": "Bold on vertical clips",
    "bold": "Bold",
    "classic": "Classic",
    "minimal": "Minimal",
    "none": "None",
}
RESOLUTIONS = {"1080x1920": "1080×1920", "720x1280": "720×1280"}
FIELDS = "w-full gap-3 grid-cols-1 sm:grid-cols-2"  # stacked on a phone, two a row wider
# Quasar's autogrow measures a text box when it is drawn; inside a closed expansion that is 0 px,
# and it measures again only on typing: so measure once the expansion has opened
FIT_TEXT_BOXES = """() => getHtmlElement(ID).querySelectorAll('textarea').forEach((box) => {
  box.style.height = '1px'; box.style.height = box.scrollHeight + 'px'; })"""
PREVIEW_DELAY = 0.4  # seconds of quiet typing before a criterion's matches are looked up again
# closing the tab, reloading or any navigation (the app's own are page loads) asks first while
# the page marks unsaved changes
ASK_BEFORE_LEAVING = """<script>
window.addEventListener('beforeunload', (event) => {
  if (document.querySelector('.vc-unsaved')) { event.preventDefault(); event.returnValue = ''; }
});
</script>"""


def register() -> None:
    @protected_page("/settings")
    async def settings_page(user: User) -> None:
        data = await io_bound(read_page, user)
        with frame("Settings", user):
            ui.add_head_html(ASK_BEFORE_LEAVING)
            SettingsForm(user, data).build()
            ChannelsSection(user, data.channels).build()


@dataclass
class SettingsPage:
    """What the page shows, read in one go off the event loop."""

    stored: ClipSettings
    default_criteria: list[Criterion]
    in_use: Settings
    reanalyzable: list[Job]
    instance: InstanceSettings | None  # admins only
    channels: ChannelsState


def read_page(user: User) -> SettingsPage:
    return SettingsPage(
        get_user_settings(user.id),
        api.default_criteria(),
        effective_settings(),
        [job for job in jobs.list_jobs(user.id, limit=100) if can_reanalyze(job)],
        get_instance_settings() if user.is_admin else None,
        read_channels(user.id),
    )


def criterion_key(title: str, taken: set[str]) -> str:
    """A file-name-like key from a title, unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "criterion"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


class SettingsForm:
    def __init__(self, user: User, data: SettingsPage) -> None:
        self.user, self.data = user, data
        self.fields: dict[str, Any] = {}  # where problems() speaks -> the field that shows it
        self.previews: dict[str, CriterionPreview] = {}
        self.show(data.stored)

    def show(self, stored: ClipSettings) -> None:
        """The criteria as stored: the user's own, or the defaults."""
        self.stored = stored
        self.customized = stored.criteria is not None
        criteria = stored.criteria if self.customized else self.data.default_criteria
        self.criteria = [c.model_copy() for c in criteria or []]

    def build(self) -> None:
        self.error = (
            ui.label().classes("w-full rounded bg-red-1 text-negative p-3").mark("settings-error")
        )
        self.error.visible = False
        with ui.row().classes("w-full gap-6 items-start no-wrap max-lg:flex-wrap"):
            with ui.column().classes("grow basis-0 min-w-80 gap-3"):
                self.criteria_editor()
            with ui.column().classes("w-full lg:w-[26rem] gap-6"):
                self.clip_options()
                self.save_card()
                if self.data.instance is not None:
                    InstanceForm(self.user, self.data.instance).build()
        self.saved = self.snapshot()
        self.changed()
        self.preview_all()

    # --- unsaved changes and problems ---------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The form's values, comparable with an earlier snapshot."""
        values = self.values()
        if values["criteria"] is not None:
            values["criteria"] = [c.model_dump() for c in values["criteria"]]
        return values

    def changed(self) -> None:
        """After every edit: mark unsaved changes, say each problem next to its field."""
        dirty = self.snapshot() != self.saved
        self.unsaved.visible = dirty
        self.unsaved.classes(
            add="vc-unsaved" if dirty else "", remove="" if dirty else "vc-unsaved"
        )
        self.save_button.set_enabled(dirty)
        self.show_problems(problems(ClipSettings, self.values()))

    def show_problems(self, found: dict[str, str]) -> None:
        for where, field in self.fields.items():
            field.error = found.pop(where, None)
        if found:  # a problem with no field of its own (two criteria with one key)
            show_error(self.error, next(iter(found.values())))
        else:
            self.error.visible = False

    def watch(self, element: Any, where: str | None = None) -> Any:
        """`element` marks changes (and shows the problems of `where`)."""
        element.on_value_change(self.changed)
        if where is not None:  # its error is ours to set (changed), not its own validation's
            self.fields[where] = element.without_auto_validation()
        return element

    # --- criteria ---------------------------------------------------------------------------

    @ui.refreshable_method
    def criteria_editor(self) -> None:
        self.fields = {k: v for k, v in self.fields.items() if not k.startswith("criteria.")}
        self.previews = {}
        with ui.row().classes("w-full items-center"):
            section_title("Criteria", "checklist")
            ui.chip(
                "customized" if self.customized else "defaults",
                color="indigo-1" if self.customized else "grey-3",
                text_color="primary" if self.customized else "grey-8",
            ).props("dense")
            ui.space()
            ui.button("Reset to defaults", icon="restart_alt", on_click=self.reset_criteria).props(
                "flat no-caps color=grey-8"
            )
        ui.label(
            "What the analyzer looks for. Switch criteria off, rewrite them in your words, "
            "or add your own; lines starting with “- ” are phrases to look for."
        ).classes("text-sm text-grey-7")
        self.preview_choice()
        for index, criterion in enumerate(self.criteria):
            self.criterion_card(index, criterion)
        self.new_criterion_card()

    def preview_choice(self) -> None:
        finished = self.data.reanalyzable
        if not finished:
            ui.label(
                "When a job has finished, each criterion shows here which of its lines it matches."
            ).classes("text-xs text-grey-6")
            self.preview_job = None
            return
        chosen = getattr(self, "preview_job", None)
        self.preview_job = (
            ui.select(
                {job.id: job_choice(job) for job in finished},
                label="Show matches in",
                value=chosen.value if chosen is not None else finished[0].id,
                on_change=self.preview_all,
            )
            .props("outlined dense options-dense")
            .classes("w-full")
            .mark("preview-job")
        )

    def criterion_card(self, index: int, criterion: Criterion) -> None:
        card = ui.card().classes("w-full p-0").mark(f"criterion-{criterion.key}")
        with card, ui.expansion().classes("w-full").props("dense-toggle") as expansion:
            expansion.on("after-show", js_handler=FIT_TEXT_BOXES.replace("ID", str(expansion.id)))
            with (
                expansion.add_slot("header"),
                ui.row().classes("w-full items-center no-wrap gap-3 py-1"),
            ):
                self.watch(
                    ui.switch(value=criterion.enabled)
                    .bind_value(criterion, "enabled")
                    .on("click.stop", lambda: None)
                    .mark(f"enabled-{criterion.key}")
                )
                with ui.column().classes("gap-0 grow min-w-0"):
                    ui.label().bind_text_from(criterion, "title").classes("font-medium text-grey-9")
                    ui.label(criterion.key).classes("text-xs text-grey-6 font-mono")
            with ui.column().classes("w-full gap-2 px-4 pb-4"):
                self.watch(
                    ui.input("Title")
                    .bind_value(criterion, "title")
                    .props("outlined dense")
                    .classes("w-full")
                    .mark(f"title-{criterion.key}"),
                    f"criteria.{index}.title",
                )
                text = self.watch(
                    ui.textarea("Description, signals and phrases")
                    .bind_value(criterion, "text")
                    .props("outlined autogrow")
                    .classes(f"w-full font-mono text-sm vc-criterion-{criterion.key}")
                    .mark(f"text-{criterion.key}"),
                    f"criteria.{index}.text",
                )
                preview = CriterionPreview(self, criterion)
                text.on_value_change(preview.soon)
                self.previews[criterion.key] = preview
                with ui.row().classes("w-full justify-end"):
                    ui.button(
                        "Remove",
                        icon="delete",
                        on_click=lambda c=criterion: self.remove_criterion(c),
                    ).props("flat dense no-caps color=negative")

    def new_criterion_card(self) -> None:
        def add() -> None:
            title, text = (title_input.value or "").strip(), (text_input.value or "").strip()
            if not title or not text:
                ui.notify("A new criterion needs a title and a description.", type="warning")
                return
            key = criterion_key(title, {c.key for c in self.criteria})
            self.criteria.append(Criterion(key=key, title=title, text=f"{title}\n{text}"))
            self.customized = True
            ui.notify(f"Added “{title}”: save to keep it.")
            self.redraw_criteria()

        with ui.card().classes(
            "w-full p-4 gap-2 border-dashed border-2 border-gray-300 shadow-none"
        ):
            ui.label("Add a criterion").classes("font-medium")
            title_input = (
                ui.input("Title", placeholder="Surprising statistics")
                .props("outlined dense")
                .classes("w-full")
                .mark("new-criterion-title")
            )
            text_input = (
                ui.textarea(
                    "Description",
                    placeholder=(
                        "A number that makes people stop scrolling.\n\nsignals: numbers\n- percent"
                    ),
                )
                .props("outlined autogrow")
                .classes("w-full")
                .mark("new-criterion-text")
            )
            ui.button("Add criterion", icon="add", on_click=add).props("outline no-caps")

    def redraw_criteria(self) -> None:
        self.criteria_editor.refresh()
        self.changed()
        self.preview_all()

    def remove_criterion(self, criterion: Criterion) -> None:
        self.criteria.remove(criterion)
        self.customized = True
        self.redraw_criteria()

    async def reset_criteria(self) -> None:
        if not await confirm("Replace your criteria with the defaults?", "Reset"):
            return
        self.show(await io_bound(save_user_settings, self.user.id, criteria=None))
        self.saved["criteria"] = None
        self.redraw_criteria()
        ui.notify("Criteria reset to the defaults.", type="positive")

    def preview_all(self) -> None:
        for preview in self.previews.values():
            preview.soon(delay=0)

    # --- the other settings ------------------------------------------------------------------

    def clip_options(self) -> None:
        s, watch = self.stored, self.watch
        with ui.card().classes("w-full p-5 gap-3"):
            section_title("Clips", "content_cut")
            with ui.grid().classes(FIELDS):
                self.min_seconds = watch(
                    ui.number("Min seconds", value=s.min_clip_seconds, min=1, step=1).props(
                        "outlined dense"
                    ),
                    "min_clip_seconds",
                )
                self.max_seconds = watch(
                    ui.number("Max seconds", value=s.max_clip_seconds, min=1, step=1).props(
                        "outlined dense"
                    ),
                    "max_clip_seconds",
                )
                self.min_score = watch(
                    ui.number("Min score", value=s.min_score, min=0, max=100, step=5).props(
                        "outlined dense"
                    ),
                    "min_score",
                )
                self.max_clips = watch(
                    ui.number("Max clips", value=s.max_clips, min=1, step=1, precision=0).props(
                        "outlined dense"
                    ),
                    "max_clips",
                )
            ui.label("Output format").classes("text-sm text-grey-7")
            self.output_format = watch(
                ui.toggle(FORMATS, value=s.output_format).props(
                    "no-caps unelevated toggle-color=primary"
                )
            )
            with ui.grid().classes(FIELDS):
                self.layout = watch(
                    ui.select(LAYOUTS, value=s.layout, label="9:16 framing")
                    .props("outlined dense")
                    .mark("layout")
                )
                self.resolution = watch(
                    ui.select(RESOLUTIONS, value=s.vertical_resolution, label="9:16 size")
                    .props("outlined dense")
                    .mark("resolution")
                )
                self.captions = watch(
                    ui.select(CAPTIONS, value=s.captions, label="Burned-in captions")
                    .props("outlined dense")
                    .mark("captions")
                )
                self.loudness = watch(
                    ui.switch("Normalise loudness (-14 LUFS)", value=s.normalize_loudness).mark(
                        "loudness"
                    )
                )
        with ui.card().classes("w-full p-5 gap-3"):
            section_title("Analysis", "psychology")
            self.analyzer = watch(
                ui.toggle(ANALYZERS, value=s.analyzer).props(
                    "no-caps unelevated toggle-color=primary"
                )
            )
            ui.label(
                "Automatic uses the LLM when one is configured, else the offline analyzer."
            ).classes("text-xs text-grey-6")
            in_use(self.data.in_use)

    def save_card(self) -> None:
        finished = self.data.reanalyzable
        with ui.card().classes("w-full p-5 gap-3"):
            self.unsaved = (
                ui.badge("Unsaved changes", color="orange-2", text_color="orange-10")
                .classes("text-sm px-2 py-1")
                .mark("unsaved")
            )
            self.save_button = (
                ui.button("Save settings", icon="save", on_click=self.save)
                .props("unelevated no-caps")
                .classes("w-full")
                .mark("save-settings")
            )
            ui.separator()
            ui.label(
                "Try the new settings on a video you already have: no new download, "
                "no new transcription."
            ).classes("text-sm text-grey-7")
            self.reanalyze_job = (
                ui.select(
                    {job.id: job_choice(job) for job in finished},
                    label="Job to re-analyze",
                    value=finished[0].id if finished else None,
                )
                .props("outlined dense options-dense")
                .classes("w-full")
                .mark("reanalyze-job")
            )
            ui.button(
                "Save and re-analyze", icon="auto_awesome", on_click=self.save_and_reanalyze
            ).props("outline no-caps").classes("w-full").set_enabled(bool(finished))

    def values(self) -> dict[str, Any]:
        """The form as settings; save_user_settings judges them."""
        customized = self.customized or self.criteria_changed()
        return {
            "criteria": self.criteria if customized else None,
            "min_clip_seconds": self.min_seconds.value,
            "max_clip_seconds": self.max_seconds.value,
            "min_score": self.min_score.value,
            "max_clips": self.max_clips.value,
            "output_format": self.output_format.value,
            "analyzer": self.analyzer.value,
            "layout": self.layout.value,
            "captions": self.captions.value,
            "vertical_resolution": self.resolution.value,
            "normalize_loudness": self.loudness.value,
        }

    def criteria_changed(self) -> bool:
        return self.criteria != self.data.default_criteria

    async def save(self) -> bool:
        self.error.visible = False
        try:
            values = self.values()
            self.stored = await io_bound(lambda: save_user_settings(self.user.id, **values))
        except ValueError as exc:  # SettingsError: one sentence, said next to its field if any
            found = problems(ClipSettings, self.values())
            self.show_problems(found)
            if not found:  # e.g. the LLM analyzer on a server without one
                show_error(self.error, str(exc))
            ui.notify(str(exc), type="negative")
            return False
        self.customized = self.stored.criteria is not None
        self.saved = self.snapshot()
        self.criteria_editor.refresh()
        self.changed()
        self.preview_all()
        ui.notify("Settings saved.", type="positive")
        return True

    async def save_and_reanalyze(self) -> None:
        job_id = self.reanalyze_job.value
        if job_id is None:
            ui.notify("Choose a job to re-analyze.", type="warning")
            return
        if not await self.save():
            return
        if await job_action(api.reanalyze_job, job_id, self.user.id):
            ui.navigate.to(f"/jobs/{job_id}")


class CriterionPreview:
    """Under a criterion's text: the lines of the chosen job its phrases match, the matched words
    marked; looked up again (off the event loop) once the typing pauses."""

    def __init__(self, form: SettingsForm, criterion: Criterion) -> None:
        self.form, self.criterion = form, criterion
        self.waiting: asyncio.Task[None] | None = None
        self.box = ui.column().classes("w-full gap-1").mark(f"matches-{criterion.key}")

    def soon(self, *_: Any, delay: float = PREVIEW_DELAY) -> None:
        if self.waiting is not None:
            self.waiting.cancel()
        self.waiting = background_tasks.create(self.update(delay), name="criterion preview")

    async def update(self, delay: float) -> None:
        chosen = self.form.preview_job
        if chosen is None or chosen.value is None:
            return
        await asyncio.sleep(delay)
        text, user_id = self.criterion.text, self.form.user.id
        try:
            matches = await io_bound(criterion_matches, chosen.value, user_id, text)
        except LookupError:
            return
        # io_bound answers None while the app shuts down
        if matches is not None and not self.box.is_deleted:
            self.draw(matches)

    def draw(self, matches: CriterionMatches) -> None:
        self.box.clear()
        with self.box:
            if not matches.phrases:
                message = "No phrases (lines starting with “- ”): it matches by its signals only."
            elif not matches.total:
                message = "Its phrases match no line of this job."
            else:
                shown = len(matches.lines)
                lines = "line" if matches.total == 1 else "lines"
                more = f", the first {shown} here" if shown < matches.total else ""
                message = f"Matches {matches.total} {lines} of this job{more}:"
            ui.label(message).classes("text-xs text-grey-7")
            for line in matches.lines:
                with ui.row().classes("w-full no-wrap gap-2 items-baseline"):
                    ui.label(format_seconds(line.start)).classes(
                        "text-xs font-mono text-primary shrink-0"
                    )
                    ui.html(marked(line.text, line.spans)).classes("text-sm text-grey-9")


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` as HTML with `spans` in <mark>."""
    parts, at = [], 0
    for start, end in spans:
        parts += [html.escape(text[at:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        at = end
    return "".join([*parts, html.escape(text[at:])])


def report(label: ui.label, message: str) -> None:
    show_error(label, message)
    ui.notify(message, type="negative")


AUTO_LABEL = f"auto ({AUTO_GPU_WHISPER} on a GPU, tiny.en on the CPU)"


def whisper_name(model: str | None) -> str:
    """The Whisper model as users may see it: a name, never a path."""
    if not model or model == BUNDLED_WHISPER:
        return "tiny.en (bundled)"
    if model == AUTO_WHISPER:
        return AUTO_LABEL
    return model if model in WHISPER_MODELS else f"{Path(model).name} (local)"


def in_use(settings: Settings) -> None:
    """Which analyzer and models the instance uses, for every user; nothing else (no URL, key)."""
    llm = f"LLM model {settings.openai_model}" if settings.llm_configured else "no LLM configured"
    ui.label(f"This server: {llm}; Whisper {whisper_name(settings.whisper_model)}.").classes(
        "text-xs text-grey-7"
    ).mark("instance-in-use")


class InstanceForm:
    """The admin's instance settings; an empty field falls back to the environment."""

    def __init__(self, user: User, stored: InstanceSettings) -> None:
        self.user, self.stored = user, stored

    def build(self) -> None:
        env, stored = get_settings(), self.stored
        with ui.card().classes("w-full p-5 gap-3").mark("instance-settings"):
            section_title("Instance", "dns")
            ui.label(
                "For every user of this server; only admins see this. Empty fields use the "
                "environment's values."
            ).classes("text-xs text-grey-6")
            self.error = ui.label().classes("w-full rounded bg-red-1 text-negative p-2 text-sm")
            self.error.visible = False
            self.base_url = self._input(
                "LLM base URL", stored.llm_base_url, redact_url(env.openai_base_url) or "OpenAI"
            )
            self.model = self._input("LLM model", stored.llm_model, env.openai_model)
            key_hint = (
                "stored: leave empty to keep it"
                if stored.llm_api_key
                else ("from the environment" if env.openai_api_key else "not set")
            )
            self.api_key = self._input("LLM API key", None, key_hint).props(
                "type=password autocomplete=new-password"
            )
            self.forget_key = ui.checkbox("Remove the stored API key").mark("forget-key")
            self.forget_key.visible = bool(stored.llm_api_key)
            choices = {"": f"Environment ({whisper_name(env.whisper_model)})"}
            choices |= {AUTO_WHISPER: AUTO_LABEL, BUNDLED_WHISPER: "tiny.en (bundled)"}
            choices |= {name: name for name in WHISPER_MODELS}
            self.whisper = (
                ui.select(choices, label="Whisper model", value=stored.whisper_model or "")
                .props("outlined dense options-dense")
                .classes("w-full")
                .mark("whisper-model")
            )
            ui.button("Save instance settings", icon="save", on_click=self.save).props(
                "outline no-caps"
            ).classes("w-full")

    def _input(self, label: str, value: str | None, placeholder: str) -> ui.input:
        return (
            ui.input(label, value=value or "", placeholder=placeholder)
            .props("outlined dense stack-label")
            .classes("w-full")
            .mark(label.lower().replace(" ", "-"))
        )

    def values(self) -> dict[str, Any]:
        values = {
            "llm_base_url": self.base_url.value,
            "llm_model": self.model.value,
            "whisper_model": self.whisper.value,
        }
        if self.forget_key.value:
            values["llm_api_key"] = None
        elif (self.api_key.value or "").strip():
            values["llm_api_key"] = self.api_key.value
        return values

    async def save(self) -> None:
        self.error.visible = False
        values = self.values()
        save: Callable[[], Any] = lambda: save_instance_settings(self.user.id, **values)  # noqa: E731
        try:
            self.stored = await io_bound(save)
        except (ValueError, PermissionError) as exc:
            report(self.error, str(exc))
            return
        self.api_key.value = ""
        self.forget_key.value = False
        self.forget_key.visible = bool(self.stored.llm_api_key)
        ui.notify("Instance settings saved.", type="positive")
