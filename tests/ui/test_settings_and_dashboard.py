"""Settings (validation, the criteria editor, save and re-analyze) and the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User

from tests.ui.conftest import logged_in, open_dialogs
from tests.ui.data import make_completed_job, make_job
from tests.waiting import wait_for_async
from viralclipper.models import jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.settings import get_user_settings
from viralclipper.pipeline.transcript import Transcript


def marked(user: User, marker: str):
    """The one element with `marker`, shown or not."""
    with user:
        (element,) = ElementFilter(marker=marker)
    return element


def field(user: User, label: str):
    return next(e for e in user.find(label).elements if hasattr(e, "value"))


async def test_invalid_settings_are_refused_with_a_reason_next_to_the_field(user: User) -> None:
    account = await logged_in(user)
    await user.open("/settings")
    field(user, "Min seconds").value = 90
    field(user, "Max seconds").value = 30
    wrong_order = "The shortest clip must not be longer than the longest (30 s)."
    await user.should_see(wrong_order)  # as the user types, before saving
    assert field(user, "Min seconds").error == wrong_order  # under the field it is about
    assert field(user, "Max seconds").error is None
    user.find("Save settings").click()
    await user.should_see(wrong_order, kind=ui.notification, retries=30)  # refused on saving
    assert get_user_settings(account.id).min_clip_seconds == 15

    field(user, "Min seconds").value = 10
    await wait_for_async(lambda: field(user, "Min seconds").error is None)
    field(user, "Max clips").value = None
    await user.should_see("Fill in the maximum number of clips.")
    assert field(user, "Max clips").error == "Fill in the maximum number of clips."
    user.find("Save settings").click()
    await user.should_see("Fill in the maximum number of clips.", kind=ui.notification, retries=30)

    field(user, "Max clips").value = 4
    field(user, "Min score").value = 120
    assert field(user, "Min score").error == "The minimum score must be at most 100."
    assert field(user, "Max clips").error is None
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


async def test_unsaved_changes_are_marked_until_saved(user: User) -> None:
    await logged_in(user)
    await user.open("/settings")
    badge, save = marked(user, "unsaved"), marked(user, "save-settings")
    assert not badge.visible and not save.enabled and "vc-unsaved" not in badge.classes
    head = user._client._head_html  # leaving asks first while a .vc-unsaved element is there
    assert "beforeunload" in head and "document.querySelector('.vc-unsaved')" in head

    field(user, "Max clips").value = 3
    await user.should_see("Unsaved changes")
    assert save.enabled and "vc-unsaved" in badge.classes  # what beforeunload looks for
    field(user, "Max clips").value = 8  # back as saved: nothing to save
    await user.should_not_see("Unsaved changes")
    assert not save.enabled

    user.find(marker="text-humor").elements.pop().value = "Humor\n- a joke"
    await user.should_see("Unsaved changes")
    user.find("Save settings").click()
    await user.should_see("Settings saved.", retries=30)
    await user.should_not_see("Unsaved changes")
    assert "vc-unsaved" not in badge.classes and not save.enabled


async def test_a_criterion_shows_the_lines_it_matches_in_a_real_transcript(
    user: User, sample_transcript: Transcript
) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Sample talk")
    Path(job.transcript_path).write_text(sample_transcript.model_dump_json())  # Whisper's own
    await user.open("/settings")
    assert marked(user, "preview-job").value == job.id
    with user.scope(marker="matches-viral_hooks"):  # "- nobody tells you", "- why do", ...
        await user.should_see("lines of this job", retries=50)
    with user:
        marks = [
            e.content for e in ElementFilter(kind=ui.html).within(marker="matches-viral_hooks")
        ]
    assert any(re.search(r"<mark>[^<]*nobody tells you</mark>", m, re.I) for m in marks), marks

    # an edit shows its effect as the user types: a phrase of the filler, then one of nothing
    text = user.find(marker="text-humor").elements.pop()
    text.value = "Humor\n- the printer"
    with user.scope(marker="matches-humor"):
        await user.should_see("Matches 1 line", retries=50)
        await user.should_see("next to the kitchen")
    text.value = "Humor\n- a word nobody says"
    with user.scope(marker="matches-humor"):
        await user.should_see("Its phrases match no line of this job.", retries=50)
    text.value = "Humor\nsignals: exclamation"
    with user.scope(marker="matches-humor"):
        await user.should_see("it matches by its signals only", retries=50)


async def test_the_best_clips_appear_when_a_job_completes_without_a_reload(user: User) -> None:
    account = await logged_in(user)
    await user.open("/")
    await user.should_see("Clips show up here when a job completes.")
    make_completed_job(account.id, "Fresh talk", scores=(91,))
    await user.should_see("Fresh talk clip 1", retries=100)  # the live update, same page
    await user.should_not_see("Clips show up here when a job completes.")


async def test_jobs_of_the_same_title_are_told_apart_by_source_and_date(user: User) -> None:
    account = await logged_in(user)
    linked = make_completed_job(account.id, "Weekly sync")
    uploaded = make_job(account.id, "Weekly sync", JobStatus.FAILED)
    jobs.update_job(uploaded.id, upload=True, source_url="uploads/abc-weekly.mp4")
    await user.open("/")
    await user.should_see(marker=f"origin-{linked.id}", content=f"#{linked.id} · youtube.com ·")
    await user.should_see(marker=f"origin-{uploaded.id}", content=f"#{uploaded.id} · upload ·")
    hover = marked(user, f"origin-{linked.id}").props["title"]  # the exact time on hover
    assert hover.startswith("youtube.com · 20") and hover.endswith(" UTC"), hover

    await user.open("/clips")
    options = marked(user, "job-filter").options
    assert options[linked.id].startswith(f"#{linked.id} Weekly sync (youtube.com · 20")
    assert options[uploaded.id].startswith(f"#{uploaded.id} Weekly sync (upload · 20")

    await user.open(f"/jobs/{uploaded.id}")
    created = jobs.get_job(uploaded.id).created_at
    await user.should_see(marker="job-origin", content=f"upload · {created:%Y-%m-%d %H:%M} UTC")
