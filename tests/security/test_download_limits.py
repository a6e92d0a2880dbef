"""Size and length caps while downloading: MAX_DOWNLOAD_MB stops a download that grows past it,
whether or not the server says how large it is, and removes the partial file; MAX_VIDEO_MINUTES
refuses a video from its metadata before anything is downloaded, and again after."""

from __future__ import annotations

import http.server
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.http_server import VideoServer, serve_directory
from tests.queue.conftest import Backend, wait_for_status
from viralclipper.config import get_settings
from viralclipper.models.tables import User
from viralclipper.pipeline.download import DownloadError, download
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api

CHUNK = b"\0" * 65536
SAFETY_STOP = 200 * 1024 * 1024  # a broken cap fails the test instead of filling the disk
GREW_PAST = (
    "The download grew past the limit of 1 MB (MAX_DOWNLOAD_MB), so it was stopped and the "
    "partial file removed."
)


@dataclass
class Stream:
    """Counts what the endless routes sent."""

    sent: list[int] = field(default_factory=list)

    def route(self, declared_length: int | None):
        def send(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            if declared_length is not None:
                handler.send_header("Content-Length", str(declared_length))
            handler.end_headers()
            sent = 0
            try:
                while sent < SAFETY_STOP:
                    handler.wfile.write(CHUNK)
                    sent += len(CHUNK)
            except OSError:  # the client hung up
                pass
            self.sent.append(sent)

        return send


@pytest.fixture
def streams(sample_talk: SampleTalk, tmp_path: Path) -> Iterator[tuple[VideoServer, Stream]]:
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(sample_talk.path, root / "talk.mp4")
    (root / "long.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:600\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXTINF:600.0,\nseg0.ts\n#EXTINF:600.0,\nseg1.ts\n#EXT-X-ENDLIST\n"
    )
    stream = Stream()
    routes = {"/endless.mp4": stream.route(None), "/huge.mp4": stream.route(50 * 1024 * 1024)}
    with serve_directory(root, routes) as server:
        yield server, stream


@pytest.fixture
def one_megabyte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_DOWNLOAD_MB", "1")
    get_settings.cache_clear()


def leftovers(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.usefixtures("one_megabyte")
def test_an_endless_stream_stops_at_the_cap(streams, tmp_path: Path):
    server, stream = streams
    with pytest.raises(DownloadError) as raised:
        download(server.url("endless.mp4"), tmp_path / "media")
    assert str(raised.value) == GREW_PAST
    assert leftovers(tmp_path / "media") == []
    assert max(stream.sent) < 16 * 1024 * 1024  # it stopped near 1 MB, not at the safety stop


@pytest.mark.usefixtures("one_megabyte")
def test_a_declared_length_over_the_cap_stops_at_once(streams, tmp_path: Path):
    server, stream = streams
    with pytest.raises(DownloadError, match="limit of 1 MB"):
        download(server.url("huge.mp4"), tmp_path / "media")
    assert leftovers(tmp_path / "media") == []
    assert max(stream.sent) < 16 * 1024 * 1024


def test_a_video_under_the_cap_downloads(streams, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MAX_DOWNLOAD_MB", "50")
    get_settings.cache_clear()
    server, _ = streams
    assert download(server.url("talk.mp4"), tmp_path / "media").path.is_file()


def test_too_long_is_refused_from_the_metadata_before_downloading(streams, tmp_path, monkeypatch):
    monkeypatch.setenv("MAX_VIDEO_MINUTES", "10")
    get_settings.cache_clear()
    server, _ = streams
    with pytest.raises(DownloadError, match=r"20 min long, longer than the limit of 10 min"):
        download(server.url("long.m3u8"), tmp_path / "media")
    assert not {"/seg0.ts", "/seg1.ts"} & set(server.paths())


def test_too_long_is_refused_after_downloading_when_only_the_file_knows(
    streams, tmp_path, monkeypatch
):
    monkeypatch.setenv("MAX_VIDEO_MINUTES", "0.5")
    get_settings.cache_clear()
    server, _ = streams
    with pytest.raises(DownloadError, match=r"longer than the limit of 30 s"):
        download(server.url("talk.mp4"), tmp_path / "media")
    assert leftovers(tmp_path / "media") == []


def test_a_worker_stops_an_endless_stream_and_says_why(
    backend: Backend, user: User, streams, monkeypatch: pytest.MonkeyPatch
):
    server, stream = streams
    backend.env["MAX_DOWNLOAD_MB"] = "1"
    backend.start_worker()
    job = api.submit_job(user.id, server.url("endless.mp4"))
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed" and failed.error_message == GREW_PAST
    assert max(stream.sent) < 16 * 1024 * 1024
    assert leftovers(get_settings().media_dir) == []
