"""Uploading to YouTube through googleapiclient's real resumable upload code, answered by
HttpMockSequence (the HTTP boundary): chunks, retries, resuming, and Google's refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import google_auth_httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.http import HttpMockSequence

from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.publish import (
    UploadFailed,
    VideoDetails,
    check_details,
    default_details,
    short_warnings,
    upload_video,
)
from viralclipper.pipeline.youtube_oauth import ConsentRevoked

API = "https://youtube.test/"
CHUNK = 256 * 1024
SIZE = CHUNK + 1000
SESSION = "https://youtube.test/upload/youtube/v3/videos?uploadType=resumable&upload_id=abc"
STARTED = ({"status": "200", "location": SESSION}, "")
FIRST_CHUNK_KEPT = ({"status": "308", "range": f"bytes=0-{CHUNK - 1}"}, "")
DONE = ({"status": "200"}, json.dumps({"id": "vid123", "status": {"uploadStatus": "uploaded"}}))


def google_error(status: int, reason: str) -> tuple[dict[str, str], str]:
    body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
    return {"status": str(status)}, json.dumps(body)


class DroppingHttp(HttpMockSequence):
    """HttpMockSequence that drops the connection (ConnectionResetError) at the given calls."""

    def __init__(self, answers: list, drop_at: set[int]) -> None:
        super().__init__(answers)
        self.drop_at, self.calls = drop_at, 0

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        self.calls += 1
        if self.calls in self.drop_at:
            self.request_sequence.append((uri, method, body, headers))
            raise ConnectionResetError("connection reset by peer")
        return super().request(uri, method, body, headers, **kwargs)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256))
    return path


def upload(http, clip: Path, details: VideoDetails | None = None, **kwargs):
    reports: list[float] = []
    sessions: list[str] = []
    sleeps: list[float] = []
    video = upload_video(
        http,
        API,
        clip,
        details or VideoDetails(title="A clip"),
        Reporter(lambda fraction, _: reports.append(fraction)),
        on_session=sessions.append,
        sleep=sleeps.append,
        chunk_bytes=CHUNK,
        **kwargs,
    )
    return video, reports, sessions, sleeps


def ranges(http) -> list[str | None]:
    return [(headers or {}).get("Content-Range") for _, _, _, headers in http.request_sequence]


def test_resumable_upload_sends_chunks_and_reports_progress(clip: Path):
    http = HttpMockSequence([STARTED, FIRST_CHUNK_KEPT, DONE])
    video, reports, sessions, sleeps = upload(http, clip)
    assert video == "vid123"
    assert sessions == [SESSION]
    assert reports[0] == pytest.approx(CHUNK / SIZE) and reports[-1] == 1.0
    assert ranges(http)[1:] == [f"bytes 0-{CHUNK - 1}/{SIZE}", f"bytes {CHUNK}-{SIZE - 1}/{SIZE}"]
    assert http.request_sequence[0][0].startswith(API + "upload/youtube/v3/videos")
    assert sleeps == []


def test_a_503_is_retried_after_asking_what_youtube_kept(clip: Path):
    http = HttpMockSequence(
        [STARTED, FIRST_CHUNK_KEPT, ({"status": "503"}, "busy"), FIRST_CHUNK_KEPT, DONE]
    )
    video, _, _, sleeps = upload(http, clip)
    assert video == "vid123"
    assert sleeps == [1.0]
    assert ranges(http)[3] == f"bytes */{SIZE}"  # the status query
    assert ranges(http)[4] == f"bytes {CHUNK}-{SIZE - 1}/{SIZE}"


def test_backoff_doubles_and_gives_up_with_a_sentence(clip: Path):
    http = HttpMockSequence([STARTED] + [({"status": "503"}, "busy")] * 4)
    with pytest.raises(UploadFailed, match="kept failing"):
        upload(http, clip, max_retries=3)


def test_a_dropped_connection_resumes_from_the_last_confirmed_byte(clip: Path):
    http = DroppingHttp([STARTED, FIRST_CHUNK_KEPT, FIRST_CHUNK_KEPT, DONE], drop_at={3})
    video, _, _, sleeps = upload(http, clip)
    assert video == "vid123"
    assert sleeps == [1.0]
    assert ranges(http)[2:] == [
        f"bytes {CHUNK}-{SIZE - 1}/{SIZE}",  # dropped
        f"bytes */{SIZE}",
        f"bytes {CHUNK}-{SIZE - 1}/{SIZE}",
    ]


def test_a_new_process_resumes_the_saved_session(clip: Path):
    first = DroppingHttp([STARTED, FIRST_CHUNK_KEPT], drop_at={3})
    with pytest.raises(UploadFailed):
        upload(first, clip, max_retries=0)
    saved = SESSION  # what on_session handed the caller to keep
    second = HttpMockSequence([FIRST_CHUNK_KEPT, DONE])
    video, reports, _, _ = upload(second, clip, session_uri=saved)
    assert video == "vid123"
    assert [uri for uri, *_ in second.request_sequence] == [saved, saved]
    assert ranges(second) == [f"bytes */{SIZE}", f"bytes {CHUNK}-{SIZE - 1}/{SIZE}"]
    assert reports[-1] == 1.0


def test_quota_exceeded_says_when_to_try_again(clip: Path):
    http = HttpMockSequence([google_error(403, "quotaExceeded")])
    with pytest.raises(UploadFailed, match="quota is used up"):
        upload(http, clip)


def test_rate_limited_and_rejected_are_told_apart(clip: Path):
    with pytest.raises(UploadFailed, match="slow down"):
        upload(HttpMockSequence([google_error(429, "rateLimitExceeded")]), clip)
    rejected = HttpMockSequence([STARTED, google_error(400, "invalidTitle")])
    with pytest.raises(UploadFailed, match="rejected the video \\(invalidTitle\\)"):
        upload(rejected, clip)


def test_a_revoked_token_asks_to_connect_again(clip: Path):
    credentials = Credentials(
        token="old",
        refresh_token="revoked",
        token_uri="https://oauth2.test/token",
        client_id="id",
        client_secret="secret",
    )
    mock = HttpMockSequence(
        [
            ({"status": "401"}, json.dumps({"error": {"code": 401, "message": "Invalid"}})),
            ({"status": "400"}, json.dumps({"error": "invalid_grant"})),  # the refresh
        ]
    )
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=mock)
    with pytest.raises(ConsentRevoked, match="connect the channel again"):
        upload(http, clip)
    assert mock.request_sequence[1][0] == "https://oauth2.test/token"


def test_scheduling_sends_publish_at_with_private(clip: Path):
    when = datetime(2031, 5, 4, 12, 30, tzinfo=UTC)
    details = VideoDetails(title="Later", privacy="private", publish_at=when, made_for_kids=False)
    http = HttpMockSequence([STARTED, FIRST_CHUNK_KEPT, DONE])
    upload(http, clip, details)
    sent = json.loads(http.request_sequence[0][2])
    assert sent["status"] == {
        "privacyStatus": "private",
        "publishAt": "2031-05-04T12:30:00Z",
        "selfDeclaredMadeForKids": False,
    }
    assert sent["snippet"]["title"] == "Later"


def test_details_youtube_would_refuse_are_caught_first():
    now = datetime.now(UTC)
    with pytest.raises(PipelineError, match="must be private"):
        check_details(VideoDetails("x", privacy="public", publish_at=now + timedelta(1)), now)
    with pytest.raises(PipelineError, match="future"):
        check_details(VideoDetails("x", publish_at=now - timedelta(1)), now)
    with pytest.raises(PipelineError, match="title"):
        check_details(VideoDetails(" "), now)
    check_details(VideoDetails("fine", privacy="unlisted"), now)


def test_defaults_and_short_warnings():
    details = default_details("Big moment", "You won't believe it")
    assert details.description == "You won't believe it\n\n#Shorts"
    assert short_warnings(1080, 1920, 59) == []
    assert short_warnings(720, 720, 180) == []
    assert len(short_warnings(1920, 1080, 200)) == 2
