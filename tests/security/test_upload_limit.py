"""MAX_UPLOAD_MB holds on the server: a direct POST over it is refused and leaves nothing."""

# `user` here is NiceGUI's simulated browser (tests/ui/conftest.py), not the queue's user.
# ruff: noqa: F401, F811

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx
import pytest
from nicegui import ui
from nicegui.testing import User

from tests.machine import require
from tests.security.conftest import UPLOAD_LIMIT_MB
from tests.ui.browser import AppServer
from tests.ui.conftest import logged_in, user
from viralclipper.config import get_settings
from viralclipper.models import jobs

MB = 1024 * 1024


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def small_video() -> bytes:
    """A real 1-second MP4, well under 1 MB (made once per test run; skips without ffmpeg)."""
    require("ffmpeg")
    return _small_video()


@cache
def _small_video() -> bytes:
    path = Path(tempfile.mkdtemp(prefix="vc-test-video-")) / "small.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"]
        + ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-pix_fmt", "yuv420p"]
        + ["-c:v", "libx264", "-c:a", "aac", "-shortest", str(path)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


async def open_uploader(user: User, monkeypatch: pytest.MonkeyPatch) -> str:
    """Log in with MAX_UPLOAD_MB=1 and open the jobs page; returns its uploader's POST URL."""
    monkeypatch.setenv("MAX_UPLOAD_MB", str(UPLOAD_LIMIT_MB))
    get_settings.cache_clear()
    await logged_in(user)
    await user.open("/jobs")
    user.find(marker="upload-button").click()
    uploader = user.find(marker="uploader").elements.pop()
    assert isinstance(uploader, ui.upload)
    return uploader.props["url"]


async def test_a_direct_post_over_the_limit_is_refused_and_leaves_nothing(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await open_uploader(user, monkeypatch)
    data_dir = get_settings().data_dir
    before = files_under(data_dir)
    files = {"file": ("big.mp4", b"\0" * (3 * MB), "video/mp4")}
    response = await user.http_client.post(url, files=files)
    assert response.status_code == 413
    assert f"larger than {UPLOAD_LIMIT_MB} MB" in response.text
    assert jobs.count_jobs() == 0
    assert files_under(data_dir / "uploads") == []
    assert files_under(data_dir) == before


async def test_a_streamed_upload_without_a_length_stops_at_the_limit(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await open_uploader(user, monkeypatch)
    sent = 0

    async def endless_part() -> Iterator[bytes]:
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n'
        while sent < 100 * MB:  # far more than the limit, with no Content-Length
            sent += 256 * 1024
            yield b"\0" * (256 * 1024)

    response = await user.http_client.post(
        url, content=endless_part(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413
    assert sent < 2 * UPLOAD_LIMIT_MB * MB  # it stopped reading soon after the limit
    assert jobs.count_jobs() == 0
    assert files_under(get_settings().data_dir / "uploads") == []


async def test_an_upload_under_the_limit_still_becomes_a_job(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await open_uploader(user, monkeypatch)
    video = small_video()
    response = await user.http_client.post(url, files={"file": ("talk.mp4", video, "video/mp4")})
    assert response.status_code == 200
    await user.should_see("queued job", retries=50)
    [saved] = files_under(get_settings().data_dir / "uploads")
    assert saved.read_bytes() == video
    assert jobs.count_jobs() == 1


def test_a_real_server_refuses_a_declared_length_over_the_limit(server: AppServer) -> None:
    """Over real HTTP (uvicorn), before reading the body."""
    url = server.url("/_nicegui/client/any/upload/1")
    declared = httpx.post(url, files={"file": ("big.mp4", b"\0" * (3 * MB))}, timeout=30)
    assert declared.status_code == 413
    assert f"larger than {UPLOAD_LIMIT_MB} MB" in declared.text
    assert files_under(server.data_dir.parent / "tmp") == []
    assert files_under(server.data_dir / "uploads") == []
