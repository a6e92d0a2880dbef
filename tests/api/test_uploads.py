"""Uploads through the API: the same size limit (413 while streaming, nothing kept) and the same
container check (400, nothing kept) as the web app's uploader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import account
from tests.security.test_upload_limit import MB, files_under, small_video
from viralclipper.config import get_settings
from viralclipper.models import jobs

UPLOAD = "/api/v1/jobs/upload"


@pytest.fixture
def one_mb_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()


async def test_an_upload_becomes_a_job(client: httpx.AsyncClient) -> None:
    user, headers = account("ann@example.com")
    files = {"file": ("my talk.mp4", small_video(), "video/mp4")}
    made = await client.post(UPLOAD, files=files, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["upload"] is True and body["source_url"] is None and body["title"] == "my talk"
    job = jobs.get_job(body["id"])
    assert job.user_id == user.id and Path(job.source_url).is_file()


async def test_a_file_that_is_not_media_is_refused_and_not_kept(
    client: httpx.AsyncClient,
) -> None:
    _, headers = account("ann@example.com")
    files = {"file": ("notes.mp4", b"<html>not a video</html>" * 100, "video/mp4")}
    refused = await client.post(UPLOAD, files=files, headers=headers)
    assert refused.status_code == 400 and refused.json()["detail"]
    assert files_under(get_settings().data_dir / "uploads") == []
    assert jobs.count_jobs() == 0


async def test_an_upload_over_the_limit_is_413_and_leaves_nothing(
    client: httpx.AsyncClient, one_mb_limit: None
) -> None:
    _, headers = account("ann@example.com")
    files = {"file": ("big.mp4", b"\0" * (3 * MB), "video/mp4")}
    refused = await client.post(UPLOAD, files=files, headers=headers)
    assert refused.status_code == 413
    assert "larger than 1 MB" in refused.json()["detail"]

    sent = 0

    async def endless() -> Iterator[bytes]:
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n'
        while sent < 50 * MB:  # no Content-Length: counted as it streams
            sent += 256 * 1024
            yield b"\0" * (256 * 1024)

    streamed = await client.post(
        UPLOAD,
        content=endless(),
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert sent < 10 * MB
    assert files_under(get_settings().data_dir / "uploads") == []
    assert jobs.count_jobs() == 0


async def test_an_upload_needs_a_token_before_its_body_is_read(
    client: httpx.AsyncClient, one_mb_limit: None
) -> None:
    received = 0

    async def body() -> Iterator[bytes]:
        nonlocal received
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n'
        while received < 3 * MB:  # over the limit: a 413 would mean the body was read
            received += 256 * 1024
            yield b"\0" * (256 * 1024)

    content_type = {"Content-Type": "multipart/form-data; boundary=b"}
    for auth in ({}, {"Authorization": "Bearer vc_not-a-token"}):
        refused = await client.post(UPLOAD, content=body(), headers={**content_type, **auth})
        assert refused.status_code == 401
    assert files_under(get_settings().data_dir / "uploads") == []


async def test_an_upload_without_its_file_field_is_422(client: httpx.AsyncClient) -> None:
    _, headers = account("ann@example.com")
    missing = await client.post(UPLOAD, data={"title": "no file"}, headers=headers)
    assert missing.status_code == 422 and "`file`" in missing.json()["detail"]
