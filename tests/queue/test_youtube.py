"""Connecting a channel and publishing clips, against a fake Google on 127.0.0.1 (oauthlib's,
requests' and httplib2's real HTTP), with real workers on both backends."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlmodel import col, update

from tests.fake_google import CHANNEL, FakeGoogle, fake_google
from tests.queue.conftest import Backend
from tests.waiting import wait_for
from viralclipper import cli
from viralclipper.config import get_settings
from viralclipper.models import youtube as store
from viralclipper.models.clips import replace_clips
from viralclipper.models.db import session as db_session
from viralclipper.models.jobs import create_job
from viralclipper.models.tables import Clip, User, YouTubeAccount, YouTubePublication, utcnow
from viralclipper.pipeline.media import ffmpeg_binary
from viralclipper.pipeline.progress import PipelineError
from viralclipper.pipeline.publish import VideoDetails
from viralclipper.queue import youtube
from viralclipper.queue.app import get_queue


@pytest.fixture
def google(backend: Backend, tmp_path: Path, monkeypatch) -> Iterator[FakeGoogle]:
    with fake_google() as server:
        env = server.env(tmp_path)
        backend.env.update(env)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield server


def make_clip(user: User, folder: Path, size: str = "180x320") -> Clip:
    video = folder / "clip.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10"]
        + ["-t", "2", "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )
    job = create_job(user.id, "https://example.com/talk")
    (clip,) = replace_clips(
        job.id,
        [{"start": 0, "end": 2, "score": 90, "title": "Big idea", "video_path": str(video)}],
    )
    return clip


def connect(user: User) -> YouTubeAccount:
    """What the browser does: go to Google (which consents at once) and come back."""
    consent = requests.get(youtube.connect_url(user.id), allow_redirects=False, timeout=10)
    back = requests.Request("GET", consent.headers["Location"]).prepare()
    query = dict(p.split("=", 1) for p in back.url.split("?", 1)[1].split("&"))  # type: ignore[union-attr]
    return youtube.finish_connect(user.id, query["state"], query["code"])


def wait_published(publication_id: int, backend: Backend):
    return wait_for(
        lambda: (
            (p := store.get_publication(publication_id))
            and p.status != "queued"
            and p.status != "uploading"
            and p
        ),
        60,
        "the publication to finish",
        details=backend.logs_tail,
    )


def test_connect_publish_scheduled_and_disconnect(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path
):
    account = connect(user)
    assert (account.channel_id, account.channel_title) == (CHANNEL["id"], "Fake Channel")
    assert "refresh-" not in account.token_encrypted
    clip = make_clip(user, tmp_path)
    assert youtube.clip_warnings(clip) == []
    when = utcnow() + timedelta(days=2)
    details = VideoDetails("Big idea", "hook\n\n#Shorts", ["Shorts"], "private", when, False)
    publication = youtube.publish(user.id, clip.id, account.id, details)
    backend.start_worker()
    done = wait_published(publication.id, backend)
    assert done.status == "published", done.error
    assert done.youtube_id == "fakevideo1" and done.progress == 100.0
    assert youtube.scheduled(done)
    assert bytes(next(iter(google.uploads.values()))) == Path(clip.video_path).read_bytes()
    sent = google.videos[0]
    assert sent["status"]["privacyStatus"] == "private" and sent["status"]["publishAt"]
    assert sent["status"]["selfDeclaredMadeForKids"] is False

    assert youtube.disconnect(user.id, account.id) is True
    assert google.revoked and google.revoked[0].startswith("refresh-")
    assert store.list_accounts(user.id) == []


def test_a_wrong_or_replayed_state_is_refused(backend: Backend, user: User, google: FakeGoogle):
    consent = requests.get(youtube.connect_url(user.id), allow_redirects=False, timeout=10)
    location = consent.headers["Location"]
    query = dict(p.split("=", 1) for p in location.split("?", 1)[1].split("&"))
    with pytest.raises(youtube.PublishRefused, match="unknown, already used"):
        youtube.finish_connect(user.id, "forged-state", query["code"])
    youtube.finish_connect(user.id, query["state"], query["code"])
    with pytest.raises(youtube.PublishRefused, match="unknown, already used"):
        youtube.finish_connect(user.id, query["state"], query["code"])  # replayed
    assert len(store.list_accounts(user.id)) == 1


def test_an_interrupted_upload_resumes_after_a_restart(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path
):
    account = connect(user)
    clip = make_clip(user, tmp_path)
    data = Path(clip.video_path).read_bytes()
    publication = youtube.publish(user.id, clip.id, account.id, youtube.suggested_details(clip))
    # The worker that had it died after YouTube confirmed the first 1000 bytes.
    session = f"{google.base}/upload/session/1"
    google.uploads[session] = bytearray(data[:1000])
    google.videos.append({})
    store.update_publication(publication.id, status="failed", upload_session=session)
    youtube.retry(user.id, publication.id)
    backend.start_worker()
    done = wait_published(publication.id, backend)
    assert done.status == "published", done.error
    assert bytes(google.uploads[session]) == data
    assert google.requests.count("POST /upload/youtube/v3/videos") == 0  # no new upload


def left_uploading(publication_id: int, session_uri: str, idle: timedelta) -> None:
    """What a worker that died mid-upload leaves: 'uploading', no progress for `idle`."""
    with db_session() as db:
        db.exec(
            update(YouTubePublication)
            .where(col(YouTubePublication.id) == publication_id)
            .values(status="uploading", upload_session=session_uri, updated_at=utcnow() - idle)
        )


def test_an_upload_left_uploading_by_a_dead_worker_resumes_when_a_worker_starts(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path
):
    account = connect(user)
    clip = make_clip(user, tmp_path)
    data = Path(clip.video_path).read_bytes()
    details = youtube.suggested_details(clip)
    stalled = youtube.publish(user.id, clip.id, account.id, details)
    moving = youtube.publish(user.id, clip.id, account.id, details)
    get_queue().huey.flush()  # the dead worker had taken the task; the other worker has its own
    # Its worker died after YouTube confirmed the first 1000 bytes; nobody restarted it.
    session = f"{google.base}/upload/session/1"
    google.uploads[session] = bytearray(data[:1000])
    google.videos.append({})
    left_uploading(stalled.id, session, youtube.STALLED_AFTER + timedelta(minutes=1))
    # another worker's upload, moving a minute ago: not to be taken from it
    left_uploading(moving.id, f"{google.base}/upload/session/other", timedelta(minutes=1))

    backend.start_worker()  # its start-up recovery
    done = wait_published(stalled.id, backend)
    assert done.status == "published", done.error
    assert bytes(google.uploads[session]) == data
    assert google.requests.count("POST /upload/youtube/v3/videos") == 0  # resumed, not restarted
    assert store.get_publication(moving.id).status == "uploading"  # type: ignore[union-attr]
    assert youtube.requeue_stalled_uploads() == []  # taken once


def test_expired_tokens_refresh_and_revoked_ones_ask_to_reconnect(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path
):
    account = connect(user)
    clip = make_clip(user, tmp_path)
    token = store.account_token(account)
    info = json.loads(token)
    info["expiry"] = "2000-01-01T00:00:00Z"
    store.store_token(account.id, json.dumps(info))
    first = youtube.publish(user.id, clip.id, account.id, youtube.suggested_details(clip))
    youtube.run_publication(first.id)  # the task's work, here in the test process
    done = store.get_publication(first.id)
    assert done is not None and done.status == "published", done and done.error
    renewed = json.loads(store.account_token(store.get_account(account.id)))  # type: ignore[arg-type]
    assert renewed["token"] != info["token"] and "POST /token" in google.requests[3:]

    google.refused_refresh.add(info["refresh_token"])
    store.store_token(account.id, json.dumps(info))
    second = youtube.publish(user.id, clip.id, account.id, youtube.suggested_details(clip))
    youtube.run_publication(second.id)
    failed = store.get_publication(second.id)
    assert failed is not None and failed.status == "failed"
    assert "connect the channel again" in (failed.error or "")
    assert store.get_account(account.id).needs_reconnect  # type: ignore[union-attr]
    with pytest.raises(youtube.PublishRefused, match="connect the channel again"):
        youtube.publish(user.id, clip.id, account.id, youtube.suggested_details(clip))


def test_horizontal_clips_are_warned_about(backend: Backend, user: User, tmp_path: Path):
    clip = make_clip(user, tmp_path, size="320x180")
    assert youtube.clip_warnings(clip) == [
        "The clip is horizontal: YouTube shows it as a normal video, not a Short."
    ]


def test_the_cli_publishes_to_a_channel_by_name(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path, capsys
):
    connect(user)
    clip = make_clip(user, tmp_path)
    backend.start_worker()
    at = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    argv = ["clips", "publish", str(clip.id), "--channel", "fake channel", "--at", at, "--wait"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "queued for Fake Channel" in out and "https://youtube.com/shorts/fakevideo1" in out
    assert google.videos[0]["status"]["publishAt"] == at
    assert cli.main(["clips", "publish", str(clip.id), "--channel", "nope"]) == 1
    assert "no connected channel named 'nope'" in capsys.readouterr().err


def test_a_token_refreshed_during_the_upload_is_kept(
    backend: Backend, user: User, google: FakeGoogle, tmp_path: Path
):
    account = connect(user)
    clip = make_clip(user, tmp_path)
    old = json.loads(store.account_token(account))["token"]
    google.expired_tokens.add(old)  # Google answers 401 before the token's stated expiry
    publication = youtube.publish(user.id, clip.id, account.id, youtube.suggested_details(clip))
    youtube.run_publication(publication.id)
    done = store.get_publication(publication.id)
    assert done is not None and done.status == "published", done and done.error
    kept = json.loads(store.account_token(store.get_account(account.id)))  # type: ignore[arg-type]
    assert kept["token"] != old


def test_an_unticked_permission_is_explained(backend: Backend, user: User, google: FakeGoogle):
    google.granted = "https://www.googleapis.com/auth/youtube.readonly"
    with pytest.raises(PipelineError, match="did not grant every permission"):
        connect(user)
    assert store.list_accounts(user.id) == []
