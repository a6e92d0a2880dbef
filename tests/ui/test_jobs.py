"""The jobs page: adding by URL or upload, the table, filters, actions and live progress."""

from __future__ import annotations

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from tests.lifecycle import WORKER
from tests.ui.conftest import logged_in, make_account, offered, open_dialogs, shown_rows
from tests.ui.data import make_completed_job, make_job
from tests.waiting import wait_for_async
from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.ui.job_list import JobRows


def act(user: User, action: str, job_id: int) -> None:
    """What a click on the row's button sends (ui/job_list.js)."""
    user.find(marker="job-rows").trigger("act", {"action": action, "id": job_id})


async def test_an_empty_url_is_refused_before_anything_is_queued(user: User) -> None:
    await logged_in(user)
    await user.open("/jobs")
    user.find("Make clips").click()
    await user.should_see("Paste a video URL first.", retries=20)
    assert jobs.count_jobs() == 0


async def test_an_invalid_url_is_refused_with_the_reason(user: User) -> None:
    await logged_in(user)
    await user.open("/jobs")
    user.find(marker="url-input").type("not a link")
    user.find("Make clips").click()
    await user.should_see("is not a video URL", retries=20)
    user.find(marker="url-input").clear().type("file:///etc/passwd")
    user.find("Make clips").click()
    await user.should_see("file:// URLs are not accepted", retries=20)
    assert jobs.count_jobs() == 0


async def test_a_valid_url_is_queued_and_shown_as_pending(user: User) -> None:
    account = await logged_in(user)
    await user.open("/jobs")
    user.find(marker="url-input").type("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    user.find("Make clips").click()
    await user.should_see("Queued job 1.", retries=50)
    [job] = jobs.list_jobs(account.id)
    assert job.status == JobStatus.PENDING and "dQw4w9WgXcQ" in job.source_url
    await user.should_see("pending")
    await user.should_see("1 job")


async def test_an_uploaded_video_is_saved_and_queued(user: User, sample_talk: SampleTalk) -> None:
    account = await logged_in(user)
    await user.open("/jobs")
    user.find(marker="upload-button").click()
    uploader = user.find(marker="uploader").elements.pop()
    video = sample_talk.path.read_bytes()
    with user:
        await uploader.handle_uploads([SmallFileUpload("My Talk.mp4", "video/mp4", video)])
    await user.should_see("queued job 1", retries=20)
    [job] = jobs.list_jobs(account.id)
    assert job.upload is True and job.title == "My Talk"
    saved = get_settings().data_dir / "uploads"
    assert [p.read_bytes() for p in saved.iterdir()] == [video]
    assert job.source_url == str(next(saved.iterdir()))


async def test_the_table_shows_only_my_jobs_and_filters_them(user: User) -> None:
    # (links, not text: a toast about a finished job may name it too)
    other = make_account("other@example.com")
    make_job(other.id, "Someone else's video")
    account = await logged_in(user)
    make_completed_job(account.id, "Cooking with fire")
    make_job(account.id, "Gardening basics", JobStatus.FAILED)
    await user.open("/jobs")
    await user.should_see(kind=JobRows, content="Cooking with fire")
    await user.should_see(kind=JobRows, content="Gardening basics")
    await user.should_see("2 jobs")
    await user.should_not_see("Someone else's video")

    user.find(marker="search").type("cook")
    await user.should_not_see(kind=JobRows, content="Gardening basics", retries=20)
    await user.should_see(kind=JobRows, content="Cooking with fire")

    user.find(marker="search").clear()
    user.find(marker="status-filter").elements.pop().value = "failed"
    await user.should_see(kind=JobRows, content="Gardening basics", retries=20)
    await user.should_not_see(kind=JobRows, content="Cooking with fire")


async def test_pagination_splits_long_lists(user: User) -> None:
    account = await logged_in(user)
    for number in range(12):
        make_job(account.id, f"Episode {number:02d}")
    await user.open("/jobs")
    await user.should_see("Episode 11")  # newest first
    await user.should_not_see("Episode 01")
    user.find(ui.pagination).elements.pop().value = 2
    await user.should_see("Episode 01", retries=20)
    await user.should_not_see("Episode 11")


async def test_cancel_retry_and_delete_with_confirmation(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Queued talk")
    await user.open("/jobs")
    await user.should_see(kind=JobRows, content="Queued talk")
    assert offered(user, job.id) == {"cancel"}
    act(user, "cancel", job.id)
    await user.should_see(f"Cancelling job {job.id}.", retries=20)
    assert jobs.get_job(job.id).status == JobStatus.CANCELLED

    await wait_for_async(lambda: offered(user, job.id) == {"retry"})
    act(user, "retry", job.id)
    await user.should_see(f"Retrying job {job.id}.", retries=20)
    assert jobs.get_job(job.id).status == JobStatus.PENDING

    act(user, "delete", job.id)
    await wait_for_async(lambda: open_dialogs(user))
    await user.should_see("Delete “Queued talk”, its clips and files?")
    user.find(marker="keep").click()
    await wait_for_async(lambda: not open_dialogs(user))
    assert jobs.get_job(job.id) is not None
    act(user, "delete", job.id)
    await wait_for_async(lambda: open_dialogs(user))
    user.find(marker="confirm").click()
    await user.should_see(f"Deleted job {job.id}.", retries=20)
    assert jobs.get_job(job.id) is None
    await user.should_not_see(kind=JobRows, content="Queued talk")


async def test_progress_and_status_move_live_with_a_toast(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Live talk", JobStatus.TRANSCRIBING)
    await user.open("/jobs")
    await user.should_see("0%")
    jobs.set_progress(job.id, 42.0, "transcribing 3 of 7 minutes")  # what a worker writes
    await user.should_see("42%", retries=30)
    await user.should_see("transcribing 3 of 7 minutes")

    jobs.fail_job(job.id, WORKER, "The disk is full.")
    await user.should_see("Live talk failed: The disk is full.", retries=30)
    await user.should_see(kind=JobRows, content="failed")
    await user.should_see(kind=JobRows, content="The disk is full.", retries=30)  # in its row


async def test_the_list_is_one_table_whose_rows_change_as_data(user: User) -> None:
    account = await logged_in(user)
    shown = [make_job(account.id, f"Episode {n:02d}", JobStatus.TRANSCRIBING) for n in range(10)]
    await user.open("/jobs")
    await user.should_see(kind=JobRows, content="Episode 09")
    [table] = user.find(marker="job-rows").elements
    elements = len(user.client.elements)
    card = table.parent_slot.parent  # the filter bar, the rows and the pagination
    assert len(list(card.descendants())) < 15  # not a tree of elements per row

    jobs.set_progress(shown[3].id, 57.0, "transcribing 4 of 7 minutes")
    await wait_for_async(lambda: shown_rows(user)[shown[3].id]["percent"] == "57%")
    row = shown_rows(user)[shown[3].id]
    assert row["step"] == "transcribing 4 of 7 minutes" and row["fraction"] == 0.57
    jobs.fail_job(shown[5].id, WORKER, "The video is private.")
    await wait_for_async(lambda: shown_rows(user)[shown[5].id]["error"])
    failed = shown_rows(user)[shown[5].id]
    assert failed["status"] == "failed" and failed["error"] == "The video is private."
    assert user.find(marker="job-rows").elements == {table}  # the same table, new data
    assert len(user.client.elements) == elements
