"""Jobs: the lifecycle, atomic claims and transitions under concurrency, heartbeats, cancel,
events, deletion, listing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.models.conftest import add_user
from viralclipper.models import (
    Clip,
    IllegalTransition,
    JobEvent,
    JobStatus,
    User,
    add_event,
    claim_job,
    count_jobs,
    count_jobs_by_status,
    create_job,
    delete_job,
    get_job,
    heartbeat,
    is_cancel_requested,
    jobs_updated_since,
    list_events,
    list_jobs,
    record_stage,
    replace_clips,
    request_cancel,
    requeue_stale,
    session,
    set_progress,
    stale_jobs,
    transition,
    update_job,
)

S = JobStatus
GOLDEN_PATH = [S.DOWNLOADING, S.TRANSCRIBING, S.ANALYZING, S.SLICING, S.COMPLETED]


def run_to(job_id: int, last: JobStatus) -> None:
    """Walk a job along the golden path up to `last`."""
    for status in GOLDEN_PATH[: GOLDEN_PATH.index(last) + 1]:
        transition(job_id, status)


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

    transition(job.id, S.DOWNLOADING, step="Downloading")
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

    for status in GOLDEN_PATH[1:]:
        transition(job.id, status)
    record_stage(job.id, "transcribe", 7)
    done = get_job(job.id)
    assert done.status == "completed" and done.progress == 100
    assert done.stage_seconds == {"download": 3.21, "transcribe": 7.0}
    assert done.started_at <= done.finished_at and done.finished_at.tzinfo == UTC


@pytest.mark.parametrize(
    ("reach", "illegal"),
    [
        (S.PENDING, S.TRANSCRIBING),
        (S.PENDING, S.COMPLETED),
        (S.PENDING, S.FAILED),
        (S.DOWNLOADING, S.DOWNLOADING),
        (S.DOWNLOADING, S.SLICING),
        (S.ANALYZING, S.TRANSCRIBING),
        (S.COMPLETED, S.SLICING),
        (S.COMPLETED, S.FAILED),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(owner: User, reach, illegal):
    job = create_job(owner.id, "https://example.com/v")
    if reach != S.PENDING:
        run_to(job.id, reach)
    before = get_job(job.id)
    with pytest.raises(IllegalTransition, match=f"from {reach} to {illegal}"):
        transition(job.id, illegal)
    assert get_job(job.id) == before


def test_failed_and_cancelled_jobs_can_be_retried(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.TRANSCRIBING)
    failed = transition(job.id, S.FAILED, error="The video is private.")
    assert failed.error_message == "The video is private." and failed.finished_at is not None
    with pytest.raises(IllegalTransition):
        transition(job.id, S.DOWNLOADING)

    retried = transition(job.id, S.PENDING, step="Queued again")
    assert (retried.status, retried.error_message, retried.finished_at) == (S.PENDING, None, None)

    transition(job.id, S.CANCELLED)
    assert transition(job.id, S.PENDING).status == S.PENDING


def test_a_failure_always_has_a_message(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.DOWNLOADING)
    assert transition(job.id, S.FAILED).error_message


def test_resume_jumps_to_the_first_unfinished_stage(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.TRANSCRIBING)
    record_stage(job.id, "download", 1)
    record_stage(job.id, "transcribe", 2)
    transition(job.id, S.PENDING)  # crash recovery
    with pytest.raises(IllegalTransition):
        transition(job.id, S.SLICING)  # analyze has not run yet
    assert transition(job.id, S.ANALYZING).status == S.ANALYZING


def test_completed_job_can_be_reanalyzed_directly_or_through_the_queue(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    run_to(job.id, S.COMPLETED)
    again = transition(job.id, S.ANALYZING, step="Re-analyzing")
    assert again.finished_at is None and again.current_step == "Re-analyzing"
    assert claim_job(job.id, "worker-1") is not None
    transition(job.id, S.SLICING)
    transition(job.id, S.COMPLETED)

    update_job(job.id, last_completed_stage="transcribe")
    assert transition(job.id, S.PENDING).finished_at is None
    with pytest.raises(IllegalTransition):
        transition(job.id, S.DOWNLOADING)  # the transcript is there: resume at analyzing
    assert transition(job.id, S.ANALYZING).status == S.ANALYZING


def test_only_one_of_several_concurrent_transitions_wins(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    results = race(6, lambda _: transition(job.id, S.DOWNLOADING))
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, IllegalTransition) for r in results if isinstance(r, Exception))


def test_only_one_of_several_concurrent_claimers_wins(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    results = race(8, lambda index: claim_job(job.id, f"worker-{index}"))

    winners = [result for result in results if result is not None]
    assert len(winners) == 1, results
    stored = get_job(job.id)
    assert stored.worker_id == winners[0].worker_id and stored.attempts == 1
    assert stored.heartbeat_at is not None


def test_claims_follow_the_job_state(owner: User):
    job = create_job(owner.id, "https://example.com/v")
    assert claim_job(job.id, "w1").attempts == 1
    assert claim_job(job.id, "w2") is None  # held
    transition(job.id, S.DOWNLOADING, worker_id="w1")
    with pytest.raises(IllegalTransition, match="not held by worker w2"):
        transition(job.id, S.TRANSCRIBING, worker_id="w2")

    requeued = requeue_stale(job.id, "w1", step="re-queued")
    assert (requeued.status, requeued.worker_id) == (S.PENDING, None)
    assert claim_job(job.id, "w2").attempts == 2
    assert requeue_stale(job.id, "w1") is None  # w1 lost it; w2 keeps it
    assert get_job(job.id).worker_id == "w2"

    run_to(job.id, S.COMPLETED)
    assert get_job(job.id).worker_id is None
    assert claim_job(job.id, "w3") is None  # finished
    assert claim_job(9999, "w3") is None


def test_stale_jobs_are_those_whose_heartbeat_stopped(owner: User):
    quiet = create_job(owner.id, "https://example.com/quiet")
    alive = create_job(owner.id, "https://example.com/alive")
    create_job(owner.id, "https://example.com/unclaimed")
    for job, worker in ((quiet, "w-quiet"), (alive, "w-alive")):
        claim_job(job.id, worker)
        transition(job.id, S.DOWNLOADING)
    assert stale_jobs(60) == []

    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    update_job(quiet.id, heartbeat_at=long_ago)
    update_job(alive.id, heartbeat_at=long_ago)
    assert heartbeat(alive.id, "w-alive")
    assert not heartbeat(alive.id, "w-quiet")  # not its job

    assert [job.id for job in stale_jobs(60)] == [quiet.id]
    transition(quiet.id, S.FAILED, error="gone")
    assert stale_jobs(60) == []


def test_cancel(owner: User):
    waiting = create_job(owner.id, "https://example.com/waiting")
    cancelled = request_cancel(waiting.id)
    assert cancelled.status == S.CANCELLED and cancelled.finished_at is not None

    running = create_job(owner.id, "https://example.com/running")
    claim_job(running.id, "w1")
    run_to(running.id, S.TRANSCRIBING)
    assert not is_cancel_requested(running.id)
    flagged = request_cancel(running.id)
    assert flagged.status == S.TRANSCRIBING and flagged.cancel_requested
    assert is_cancel_requested(running.id)
    transition(running.id, S.CANCELLED)
    assert not transition(running.id, S.PENDING).cancel_requested  # a retry starts clean

    assert request_cancel(9999) is None
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
    with pytest.raises(LookupError):
        update_job(9999, title="x")
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
