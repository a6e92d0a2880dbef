"""Jobs: the lifecycle (each move, and a test per illegal one), atomic claims and moves under
concurrency, heartbeats, cancel, events, deletion, listing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.lifecycle import WORKER, run_to
from tests.models.conftest import add_user
from viralclipper.models import (
    Clip,
    JobEvent,
    JobNotFound,
    JobStatus,
    NotAllowedNow,
    User,
    add_event,
    advance_job,
    claim_job,
    count_jobs,
    count_jobs_by_status,
    create_job,
    delete_job,
    fail_job,
    get_job,
    heartbeat,
    is_cancel_requested,
    jobs_updated_since,
    list_events,
    list_jobs,
    reanalyze_job,
    record_stage,
    replace_clips,
    request_cancel,
    requeue_stale,
    retry_job,
    session,
    set_progress,
    stale_jobs,
    stop_job,
    update_job,
)

S = JobStatus
LONG_AGO = datetime.now(UTC) - timedelta(minutes=5)


def race(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` in `count` threads released at the same moment; exceptions are results."""
    barrier = threading.Barrier(count)

    def contender(index: int) -> object:
        barrier.wait()
        try:
            return attempt(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(contender, range(count)))


def test_golden_path_records_times_and_progress(owner: User):
    job = create_job(owner.id, "https://example.com/v", {"max_clips": 3})
    assert (job.status, job.progress, job.attempts, job.options) == (
        S.PENDING,
        0,
        0,
        {"max_clips": 3},
    )

    claimed = claim_job(job.id, WORKER)
    assert (claimed.status, claimed.worker_id, claimed.attempts) == (S.PENDING, WORKER, 1)
    advance_job(job.id, WORKER, step="Downloading")
    set_progress(job.id, 12.5, "Downloading 62%")
    record_stage(job.id, "download", 3.21)
    running = get_job(job.id)
    assert (running.status, running.current_step, running.progress) == (
        S.DOWNLOADING,
        "Downloading 62%",
        12.5,
    )
    assert running.started_at is not None and running.finished_at is None
    assert running.last_completed_stage == "download" and running.stage_seconds == {
        "download": 3.21
    }

    for status, stage in ((S.TRANSCRIBING, "transcribe"), (S.ANALYZING, "analyze")):
        assert advance_job(job.id, WORKER).status == status
        record_stage(job.id, stage, 7 if stage == "transcribe" else 1)
    assert advance_job(job.id, WORKER).status == S.SLICING
    record_stage(job.id, "slice", 2)
    done = advance_job(job.id, WORKER)
    assert done.status == "completed" and done.progress == 100 and done.worker_id is None
    assert done.stage_seconds == {"download": 3.21, "transcribe": 7.0, "analyze": 1, "slice": 2}
    assert done.started_at <= done.finished_at and done.finished_at.tzinfo == UTC


def refused(move: Callable[[], object], job_id: int, reason: str) -> None:
    """`move` raises NotAllowedNow with `reason` in its message, and leaves the job as it was."""
    before = get_job(job_id)
    with pytest.raises(NotAllowedNow, match=reason):
        move()
    assert get_job(job_id) == before


@pytest.mark.parametrize("status", [S.COMPLETED, S.FAILED, S.CANCELLED])
def test_a_finished_job_cannot_be_claimed_advanced_failed_or_stopped(owner: User, status):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, status)
    assert claim_job(job.id, "w2") is None
    row = get_job(job.id)
    assert row.worker_id is None and row.attempts == 1
    for move in (advance_job, fail_job, stop_job):
        args = (job.id, WORKER, "boom") if move is fail_job else (job.id, WORKER)
        refused(lambda m=move, a=args: m(*a), job.id, f"is {status}")


def test_advance_goes_one_stage_at_a_time_and_only_after_the_stage_is_recorded(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.DOWNLOADING)
    refused(lambda: advance_job(job.id, WORKER), job.id, "from downloading to downloading")
    record_stage(job.id, "download", 1)
    record_stage(job.id, "transcribe", 1)  # transcribing was skipped
    refused(lambda: advance_job(job.id, WORKER), job.id, "from downloading to analyzing")


def test_only_the_worker_that_holds_a_job_moves_it(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    refused(lambda: advance_job(job.id, WORKER), job.id, "not held by worker")  # unclaimed
    run_to(job.id, S.DOWNLOADING)
    record_stage(job.id, "download", 1)
    for move in (advance_job, stop_job):
        refused(lambda m=move: m(job.id, "w2"), job.id, "not held by worker w2")
    refused(lambda: fail_job(job.id, "w2", "boom"), job.id, "not held by worker w2")


def test_a_pending_job_cannot_fail_or_stop(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    claim_job(job.id, WORKER)
    refused(lambda: fail_job(job.id, WORKER, "boom"), job.id, "is pending")
    refused(lambda: stop_job(job.id, WORKER), job.id, "is pending")


def test_a_claimed_job_cannot_be_claimed_again(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    assert claim_job(job.id, "w1").attempts == 1
    assert claim_job(job.id, "w2") is None
    run_to(create_job(owner.id, "https://example.com/w").id, S.DOWNLOADING)
    assert get_job(job.id).worker_id == "w1" and claim_job(9999, "w3") is None


def test_failed_and_cancelled_jobs_can_be_retried(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.TRANSCRIBING)
    failed = fail_job(job.id, WORKER, "The video is private.")
    assert failed.error_message == "The video is private." and failed.finished_at is not None
    assert (failed.worker_id, failed.current_step) == (None, "failed")

    retried = retry_job(job.id, step="Queued again")
    assert (retried.status, retried.error_message, retried.finished_at) == (S.PENDING, None, None)
    assert retried.current_step == "Queued again" and retried.last_completed_stage == "download"

    assert request_cancel(job.id).status == S.CANCELLED
    again = retry_job(job.id)
    assert again.status == S.PENDING and not again.cancel_requested


@pytest.mark.parametrize("status", [S.PENDING, S.DOWNLOADING, S.SLICING, S.COMPLETED])
def test_only_failed_or_cancelled_jobs_can_be_retried(owner: User, status):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, status)
    refused(lambda: retry_job(job.id), job.id, "only a job that is cancelled or failed")


def test_a_failure_always_has_a_message(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.DOWNLOADING)
    assert fail_job(job.id, WORKER, "").error_message == "The job failed."


def test_a_requeued_job_resumes_at_the_first_unfinished_stage(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.ANALYZING)  # download and transcribe recorded
    update_job(job.id, heartbeat_at=LONG_AGO)
    assert requeue_stale(job.id, WORKER, 60).status == S.PENDING
    claim_job(job.id, "w2")
    assert advance_job(job.id, "w2").status == S.ANALYZING


def test_only_a_stale_claim_is_requeued(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.DOWNLOADING)
    assert requeue_stale(job.id, WORKER, 60) is None  # it beats: not stale
    assert requeue_stale(job.id, "w-other", 0) is None  # not that worker's job
    assert get_job(job.id).worker_id == WORKER

    update_job(job.id, heartbeat_at=LONG_AGO)
    requeued = requeue_stale(job.id, WORKER, 60, step="re-queued")
    assert (requeued.status, requeued.worker_id, requeued.current_step) == (
        S.PENDING,
        None,
        "re-queued",
    )
    assert claim_job(job.id, "w2").attempts == 2
    assert requeue_stale(job.id, WORKER, 0) is None  # WORKER lost it; w2 keeps it
    assert get_job(job.id).worker_id == "w2"

    unclaimed = create_job(owner.id, "https://example.com/u")
    assert requeue_stale(unclaimed.id, WORKER, 0) is None
    finished = create_job(owner.id, "https://example.com/f")
    run_to(finished.id, S.COMPLETED)
    assert requeue_stale(finished.id, WORKER, 0) is None
    assert get_job(finished.id).status == S.COMPLETED


def test_a_finished_job_with_a_transcript_is_reanalyzed_through_the_queue(owner: User):
    job = create_job(owner.id, "https://example.com/v", {"max_clips": 3})
    run_to(job.id, S.COMPLETED)
    again = reanalyze_job(job.id, {"max_clips": 5})
    assert (again.status, again.finished_at, again.last_completed_stage) == (
        S.PENDING,
        None,
        "transcribe",
    )
    assert again.options == {"max_clips": 5} and again.current_step == "queued for re-analysis"
    claim_job(job.id, WORKER)
    assert advance_job(job.id, WORKER).status == S.ANALYZING  # the transcript is reused


@pytest.mark.parametrize("status", [S.PENDING, S.DOWNLOADING, S.TRANSCRIBING, S.ANALYZING])
def test_a_job_that_is_queued_or_running_cannot_be_reanalyzed(owner: User, status):
    job = create_job(owner.id, "https://example.com/v", {"max_clips": 3})
    run_to(job.id, status)
    refused(lambda: reanalyze_job(job.id, {"max_clips": 5}), job.id, f"is {status}")


def test_a_claimed_job_cannot_be_reanalyzed_even_while_pending(owner: User):
    job = create_job(owner.id, "https://example.com/v", {"max_clips": 3})
    run_to(job.id, S.COMPLETED)
    reanalyze_job(job.id, {"max_clips": 4})
    claim_job(job.id, WORKER)
    refused(lambda: reanalyze_job(job.id, {"max_clips": 5}), job.id, "is pending")


def test_a_job_without_a_transcript_cannot_be_reanalyzed(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.FAILED)  # while downloading
    refused(lambda: reanalyze_job(job.id, {}), job.id, "has no transcript yet")


def test_moves_on_a_missing_job_say_it_was_not_found(owner: User):
    for move in (retry_job, request_cancel, lambda i: reanalyze_job(i, {})):
        with pytest.raises(JobNotFound, match="Job 9999 was not found."):
            move(9999)


def test_only_one_of_several_concurrent_advances_wins(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    claim_job(job.id, WORKER)
    results = race(6, lambda _: advance_job(job.id, WORKER))
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, NotAllowedNow) for r in results if isinstance(r, Exception))
    assert get_job(job.id).status == S.DOWNLOADING


def test_only_one_of_several_concurrent_claimers_wins(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    results = race(8, lambda index: claim_job(job.id, f"worker-{index}"))

    winners = [result for result in results if result is not None]
    assert len(winners) == 1, results
    stored = get_job(job.id)
    assert stored.worker_id == winners[0].worker_id and stored.attempts == 1
    assert stored.heartbeat_at is not None


def test_stale_jobs_are_those_whose_heartbeat_stopped(owner: User):
    quiet = create_job(owner.id, "https://example.com/quiet")
    alive = create_job(owner.id, "https://example.com/alive")
    create_job(owner.id, "https://example.com/unclaimed")
    for job, worker in ((quiet, "w-quiet"), (alive, "w-alive")):
        run_to(job.id, S.DOWNLOADING, worker=worker)
    assert stale_jobs(60) == []

    update_job(quiet.id, heartbeat_at=LONG_AGO)
    update_job(alive.id, heartbeat_at=LONG_AGO)
    assert heartbeat(alive.id, "w-alive")
    assert not heartbeat(alive.id, "w-quiet")  # not its job

    assert [job.id for job in stale_jobs(60)] == [quiet.id]
    fail_job(quiet.id, "w-quiet", "gone")
    assert stale_jobs(60) == []


def test_cancel(owner: User):
    waiting = create_job(owner.id, "https://example.com/waiting")
    cancelled = request_cancel(waiting.id)
    assert cancelled.status == S.CANCELLED and cancelled.finished_at is not None

    claimed = create_job(owner.id, "https://example.com/claimed")
    claim_job(claimed.id, "w1")
    flagged = request_cancel(claimed.id)  # its worker stops it at its first progress report
    assert (flagged.status, flagged.cancel_requested) == (S.PENDING, True)

    running = create_job(owner.id, "https://example.com/running")
    run_to(running.id, S.TRANSCRIBING)
    assert not is_cancel_requested(running.id)
    flagged = request_cancel(running.id)
    assert flagged.status == S.TRANSCRIBING and flagged.cancel_requested
    assert is_cancel_requested(running.id)
    stopped = stop_job(running.id, WORKER)
    assert (stopped.status, stopped.worker_id) == (S.CANCELLED, None)
    assert request_cancel(running.id) == get_job(running.id)  # finished: left alone
    assert not retry_job(running.id).cancel_requested  # a retry starts clean

    assert is_cancel_requested(9999)  # a deleted job should stop too


def test_update_job_refuses_the_status_and_unknown_fields(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    updated = update_job(job.id, title="A talk", duration=64.5, media_path="/m/a.mp4")
    assert (updated.title, updated.duration, updated.media_path) == ("A talk", 64.5, "/m/a.mp4")
    assert updated.updated_at >= job.updated_at
    with pytest.raises(ValueError, match="status"):
        update_job(job.id, status="completed")
    with pytest.raises(ValueError, match="colour"):
        update_job(job.id, colour="red")
    with pytest.raises(JobNotFound):
        update_job(9999, title="x")
    with pytest.raises(ValueError, match="worker_id"):
        update_job(job.id, worker_id="w9")
    with pytest.raises(ValueError, match="Unknown stage"):
        record_stage(job.id, "upload", 1)
    set_progress(job.id, 140)
    assert get_job(job.id).progress == 100


def test_events_are_kept_in_order(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    for number in range(5):
        add_event(job.id, "info", f"step {number}")
    add_event(job.id, "error", "it broke")
    with pytest.raises(ValueError, match="level"):
        add_event(job.id, "debug", "nope")

    events = list_events(job.id)
    assert [event.message for event in events] == [f"step {n}" for n in range(5)] + ["it broke"]
    assert events[-1].level == "error" and events[0].created_at.tzinfo == UTC
    assert [event.message for event in list_events(job.id, limit=2)] == ["step 4", "it broke"]


def test_delete_cascades_to_events_and_clips_and_returns_the_files(owner: User):
    kept = create_job(owner.id, "https://example.com/kept")
    job = create_job(owner.id, "https://example.com/v")  # the newest: SQLite would reuse its id
    update_job(
        job.id, media_path="/d/media.mp4", audio_path="/d/a.wav", transcript_path="/d/t.json"
    )
    for each in (job, kept):
        add_event(each.id, "info", "started")
        replace_clips(
            each.id,
            [
                {
                    "start": 0,
                    "end": 20,
                    "score": 80,
                    "title": "A",
                    "video_path": f"/d/{each.id}.mp4",
                    "thumbnail_path": "/d/t.jpg",
                }
            ],
        )

    files = delete_job(job.id)

    assert files.media_path == "/d/media.mp4" and files.transcript_path == "/d/t.json"
    assert files.clip_files == [f"/d/{job.id}.mp4", "/d/t.jpg"]
    assert get_job(job.id) is None and delete_job(job.id) is None
    assert create_job(owner.id, "https://example.com/new").id > job.id  # ids are never reused
    with session() as db:
        for table in (JobEvent, Clip):
            orphans = select(func.count()).select_from(table).where(table.job_id == job.id)
            survivors = select(func.count()).select_from(table).where(table.job_id == kept.id)
            assert (db.exec(orphans).one()[0], db.exec(survivors).one()[0]) == (0, 1)


def test_list_filter_search_count_and_ownership(owner: User):
    other = add_user("other@example.com")
    titles = ["Cooking 101", "100% pure rant", "cooking with fire", "Travel vlog"]
    jobs = [create_job(owner.id, f"https://example.com/{n}") for n in range(len(titles))]
    for job, title in zip(jobs, titles, strict=True):
        update_job(job.id, title=title)
    run_to(jobs[0].id, S.COMPLETED)
    run_to(jobs[1].id, S.ANALYZING)
    foreign = create_job(other.id, "https://example.com/other")
    update_job(foreign.id, title="cooking elsewhere")

    assert [j.id for j in list_jobs(owner.id)] == [j.id for j in reversed(jobs)]  # newest first
    assert [j.id for j in list_jobs(owner.id, limit=2, offset=1)] == [jobs[2].id, jobs[1].id]
    assert {j.id for j in list_jobs(owner.id, search="COOKING")} == {jobs[0].id, jobs[2].id}
    assert [j.id for j in list_jobs(owner.id, search="100%")] == [jobs[1].id]  # % is literal
    assert [j.id for j in list_jobs(owner.id, search="example.com/3")] == [jobs[3].id]
    assert [j.id for j in list_jobs(owner.id, status="completed")] == [jobs[0].id]
    assert {j.id for j in list_jobs(owner.id, status=[S.PENDING, S.ANALYZING])} == {
        jobs[1].id,
        jobs[2].id,
        jobs[3].id,
    }
    assert len(list_jobs()) == 5 and count_jobs() == 5
    assert count_jobs(owner.id, search="cooking") == 2

    counts = count_jobs_by_status(owner.id)
    assert counts == {
        "pending": 2,
        "downloading": 0,
        "transcribing": 0,
        "analyzing": 1,
        "slicing": 0,
        "completed": 1,
        "failed": 0,
        "cancelled": 0,
    }
    assert count_jobs_by_status()["pending"] == 3

    assert get_job(foreign.id, user_id=owner.id) is None
    assert get_job(foreign.id, user_id=other.id).title == "cooking elsewhere"


def test_jobs_updated_since(owner: User):
    first = create_job(owner.id, "https://example.com/1")
    second = create_job(owner.id, "https://example.com/2")
    mark = get_job(second.id).updated_at
    assert jobs_updated_since(mark) == []
    set_progress(first.id, 10)
    changed = jobs_updated_since(mark)
    assert [job.id for job in changed] == [first.id] and changed[0].progress == 10
    assert jobs_updated_since(mark, user_id=owner.id + 1) == []


def test_several_jobs_are_read_in_one_go_and_only_the_owners(owner: User):
    from viralclipper.models.jobs import get_jobs

    other = add_user("other@example.com")
    mine = [create_job(owner.id, f"https://example.com/{i}") for i in range(3)]
    theirs = create_job(other.id, "https://example.com/theirs")
    ids = [job.id for job in mine] + [theirs.id, 9999]
    assert set(get_jobs(ids)) == {*ids[:4]}
    found = get_jobs(ids, user_id=owner.id)
    assert {job_id: job.source_url for job_id, job in found.items()} == {
        job.id: job.source_url for job in mine
    }
    assert get_jobs([]) == {}
