"""Settings (validation, the criteria editor, save and re-analyze) and the dashboard."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from tests.ui.conftest import logged_in, open_dialogs
from tests.ui.data import make_completed_job, make_job
from tests.waiting import wait_for_async
from viralclipper.models import jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.settings import get_user_settings


def field(user: User, label: str):
    return next(e for e in user.find(label).elements if hasattr(e, "value"))


async def test_invalid_settings_are_refused_with_a_reason(user: User) -> None:
    account = await logged_in(user)
    await user.open("/settings")
    field(user, "Min seconds").value = 90
    field(user, "Max seconds").value = 30
    user.find("Save settings").click()
    await user.should_see("The minimum clip length must not be more than the maximum.", retries=30)
    assert get_user_settings(account.id).min_clip_seconds == 15

    field(user, "Min seconds").value = 10
    field(user, "Max clips").value = None
    user.find("Save settings").click()
    await user.should_see("Fill in the maximum number of clips.", retries=30)

    field(user, "Max clips").value = 4
    field(user, "Min score").value = 120
    user.find("Save settings").click()
    await user.should_see("The minimum score must be at most 100.", retries=30)
    assert get_user_settings(account.id).max_clips == 8


async def test_saving_the_other_settings(user: User) -> None:
    account = await logged_in(user)
    await user.open("/settings")
    field(user, "Max clips").value = 3
    for toggle in user.find(ui.toggle).elements:
        if "vertical" in toggle.options:
            toggle.value = "vertical"
    await user.should_see("Follow the speaker")  # the 9:16 framing, captions, size, loudness
    await user.should_see("Bold on vertical clips")
    user.find(marker="layout").elements.pop().value = "fit"
    user.find(marker="captions").elements.pop().value = "minimal"
    user.find(marker="resolution").elements.pop().value = "720x1280"
    user.find(marker="loudness").elements.pop().value = False
    user.find("Save settings").click()
    await user.should_see("Settings saved.", retries=30)
    saved = get_user_settings(account.id)
    assert (saved.max_clips, saved.output_format) == (3, "vertical")
    assert (saved.layout, saved.captions, saved.vertical_size) == ("fit", "minimal", (720, 1280))
    assert saved.normalize_loudness is False
    assert saved.criteria is None  # untouched criteria stay "the defaults"


async def test_edit_add_and_reset_criteria(user: User) -> None:
    account = await logged_in(user)
    await user.open("/settings")
    await user.should_see("Humor")
    user.find(marker="enabled-humor").click()  # switch humor off
    text = user.find(marker="text-hot_takes").elements.pop()
    text.value = "Hot takes\nOpinions that start a fight.\n- unpopular opinion"
    user.find(marker="new-criterion-title").type("Surprising statistics")
    user.find(marker="new-criterion-text").type("A number that stops the scroll.\n- percent")
    user.find("Add criterion").click()
    await user.should_see("surprising_statistics")
    user.find("Save settings").click()
    await user.should_see("Settings saved.", retries=30)

    saved = {c.key: c.model_dump() for c in get_user_settings(account.id).criteria}
    assert saved["humor"]["enabled"] is False
    assert "unpopular opinion" in saved["hot_takes"]["text"]
    assert saved["surprising_statistics"] == {
        "key": "surprising_statistics",
        "title": "Surprising statistics",
        "enabled": True,
        "text": "Surprising statistics\nA number that stops the scroll.\n- percent",
    }

    await user.open("/settings")  # the saved criteria come back
    await user.should_see("customized")
    await user.should_see("surprising_statistics")
    user.find("Reset to defaults").click()
    await wait_for_async(lambda: open_dialogs(user))
    user.find(marker="confirm").click()
    await user.should_see("Criteria reset to the defaults.", retries=30)
    assert get_user_settings(account.id).criteria is None
    await user.should_not_see("surprising_statistics")


async def test_save_and_reanalyze_a_chosen_job(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Podcast 12")
    await user.open("/settings")
    field(user, "Max clips").value = 2
    user.find(marker="reanalyze-job").elements.pop().value = job.id
    user.find("Save and re-analyze").click()
    await user.should_see(f"Job #{job.id}", retries=50)  # on the job's page now
    again = jobs.get_job(job.id)
    assert again.status == JobStatus.PENDING and again.options["max_clips"] == 2


async def test_the_dashboard_counts_and_lists(user: User) -> None:
    account = await logged_in(user)
    make_completed_job(account.id, "Done talk", scores=(93, 12))
    running = make_job(account.id, "Busy talk", JobStatus.TRANSCRIBING)
    make_job(account.id, "Bad talk", JobStatus.FAILED)
    make_job(account.id, "Waiting talk")
    await user.open("/")
    for label, expected in (
        ("queued", "1"),
        ("running", "1"),
        ("completed", "1"),
        ("failed", "1"),
        ("cancelled", "0"),
    ):
        with user.scope(marker=f"count-{label}"):
            await user.should_see(expected)
    await user.should_see("Busy talk")
    await user.should_see("Waiting talk")
    await user.should_see("Done talk clip 1")  # best recent clips
    jobs.set_progress(running.id, 55.0, "transcribing minute 5")
    await user.should_see("55%", retries=30)
    await user.should_see("transcribing minute 5")
