"""The submit box the dashboard and the jobs page share: paste a URL (or upload a file), choose
this job's options (format, number of clips, clip length, captions; the user's settings by
default), "Make clips". The options travel with the job as its settings snapshot
(`queue.api.submit_job`). On a phone the URL box and the buttons each take the whole width."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nicegui import events, ui

from viralclipper.config import ClipSettings, SettingsError, SubmitOptions, get_settings
from viralclipper.models.settings import get_user_settings
from viralclipper.models.tables import Job, User
from viralclipper.queue import api
from viralclipper.queue.api import PipelineError
from viralclipper.ui.io import io_bound
from viralclipper.ui.pages.settings import CAPTIONS, FORMATS  # the same words as in Settings

URL_HINT = "A YouTube link, or a link to any video page or file"
# What the file picker offers: the containers the server accepts, by type and by name (browsers
# do not always know .mkv or .ts as video).
UPLOAD_ACCEPT = ",".join(["video/*", "audio/*", *api.upload_extensions()])


def accepted_files() -> str:
    """What the drop zone says it takes: the server's own allowlist (pipeline/media.py)."""
    names = api.upload_formats()
    return f"{', '.join(names[:-1])} or {names[-1]}, up to {get_settings().max_upload_mb} MB"


def options_summary(options: SubmitOptions) -> str:
    """One line beside "Options": what "Make clips" will make."""
    shape = "9:16" if options.output_format == "vertical" else "16:9"
    count = options.max_clips or 0
    captions = {"auto": "automatic captions", "none": "no captions"}.get(
        options.captions or "auto", f"{options.captions} captions"
    )
    return (
        f"{shape} · up to {count} clip{'s' * (count != 1)} · "
        f"{options.min_clip_seconds or 0:g}–{options.max_clip_seconds or 0:g} s · {captions}"
    )


def defaults(settings: ClipSettings) -> SubmitOptions:
    """The user's own settings, as the options a submit starts from."""
    return SubmitOptions.model_validate(
        settings.model_dump(include=set(SubmitOptions.model_fields))
    )


async def submit_box(user: User, on_added: Callable[[], Awaitable[None]]) -> SubmitBox:
    """Read the user's settings (off the event loop) and draw the box with them as defaults."""
    settings = await io_bound(get_user_settings, user.id)
    return SubmitBox(user, defaults(settings), on_added)


class SubmitBox:
    def __init__(
        self, user: User, options: SubmitOptions, on_added: Callable[[], Awaitable[None]]
    ) -> None:
        self.user, self.on_added, self.options = user, on_added, options
        with ui.card().classes("w-full p-3 sm:p-4 gap-2").mark("submit-box"):
            self.source_row()
            self.options_panel()
        self.dialog: ui.dialog | None = None  # built on the first "Upload"

    # --- the URL box -------------------------------------------------------------------------

    def source_row(self) -> None:
        # a column on a phone (each control the full width), a row from 640 px up
        with ui.element("div").classes("w-full flex flex-col sm:flex-row items-stretch gap-3"):
            self.url = (
                ui.input(placeholder="https://www.youtube.com/watch?v=…")
                .props(f"outlined clearable hint='{URL_HINT}'")
                .classes("w-full sm:w-auto sm:grow")
                .on("keydown.enter", self.add_url)
                .mark("url-input")
            )
            for label, icon, handler, look, mark in (
                ("Make clips", "auto_awesome", self.add_url, "unelevated", "make-clips"),
                ("Upload", "upload_file", self.open_upload, "outline", "upload-button"),
            ):
                ui.button(label, icon=icon, on_click=handler).props(
                    f"{look} size=lg no-caps"
                ).classes("w-full sm:w-auto sm:self-start").mark(mark)

    async def add_url(self) -> None:
        url = (self.url.value or "").strip()
        error, notice = ("Paste a video URL first." if not url else None), ""
        if error is None:
            try:
                job = await io_bound(self.submit, url, False, None)
                notice = f"Queued job {job.id}."
            except (PipelineError, SettingsError) as exc:
                error = str(exc)
            except api.QueueUnreachable as exc:
                notice = str(exc)
        if error:
            self.url.props(f'error error-message="{error.replace(chr(34), chr(39))}"')
            return
        self.url.props(remove="error error-message")
        self.url.value = ""
        ui.notify(notice, type="positive", icon="playlist_add")
        await self.on_added()

    def submit(self, source: str, upload: bool, title: str | None) -> Job:
        return api.submit_job(
            self.user.id, source, upload=upload, title=title, options=self.options
        )

    # --- the options -------------------------------------------------------------------------

    def options_panel(self) -> None:
        """The summary line in the header; the fields are built when the panel first opens
        (most submits keep the defaults, and every page load would otherwise build them)."""
        with ui.expansion().classes("w-full text-sm").props("dense") as expansion:
            expansion.mark("options")
            with expansion.add_slot("header"), ui.row().classes("items-center gap-2 grow"):
                ui.icon("tune", color="grey-7")
                ui.label("Options").classes("text-grey-9")
                self.summary = ui.label(options_summary(self.options)).classes("text-grey-6")
                self.summary.mark("options-summary")
        self.expansion = expansion
        expansion.on_value_change(self.options_opened)

    def options_opened(self) -> None:
        if self.expansion.default_slot.children:
            return
        with self.expansion:
            with ui.element("div").classes("w-full grid grid-cols-1 sm:grid-cols-2 gap-3 pt-2"):
                self.choice(ui.select(FORMATS, label="Format"), "output_format", "option-format")
                self.choice(ui.select(CAPTIONS, label="Captions"), "captions", "option-captions")
                self.choice(
                    ui.number("Number of clips", min=1, max=100, precision=0),
                    "max_clips",
                    "option-clips",
                )
                with ui.row().classes("w-full no-wrap gap-2"):
                    for label, name in (
                        ("Shortest clip (s)", "min_clip_seconds"),
                        ("Longest clip (s)", "max_clip_seconds"),
                    ):
                        field = ui.number(label, min=1, max=3600).classes("grow")
                        self.choice(field, name, f"option-{name}")
            ui.label("Your settings are the defaults; these apply to this job only.").classes(
                "text-xs text-grey-6"
            )

    def choice(self, field: Any, name: str, mark: str) -> None:
        """`field` shows and sets the option `name` (cleared: the user's own setting)."""
        field.value = getattr(self.options, name)
        field.props("outlined dense").mark(mark)
        field.on_value_change(lambda event: self.set(name, event.value))

    def set(self, name: str, value: Any) -> None:
        if name == "max_clips" and value is not None:
            value = int(value)
        self.options = self.options.model_copy(update={name: value})
        self.summary.text = options_summary(self.options)

    # --- the upload dialog -------------------------------------------------------------------

    def open_upload(self) -> None:
        if self.dialog is None:
            self.dialog = self.upload_dialog()
        self.dialog.open()

    def close_upload(self) -> None:
        if self.dialog is not None:
            self.dialog.close()

    def upload_dialog(self) -> ui.dialog:
        max_mb = get_settings().max_upload_mb
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg gap-3"):
            with ui.row().classes("w-full items-center no-wrap"):
                ui.label("Upload a video or audio file").classes("text-h6 grow")
                ui.button(icon="close", on_click=self.cancel_upload).props(
                    'flat round dense color=grey-8 aria-label="Close"'
                )
            ui.label(
                f"Drop the file on the box, or click it to choose one. Accepted: "
                f"{accepted_files()}. The file stays on this server."
            ).classes("text-sm text-grey-7").mark("upload-accepts")
            self.uploader = (
                ui.upload(
                    label="Drop a video or audio file here",
                    on_upload=self.uploaded,
                    auto_upload=True,
                    max_file_size=max_mb * 1024 * 1024,
                    on_rejected=lambda: ui.notify(
                        f"That file is larger than {max_mb} MB.", type="negative"
                    ),
                )
                .props(f'accept="{UPLOAD_ACCEPT}" flat bordered')
                .classes("w-full")
                .on(
                    "failed",  # the server refused it (over the size limit) or the line broke
                    lambda: ui.notify(
                        f"The upload failed. Files may be at most {max_mb} MB.", type="negative"
                    ),
                )
                .mark("uploader")
            )
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self.cancel_upload).props("flat no-caps").mark(
                    "upload-cancel"
                )
        return dialog

    def cancel_upload(self) -> None:
        """Stop a transfer in progress (a file that did not arrive whole is never kept) and
        close the dialog."""
        self.uploader.run_method("abort")
        self.uploader.reset()
        self.close_upload()

    async def uploaded(self, event: events.UploadEventArguments) -> None:
        target = api.upload_path(event.file.name)
        await event.file.save(target)
        title = Path(event.file.name).stem or None
        try:
            job = await io_bound(self.submit, str(target), True, title)
            notice = f"Uploaded {event.file.name}: queued job {job.id}."
        except (PipelineError, SettingsError) as exc:  # not a plain media file: nothing is kept
            target.unlink(missing_ok=True)
            self.uploader.reset()
            ui.notify(str(exc), type="negative", multi_line=True)
            return
        except api.QueueUnreachable as exc:
            notice = f"Uploaded {event.file.name}. {exc}"
        self.close_upload()
        self.uploader.reset()
        ui.notify(notice, type="positive")
        await self.on_added()
