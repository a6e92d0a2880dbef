"""The job page: ownership, metadata, stage timeline, event log, transcript, clips, re-analysis."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from nicegui import ui
from nicegui.element import Element
from nicegui.testing import User
from sqlalchemy import update
from sqlmodel import col

from tests.conftest import reset_process_state
from tests.lifecycle import WORKER, run_to
from tests.pg import throwaway_database
from tests.ui.conftest import (
    expect_logged,
    leave_page,
    logged_in,
    make_account,
    offered,
    shown_rows,
    simulated_browser,
)
from tests.ui.data import make_completed_job, make_job
from tests.waiting import wait_for_async
from viralclipper.models import get_engine, jobs, upgrade_database
from viralclipper.models.db import session
from viralclipper.models.jobs import JobStatus, NotAllowedNow
from viralclipper.models.tables import Job, utcnow
from viralclipper.queue import api, events
from viralclipper.queue.transport import JobUpdate
from viralclipper.ui.errors import SENTENCE


@pytest.mark.parametrize("path", ["/jobs/{other}", "/jobs/999", "/jobs/abc"])
async def test_someone_elses_or_a_missing_job_is_not_found(user: User, path: str) -> None:
    other = make_account("other@example.com")
    secret = make_job(other.id, "Their secret video")
    await logged_in(user, "me@example.com")
    await user.open(path.format(other=secret.id))
    await user.should_see("This job was not found.")
    await user.should_not_see("Their secret video")


async def test_a_completed_job_shows_everything(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Big interview")
    await user.open(f"/jobs/{job.id}")
    await user.should_see("completed")
    await user.should_see("100%")
    await user.should_see("1:04")  # length
    for stage, note in (("download", "1.5 s"), ("transcribe", "4.2 s"), ("slice", "3.0 s")):
        entry = user.find(marker=f"stage-{stage}").elements.pop()
        assert entry.props["subtitle"] == note
    await user.should_see("downloaded 12 MB")  # the event log
    user.find(marker="transcript-search").type("SECRET")  # the transcript, searched
    await user.should_see("1 line matches")
    assert user.find(marker="transcript").elements.pop().props["found"] == [1]
    await user.should_see("Clips (2)")
    await user.should_see("Big interview clip 1")
    await user.should_see("Hook number 1")
    assert user.find(ui.video).elements  # the source player and the clips' players


async def test_a_failed_job_shows_its_reason_and_can_be_retried(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Broken", JobStatus.FAILED)
    await user.open(f"/jobs/{job.id}")
    await user.should_see("The video is private.")
    assert user.find(marker="stage-download").elements.pop().props["subtitle"] == "failed here"
    assert user.find(marker="stage-transcribe").elements.pop().props["subtitle"] == "not reached"
    user.find("Retry").click()
    await user.should_see("Queued again.", retries=30)
    assert jobs.get_job(job.id).status == JobStatus.PENDING


async def test_a_failure_in_a_later_stage_is_marked_there(user: User) -> None:
    account = await logged_in(user)
    job = jobs.create_job(account.id, "https://example.com/talk.mp4", {})
    jobs.claim_job(job.id, WORKER)
    jobs.advance_job(job.id, WORKER)
    jobs.record_stage(job.id, "download", 1.5)
    jobs.advance_job(job.id, WORKER)  # transcribing
    jobs.fail_job(job.id, WORKER, "talk.mp4 has no audio track to transcribe", kind="unsupported")
    await user.open(f"/jobs/{job.id}")
    subtitles = {
        stage: user.find(marker=f"stage-{stage}").elements.pop().props["subtitle"]
        for stage in ("download", "transcribe", "analyze")
    }
    assert subtitles == {"download": "1.5 s", "transcribe": "failed here", "analyze": "not reached"}


async def test_retry_is_hidden_and_refused_when_it_cannot_help(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Timed out", JobStatus.FAILED)  # a failure a retry may fix
    gone = jobs.create_job(account.id, "https://example.com/gone.mp4", {})
    error = "Nothing was found at this URL (HTTP 404)."
    run_to(gone.id, JobStatus.FAILED, error=error, kind="source_gone")
    await user.open(f"/jobs/{gone.id}")
    await user.should_see("Nothing was found at this URL (HTTP 404).")
    await user.should_not_see("Retry")
    await user.open("/jobs")
    await wait_for_async(lambda: {job.id, gone.id} <= shown_rows(user).keys())
    assert "retry" in offered(user, job.id)  # a failure that may pass: offered
    assert "retry" not in offered(user, gone.id)  # a 404: not
    with pytest.raises(NotAllowedNow, match="Retrying cannot help"):
        api.retry_job(gone.id, account.id)
    assert jobs.get_job(gone.id).status == JobStatus.FAILED


async def test_reanalyze_with_my_current_settings(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id)
    from viralclipper.models.settings import save_user_settings

    save_user_settings(account.id, max_clips=3, output_format="vertical")
    await user.open(f"/jobs/{job.id}")
    user.find("Re-analyze").click()
    await user.should_see("Re-analyzing with your current settings.", retries=30)
    again = jobs.get_job(job.id)
    assert again.status == JobStatus.PENDING
    assert again.last_completed_stage == "transcribe"
    assert again.options["max_clips"] == 3 and again.options["output_format"] == "vertical"


async def test_progress_moves_live_on_the_job_page(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Moving", JobStatus.DOWNLOADING)
    await user.open(f"/jobs/{job.id}")
    jobs.set_progress(job.id, 17.0, "downloading 3.4 MB of 20 MB")
    await user.should_see("17%", retries=30)
    await user.should_see("downloading 3.4 MB of 20 MB")
    jobs.record_stage(job.id, "download", 2.0)
    jobs.advance_job(job.id, WORKER, step="loading the model")
    await wait_for_async(
        lambda: user.find(marker="stage-download").elements.pop().props["subtitle"] == "2.0 s"
    )


async def open_steady_job(user: User, title: str, shown: str) -> tuple[Job, int, Element, Element]:
    """A completed job's page, open; returns the job, its owner's id, and the page's player and
    transcript elements (a live update must keep both)."""
    account = await logged_in(user)
    job = make_completed_job(account.id, title)
    await user.open(f"/jobs/{job.id}")
    await user.should_see(shown)
    player = user.find(marker="source-player").elements.pop()
    return job, account.id, player, user.find(marker="transcript").elements.pop()


async def test_a_live_update_keeps_the_player_and_the_transcript(user: User) -> None:
    job, owner, player, transcript = await open_steady_job(user, "Steady", "completed")
    api.reanalyze_job(job.id, owner)  # a status change, heard live
    await user.should_see("pending", retries=30)
    assert user.find(marker="source-player").elements.pop().id == player.id
    assert user.find(marker="transcript").elements.pop().id == transcript.id


async def test_a_new_clip_keeps_the_player_and_the_transcript(user: User) -> None:
    _, _, player, transcript = await open_steady_job(user, "Steady clips", "Clips (2)")
    ranges = len(transcript.props["ranges"])
    user.find(marker="new-clip").click()
    user.find(marker="new-clip-save").click()
    await user.should_see("Clips (3)", retries=60)
    assert user.find(marker="source-player").elements.pop().id == player.id
    kept = user.find(marker="transcript").elements.pop()
    assert kept.id == transcript.id and len(kept.props["ranges"]) == ranges + 1


def made_an_hour_ago(job_id: int) -> None:
    """The job was submitted, and ended, an hour ago."""
    an_hour_ago = utcnow() - timedelta(hours=1)
    with session() as db:
        db.exec(
            update(Job)
            .where(col(Job.id) == job_id)
            .values(created_at=an_hour_ago, finished_at=an_hour_ago)
        )


def toasts(user: User, text: str) -> int:
    return sum(text in message for message in user.notify.messages)


async def test_a_job_that_failed_as_its_page_opened_is_told_once_per_failure(user: User) -> None:
    account = await logged_in(user)
    leave_page(user)
    job = make_job(account.id, "Quick failure", JobStatus.FAILED)  # just submitted, failed at once
    await user.open(f"/jobs/{job.id}")  # the draw reads "failed" before its update is heard
    await user.should_see("The video is private.")
    api.retry_job(job.id, account.id)  # heard after the failure's own update, if that comes
    await user.should_see("pending", retries=30)
    assert toasts(user, "Quick failure failed: The video is private.") == 1
    run_to(job.id, JobStatus.FAILED, error="Still private.")  # a new failure: news again
    await wait_for_async(lambda: toasts(user, "Quick failure failed: Still private.") == 1)


async def test_reopening_an_older_failed_job_does_not_toast_it_again(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Old failure", JobStatus.FAILED)
    made_an_hour_ago(job.id)
    await user.open(f"/jobs/{job.id}")
    await user.should_see("The video is private.")
    assert toasts(user, "Old failure failed") == 0


async def test_the_clips_of_a_vertical_job_are_drawn_9_16(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Tall talk")
    jobs.update_job(job.id, options={**job.options, "output_format": "vertical"})
    await user.open(f"/jobs/{job.id}")
    await user.should_see("Clips (2)")
    pictures = user.find(marker="vertical-clip").elements  # the job's format, not the clips' own
    assert len(pictures) == 2
    assert all(p.style["aspect-ratio"] == "9 / 16" and "max-height" in p.style for p in pictures)


async def test_the_event_log_grows_in_place_on_a_status_change(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Logged", JobStatus.DOWNLOADING)
    jobs.add_event(job.id, "info", "download started")
    await user.open(f"/jobs/{job.id}")
    await user.should_see("download started")
    [box] = user.find(marker="event-log").elements
    jobs.add_event(job.id, "info", "downloaded 20 MB")
    jobs.record_stage(job.id, "download", 2.0)
    jobs.advance_job(job.id, WORKER)  # a status change, heard live
    await user.should_see("downloaded 20 MB", retries=30)
    assert user.find(marker="event-log").elements == {box}  # kept, with its scroll position
    lines = [
        e.text for e in box.descendants() if isinstance(e, ui.label) and "text-sm" in e.classes
    ]
    assert lines[-2:] == ["download started", "downloaded 20 MB"]


@contextmanager
def stalled(table: str) -> Iterator[None]:
    """Postgres holds every read of `table` until the block ends (another session's lock)."""
    with get_engine().begin() as connection:
        connection.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield


@pytest.mark.postgres
async def test_a_page_that_outlasts_its_build_time_answers_our_sentence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with throwaway_database("vc_stalled_page") as database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
        reset_process_state()
        upgrade_database()
        async with simulated_browser(tmp_path, caplog) as user:
            account = await logged_in(user)
            job = make_job(account.id, "Stalled")
            with stalled("jobs"):
                response = await user.http_client.get(f"/jobs/{job.id}")
            assert response.status_code == 500
            assert SENTENCE in response.text  # not NiceGUI's bare "took longer than" page
            assert "response_timeout" not in response.text
            expect_logged(caplog, "was not built within")
        reset_process_state()


async def test_an_update_of_a_job_that_ended_before_the_page_opened_is_not_toasted(
    user: User,
) -> None:
    account = await logged_in(user)
    leave_page(user)
    done = make_completed_job(account.id, "Done long ago")
    made_an_hour_ago(done.id)
    moving = make_job(account.id, "Moving", JobStatus.DOWNLOADING)
    await user.open(f"/jobs/{moving.id}")  # the other job is not drawn here
    jobs.update_job(done.id, title="Done long ago")  # e.g. one of its clips rendered again
    jobs.set_progress(moving.id, 17.0, "downloading")  # heard after it
    await user.should_see("17%", retries=30)
    assert toasts(user, "Done long ago is ready.") == 0


@contextmanager
def changed_while_read(table: str, change: Callable[[], Job]) -> Iterator[None]:
    """Within the block, the first read of `table` (from any thread) first runs `change` and
    waits until the live update of the job as it left it has reached every page listening by
    then."""
    heard = threading.Event()
    changed: list[Job] = []

    def hear(update: JobUpdate) -> None:
        if changed and (update.id, update.status) == (changed[0].id, changed[0].status):
            heard.set()

    done = False

    def change_first(_connection, _cursor, statement: str, *_args: object) -> None:
        nonlocal done
        if done or f"FROM {table}" not in statement:
            return
        done = True
        changed.append(change())
        assert heard.wait(5), "the change was not heard"

    unsubscribe = events.subscribe(None, hear)
    engine = get_engine()
    sqlalchemy.event.listen(engine, "before_cursor_execute", change_first)
    try:
        yield
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", change_first)
        unsubscribe()
    assert done, f"{table} was not read"


async def test_a_change_made_while_the_page_reads_is_heard(user: User) -> None:
    account = await logged_in(user)
    job = make_job(account.id, "Racing", JobStatus.DOWNLOADING)

    def downloaded() -> Job:
        jobs.record_stage(job.id, "download", 2.0)
        return jobs.advance_job(job.id, WORKER)

    # the page has read its job (still downloading) and reads its events when the job moves on
    with changed_while_read("job_events", downloaded):
        await user.open(f"/jobs/{job.id}")
    await user.should_see("transcribing", retries=30)
