"""The submit box of the dashboard and the jobs page: the paste box, the options panel (the
user's settings by default, carried by the job as its snapshot), the upload drop zone; and the
same options through the REST API (tests/api/test_job_options.py)."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from tests.ui.conftest import logged_in, open_dialogs
from viralclipper.models import jobs
from viralclipper.models.settings import get_user_settings, save_user_settings
from viralclipper.pipeline.sample import SampleTalk

URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
MINE = {
    "output_format": "horizontal",
    "max_clips": 3,
    "min_clip_seconds": 10.0,
    "max_clip_seconds": 30.0,
    "captions": "none",
}


def field(user: User, mark: str) -> Any:
    return user.find(marker=mark).elements.pop()


def open_options(user: User) -> None:
    """Open the options panel (its fields are built then)."""
    with user:
        field(user, "options").open()


def choose(user: User, **values: Any) -> None:
    """Open the options and set them as a person would (each field's change handler runs)."""
    open_options(user)
    with user:
        for mark, value in values.items():
            field(user, f"option-{mark}").value = value


@pytest.mark.parametrize("page", ["/", "/jobs"])
async def test_both_pages_have_the_paste_box_and_it_queues(user: User, page: str) -> None:
    account_ = await logged_in(user)
    await user.open(page)
    user.find(marker="url-input").type(URL)
    user.find("Make clips").click()
    await user.should_see("Queued job 1.", retries=50)
    [job] = jobs.list_jobs(account_.id)
    assert "dQw4w9WgXcQ" in job.source_url


async def test_options_default_to_my_settings_and_travel_with_the_job(user: User) -> None:
    me = await logged_in(user)
    save_user_settings(me.id, **MINE)
    await user.open("/")
    await user.should_see("16:9 · up to 3 clips · 10–30 s · no captions")
    await user.should_not_see(marker="option-format")  # built when the panel opens
    open_options(user)
    shown = {
        name: field(user, f"option-{mark}").value
        for name, mark in [
            ("output_format", "format"),
            ("max_clips", "clips"),
            ("min_clip_seconds", "min_clip_seconds"),
            ("max_clip_seconds", "max_clip_seconds"),
            ("captions", "captions"),
        ]
    }
    assert shown == MINE

    choose(user, format="vertical", clips=5, captions="bold", max_clip_seconds=45)
    await user.should_see("9:16 · up to 5 clips · 10–45 s · bold captions")
    user.find(marker="url-input").type(URL)
    user.find("Make clips").click()
    await user.should_see("Queued job 1.", retries=50)
    [job] = jobs.list_jobs(me.id)
    snapshot = job.clip_settings
    assert (snapshot.output_format, snapshot.max_clips, snapshot.captions) == (
        "vertical",
        5,
        "bold",
    )
    assert (snapshot.min_clip_seconds, snapshot.max_clip_seconds) == (10.0, 45.0)
    assert get_user_settings(me.id).max_clips == 3  # my settings are untouched


async def test_options_that_do_not_fit_together_are_refused_in_a_sentence(user: User) -> None:
    me = await logged_in(user)
    await user.open("/jobs")
    choose(user, min_clip_seconds=50, max_clip_seconds=20)
    user.find(marker="url-input").type(URL)
    user.find("Make clips").click()
    await user.should_see(
        "The shortest clip must not be longer than the longest (20 s).", retries=50
    )
    assert jobs.list_jobs(me.id) == []


async def test_the_upload_drop_zone_says_what_it_takes_and_can_be_cancelled(user: User) -> None:
    await logged_in(user)
    await user.open("/jobs")
    user.find("Upload").click()
    assert len(open_dialogs(user)) == 1
    await user.should_see("MP4/MOV/M4A, Matroska/WebM, MPEG-TS, AVI, MP3, WAV, FLAC or Ogg")
    accept = field(user, "uploader").props["accept"].split(",")
    assert accept[:2] == ["video/*", "audio/*"] and {".mp4", ".mkv", ".ts", ".wav"} <= set(accept)
    user.find(marker="upload-cancel").click()
    assert open_dialogs(user) == []


async def test_an_upload_carries_the_chosen_options(user: User, sample_talk: SampleTalk) -> None:
    me = await logged_in(user)
    await user.open("/jobs")
    choose(user, clips=2, format="horizontal")
    user.find(marker="upload-button").click()
    with user:
        await field(user, "uploader").handle_uploads(
            [SmallFileUpload("Talk.mp4", "video/mp4", sample_talk.path.read_bytes())]
        )
    await user.should_see("queued job 1", retries=20)
    [job] = jobs.list_jobs(me.id)
    assert job.upload and (job.clip_settings.max_clips, job.clip_settings.output_format) == (
        2,
        "horizontal",
    )
