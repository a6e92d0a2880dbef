"""What the disk cleanup reads from the database (models.job_media): the cached media each job
uses, whether an unfinished job needs it, and when the longest-running current run started."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.lifecycle import WORKER, run_to
from viralclipper.models import JobStatus, User, create_job, delete_job, stop_job, update_job
from viralclipper.models.job_media import MediaUse, earliest_running_start, media_uses

S = JobStatus
A_VIDEO = {"media_path": "/cache/downloads/aaa/video.mp4", "audio_path": "/cache/audio/aaa.wav"}
B_VIDEO = {"media_path": "/cache/downloads/bbb/video.mp4", "audio_path": "/cache/audio/bbb.wav"}


def job_on(owner: User, paths: dict[str, str], status: JobStatus) -> int:
    job = create_job(owner.id, "https://example.com/video")
    update_job(job.id, **paths)
    run_to(job.id, status)
    return job.id


def uses() -> Counter[MediaUse]:
    return Counter(media_uses())


def test_a_cache_entry_is_used_until_the_last_job_on_it_is_deleted(owner: User):
    first = job_on(owner, A_VIDEO, S.COMPLETED)
    second = job_on(owner, A_VIDEO, S.FAILED)  # the same video: the same entry
    job_on(owner, B_VIDEO, S.TRANSCRIBING)
    job_on(owner, {"audio_path": "/cache/audio/upload.wav"}, S.PENDING)
    create_job(owner.id, "https://example.com/not-downloaded-yet")  # no paths: no use

    a_done = MediaUse(A_VIDEO["media_path"], A_VIDEO["audio_path"], finished=True)
    b_running = MediaUse(B_VIDEO["media_path"], B_VIDEO["audio_path"], finished=False)
    audio_only = MediaUse(None, "/cache/audio/upload.wav", finished=False)
    assert uses() == Counter({a_done: 2, b_running: 1, audio_only: 1})

    delete_job(first)
    assert uses() == Counter({a_done: 1, b_running: 1, audio_only: 1}), "the second still uses a"
    delete_job(second)
    assert uses() == Counter({b_running: 1, audio_only: 1}), "only the deleted jobs used a"


def test_the_earliest_start_is_that_of_the_longest_running_job(owner: User):
    job_on(owner, A_VIDEO, S.COMPLETED)
    job_on(owner, A_VIDEO, S.PENDING)
    assert earliest_running_start() is None  # neither runs

    now = datetime.now(UTC).replace(microsecond=0)
    older = job_on(owner, A_VIDEO, S.ANALYZING)
    newer = job_on(owner, B_VIDEO, S.DOWNLOADING)
    update_job(older, started_at=now - timedelta(minutes=10))
    update_job(newer, started_at=now - timedelta(minutes=1))
    assert earliest_running_start() == now - timedelta(minutes=10)

    stop_job(older, WORKER)  # cancelled: the newer one is the longest running now
    assert earliest_running_start() == now - timedelta(minutes=1)
