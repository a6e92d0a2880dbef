"""Settings: the criteria editor, clip limits, analyzer and models, output format, and
"save and re-analyze" for a chosen job."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from nicegui import run, ui

from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.models.jobs import can_reanalyze
from viralclipper.models.settings import get_user_settings, save_user_settings
from viralclipper.models.tables import User
from viralclipper.queue import api
from viralclipper.ui.actions import job_action
from viralclipper.ui.auth import protected_page
from viralclipper.ui.components import confirm, job_title, section_title
from viralclipper.ui.frame import frame

ANALYZERS = {"auto": "Automatic", "llm": "LLM", "offline": "Offline"}
FORMATS = {"horizontal": "16:9 original", "vertical": "9:16 vertical"}


def register() -> None:
    @protected_page("/settings")
    def settings_page(user: User) -> None:
        with frame("Settings", user):
            SettingsForm(user).build()


def criterion_key(title: str, taken: set[str]) -> str:
    """A file-name-like key from a title, unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "criterion"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


class FormError(ValueError):
    """A field the user has to fix; the message says which and how."""


class SettingsForm:
    def __init__(self, user: User) -> None:
        self.user = user
        self.load()

    def load(self) -> None:
        stored = get_user_settings(self.user.id)
        self.stored = stored
        self.customized = stored.criteria is not None
        self.criteria = [
            dict(c) for c in (stored.criteria if self.customized else api.default_criteria())
        ]

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

    # --- criteria ---------------------------------------------------------------------------

    @ui.refreshable_method
    def criteria_editor(self) -> None:
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
        for criterion in self.criteria:
            self.criterion_card(criterion)
        self.new_criterion_card()

    def criterion_card(self, criterion: dict[str, Any]) -> None:
        card = ui.card().classes("w-full p-0").mark(f"criterion-{criterion['key']}")
        with card, ui.expansion().classes("w-full").props("dense-toggle") as expansion:
            with (
                expansion.add_slot("header"),
                ui.row().classes("w-full items-center no-wrap gap-3 py-1"),
            ):
                ui.switch(value=criterion["enabled"]).bind_value(criterion, "enabled").on(
                    "click.stop", lambda: None
                ).mark(f"enabled-{criterion['key']}")
                with ui.column().classes("gap-0 grow min-w-0"):
                    ui.label().bind_text_from(criterion, "title").classes("font-medium text-grey-9")
                    ui.label(criterion["key"]).classes("text-xs text-grey-6 font-mono")
            with ui.column().classes("w-full gap-2 px-4 pb-4"):
                ui.input("Title").bind_value(criterion, "title").props("outlined dense").classes(
                    "w-full"
                )
                ui.textarea("Description, signals and phrases").bind_value(criterion, "text").props(
                    "outlined autogrow"
                ).classes("w-full font-mono text-sm").mark(f"text-{criterion['key']}")
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
            key = criterion_key(title, {c["key"] for c in self.criteria})
            self.criteria.append(
                {"key": key, "title": title, "text": f"{title}\n{text}", "enabled": True}
            )
            self.customized = True
            ui.notify(f"Added “{title}”: save to keep it.")
            self.criteria_editor.refresh()

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

    def remove_criterion(self, criterion: dict[str, Any]) -> None:
        self.criteria.remove(criterion)
        self.customized = True
        self.criteria_editor.refresh()

    async def reset_criteria(self) -> None:
        if not await confirm("Replace your criteria with the defaults?", "Reset"):
            return
        save_user_settings(self.user.id, criteria=None)
        self.load()
        self.criteria_editor.refresh()
        ui.notify("Criteria reset to the defaults.", type="positive")

    # --- the other settings ------------------------------------------------------------------

    def clip_options(self) -> None:
        s = self.stored
        with ui.card().classes("w-full p-5 gap-3"):
            section_title("Clips", "content_cut")
            with ui.grid(columns=2).classes("w-full gap-3"):
                self.min_seconds = ui.number(
                    "Min seconds", value=s.min_clip_seconds, min=1, step=1
                ).props("outlined dense")
                self.max_seconds = ui.number(
                    "Max seconds", value=s.max_clip_seconds, min=1, step=1
                ).props("outlined dense")
                self.min_score = ui.number(
                    "Min score", value=s.min_score, min=0, max=100, step=5
                ).props("outlined dense")
                self.max_clips = ui.number(
                    "Max clips", value=s.max_clips, min=1, step=1, precision=0
                ).props("outlined dense")
            ui.label("Output format").classes("text-sm text-grey-7")
            self.output_format = ui.toggle(FORMATS, value=s.output_format).props(
                "no-caps unelevated toggle-color=primary"
            )
        with ui.card().classes("w-full p-5 gap-3"):
            section_title("Analysis", "psychology")
            self.analyzer = ui.toggle(ANALYZERS, value=s.analyzer).props(
                "no-caps unelevated toggle-color=primary"
            )
            ui.label(
                "Automatic uses the LLM when one is configured, else the offline analyzer."
            ).classes("text-xs text-grey-6")
            self.llm_model = (
                ui.input(
                    "LLM model", value=s.llm_model or "", placeholder=get_settings().openai_model
                )
                .props("outlined dense")
                .classes("w-full")
            )
            self.llm_base_url = (
                ui.input(
                    "LLM base URL",
                    value=s.llm_base_url or "",
                    placeholder="http://localhost:11434/v1",
                )
                .props("outlined dense")
                .classes("w-full")
            )
            self.llm_model.bind_visibility_from(self.analyzer, "value", lambda v: v != "offline")
            self.llm_base_url.bind_visibility_from(self.analyzer, "value", lambda v: v != "offline")
            self.whisper_model = (
                ui.input(
                    "Whisper model", value=s.whisper_model or "", placeholder="bundled tiny.en"
                )
                .props("outlined dense stack-label")  # the label stays up: the default shows
                .classes("w-full")
            )

    def save_card(self) -> None:
        finished = [job for job in jobs.list_jobs(self.user.id, limit=100) if can_reanalyze(job)]
        with ui.card().classes("w-full p-5 gap-3"):
            ui.button("Save settings", icon="save", on_click=self.save).props(
                "unelevated no-caps"
            ).classes("w-full")
            ui.separator()
            ui.label(
                "Try the new settings on a video you already have: no new download, "
                "no new transcription."
            ).classes("text-sm text-grey-7")
            self.reanalyze_job = (
                ui.select(
                    {job.id: f"#{job.id} {job_title(job)}"[:60] for job in finished},
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
        """The form as settings; FormError for what save_user_settings cannot judge itself."""
        numbers = {
            "minimum seconds": self.min_seconds,
            "maximum seconds": self.max_seconds,
            "minimum score": self.min_score,
            "maximum clips": self.max_clips,
        }
        for name, field in numbers.items():
            if field.value is None:
                raise FormError(f"Fill in the {name}.")
        for criterion in self.criteria:
            if not str(criterion["title"]).strip() or not str(criterion["text"]).strip():
                raise FormError(f"The criterion “{criterion['key']}” needs a title and a text.")
        base_url = (self.llm_base_url.value or "").strip()
        if base_url and (
            urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname
        ):
            raise FormError("The LLM base URL must be an http or https URL.")
        return {
            "criteria": self.criteria if self.customized or self.criteria_changed() else None,
            "min_clip_seconds": float(self.min_seconds.value),
            "max_clip_seconds": float(self.max_seconds.value),
            "min_score": float(self.min_score.value),
            "max_clips": int(self.max_clips.value),
            "output_format": self.output_format.value,
            "analyzer": self.analyzer.value,
            "llm_model": (self.llm_model.value or "").strip() or None,
            "llm_base_url": base_url or None,
            "whisper_model": (self.whisper_model.value or "").strip() or None,
        }

    def criteria_changed(self) -> bool:
        return self.criteria != api.default_criteria()

    async def save(self) -> bool:
        self.error.visible = False
        try:
            values = self.values()
            self.stored = await run.io_bound(lambda: save_user_settings(self.user.id, **values))
        except ValueError as exc:  # FormError, or the data layer's validation
            self.error.text = str(exc)
            self.error.visible = True
            ui.notify(str(exc), type="negative")
            return False
        self.customized = self.stored.criteria is not None
        self.criteria_editor.refresh()
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
