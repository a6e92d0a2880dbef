"""Jobs through real worker processes, on both backends."""

from __future__ import annotations

import re
import signal
import threading
import uuid
from pathlib import Path

import pytest

from tests.http_server import VideoServer
from tests.queue.conftest import EMBEDDED, SCALED, Backend, wait_for_status
from tests.waiting import wait_for
from viralclipper.models import clips, jobs
from viralclipper.models.instance import save_instance_settings
from viralclipper.models.jobs import NotAllowedNow
from viralclipper.models.settings import save_user_settings
from viralclipper.models.tables import User
from viralclipper.models.users import set_admin
from viralclipper.pipeline.media import probe
from viralclipper.queue import api
from viralclipper.queue.events import subscribe
from viralclipper.queue.runner import job_dir
from viralclipper.queue.transport import JobUpdate

RUNNING_ORDER = ["pending", "downloading", "transcribing", "analyzing", "slicing", "completed"]


def events_of(job_id: int) -> list[str]:
    return [e.message for e in jobs.list_events(job_id)]


def test_a_submitted_job_completes_with_clips(backend: Backend, user: User, site: VideoServer):
    backend.start_worker()
    job = api.submit_job(user.id, site.url("short.mp4"))
    done = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert done.status == "completed", done.error_message
    assert done.progress == 100
    assert set(done.stage_seconds) == {"download", "transcribe", "analyze", "slice"}
    assert done.started_at and done.finished_at and done.finished_at >= done.started_at
    made = clips.list_clips(job_id=job.id)
    assert made and all(
        Path(c.video_path).is_file() and Path(c.thumbnail_path).is_file() for c in made
    )
    assert all(5 <= c.end - c.start <= 20 for c in made)
    log = events_of(job.id)
    assert log[0].startswith("queued") and log[-1].startswith("completed with")


def test_cancel_while_transcribing(backend: Backend, user: User, site: VideoServer):
    backend.start_worker()
    job = api.submit_job(user.id, site.url("talk.mp4"))
    wait_for_status(job.id, {"transcribing"}, backend)
    api.cancel_job(job.id, user.id)
    cancelled = wait_for_status(job.id, {"cancelled", "completed", "failed"}, backend, timeout=10)
    assert cancelled.status == "cancelled"
    assert cancelled.last_completed_stage == "download"  # what it finished is kept
    assert "cancel requested" in events_of(job.id)
    assert clips.list_clips(job_id=job.id) == []


def test_a_killed_worker_loses_no_job_and_nothing_is_downloaded_twice(
    backend: Backend, user: User, site: VideoServer
):
    first = backend.start_worker()
    job = api.submit_job(user.id, site.url("talk.mp4"))
    wait_for_status(job.id, {"transcribing"}, backend)
    first.send_signal(signal.SIGKILL)
    first.wait()
    downloads_before = site.paths().count("/talk.mp4")

    backend.start_worker()
    done = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert done.status == "completed", done.error_message
    assert site.paths().count("/talk.mp4") == downloads_before
    assert done.attempts == 2
    log = events_of(job.id)
    assert log.count("download started") == 1
    assert any("re-queued" in line for line in log)
    assert clips.list_clips(job_id=job.id)


JOBS_FOR_TWO = 6


def test_two_workers_process_jobs_exactly_once(backend: Backend, user: User, site: VideoServer):
    save_user_settings(user.id, max_clips=1)
    backend.start_worker()
    backend.start_worker()
    submitted = [api.submit_job(user.id, site.url("short.mp4")) for _ in range(JOBS_FOR_TWO)]
    finished = [wait_for_status(j.id, {"completed", "failed"}, backend) for j in submitted]
    assert [(j.status, j.error_message) for j in finished] == [("completed", None)] * JOBS_FOR_TWO
    assert all(j.attempts == 1 for j in finished)
    for job in finished:
        log = events_of(job.id)
        assert log.count("download started") == 1 and log.count("slice started") == 1
    ran = [downloaded_by(backend, k) for k in range(2)]  # each worker's log names its jobs
    assert sorted(ran[0] + ran[1]) == sorted(j.id for j in finished)
    assert all(len(jobs_of_one) >= 2 for jobs_of_one in ran), ran  # both took a share


def downloaded_by(backend: Backend, worker: int) -> list[int]:
    log = (backend.logs / f"worker-{worker}.log").read_text()
    return [int(n) for n in re.findall(r"job (\d+): download finished", log)]


def test_a_subscriber_sees_the_states_in_order(backend: Backend, user: User, site: VideoServer):
    seen: list[str] = []
    lock = threading.Lock()

    def record(update: JobUpdate) -> None:
        with lock:
            if not seen or seen[-1] != update.status:
                seen.append(update.status)

    unsubscribe = subscribe(user.id, record)
    try:
        backend.start_worker()
        job = api.submit_job(user.id, site.url("short.mp4"))
        wait_for_status(job.id, {"completed", "failed"}, backend)
        wait_for(lambda: seen and seen[-1] in {"completed", "failed"}, 5, "the last update")
    finally:
        unsubscribe()
    assert seen[-1] == "completed"
    positions = [RUNNING_ORDER.index(s) for s in seen]
    assert positions == sorted(positions), seen
    if backend.name == "scaled":  # pushed: every change arrives
        assert seen == RUNNING_ORDER
    else:  # polled: a state shorter than one poll may be skipped, never reordered
        assert {"downloading", "transcribing", "slicing"} <= set(seen)


@SCALED
def test_a_failing_stage_leaves_a_readable_failure_and_keeps_finished_work(
    backend: Backend, user: User, site: VideoServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LLM_FALLBACK", "false")  # else an unreachable LLM is ranked offline
    set_admin(user.id, True)
    save_instance_settings(user.id, llm_base_url="http://127.0.0.1:9/v1")
    save_user_settings(user.id, analyzer="llm")
    backend.start_worker()
    job = api.submit_job(user.id, site.url("short.mp4"))
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert "127.0.0.1:9" in failed.error_message
    assert failed.last_completed_stage == "transcribe"
    assert (failed.failure_kind, jobs.failed_stage(failed)) == ("error", "analyze")
    assert api.retry_refusal(failed) is None  # an LLM that did not answer may answer later
    assert any(e.level == "error" for e in jobs.list_events(job.id))

    save_user_settings(user.id, analyzer="offline")
    api.reanalyze_job(job.id, user.id)
    done = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert done.status == "completed", done.error_message
    assert events_of(job.id).count("download started") == 1
    assert events_of(job.id).count("transcribe started") == 1


def test_a_404_fails_in_the_download_and_is_not_retried(
    backend: Backend, user: User, site: VideoServer
):
    """Nothing at the URL: the job records that retrying cannot help, and a retry is refused
    with a sentence (the page hides the button)."""
    name = f"missing-{uuid.uuid4().hex[:8]}.mp4"
    backend.start_worker()
    job = api.submit_job(user.id, site.url(name))
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert "HTTP 404" in failed.error_message
    assert failed.failure_kind == "source_gone"
    assert jobs.failed_stage(failed) == "download"

    with pytest.raises(NotAllowedNow, match="Retrying cannot help: the video is no longer"):
        api.retry_job(job.id, user.id)
    assert jobs.get_job(job.id).status == "failed"


@EMBEDDED
def test_one_clip_is_rendered_again_and_a_deleted_job_leaves_no_files(
    backend: Backend, user: User, site: VideoServer
):
    backend.start_worker()
    job = api.submit_job(user.id, site.url("short.mp4"))
    assert wait_for_status(job.id, {"completed", "failed"}, backend).status == "completed"
    clip = clips.list_clips(job_id=job.id)[0]
    before = Path(clip.video_path).stat().st_mtime_ns
    editing = api.edit_clip(clip.id, user.id, end=clip.start + 6.0, title="Six seconds")
    assert editing.rendering and editing.video_path == clip.video_path  # the old one plays on
    rendered = wait_for(
        lambda: (c := clips.get_clip(clip.id)) and not c.rendering and c,
        60,
        "the new render",
        details=backend.logs_tail,
    )
    assert rendered.video_path != clip.video_path and rendered.title == "Six seconds"
    assert abs(probe(Path(rendered.video_path)).duration - 6.0) < 0.1
    assert Path(clip.video_path).stat().st_mtime_ns == before  # the run's own file is kept

    undone = api.undo_clip_edits(clip.id, user.id)
    assert (undone.start, undone.end, undone.title, undone.edited) == (
        clip.start,
        clip.end,
        clip.title,
        False,
    )
    wait_for(lambda: not clips.get_clip(clip.id).rendering, 60, "the undone render")

    api.delete_job(job.id, user.id)
    assert jobs.get_job(job.id) is None and clips.list_clips(job_id=job.id) == []
    assert not job_dir(job.id).exists()
