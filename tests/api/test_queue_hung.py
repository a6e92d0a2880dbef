"""A Redis that accepts connections but never answers: the API answers within REDIS_TIMEOUT_SECONDS
instead of waiting on it, and what it was given is kept: a job stays saved (pending, queued by
recovery later), a publication is failed with a sentence and can be tried again."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import account
from tests.conftest import reset_process_state
from tests.fake_google import fake_google
from tests.queue.test_youtube import connect, make_clip
from tests.silent_server import silent_server
from viralclipper.api.errors import QUEUE_DOWN
from viralclipper.models import jobs
from viralclipper.models import youtube as store
from viralclipper.models.jobs import JobStatus
from viralclipper.queue import youtube
from viralclipper.queue.api import QUEUE_UNREACHABLE_EVENT

TIMEOUT = 1.5


async def test_submit_to_a_hung_redis_answers_in_time_and_keeps_the_job(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, headers = account("ann@example.com")
    with silent_server() as port:
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
        monkeypatch.setenv("REDIS_TIMEOUT_SECONDS", str(TIMEOUT))
        reset_process_state()
        started = time.monotonic()
        response = await client.post(
            "/api/v1/jobs", json={"url": "http://127.0.0.1:9/talk.mp4"}, headers=headers
        )
        took = time.monotonic() - started
    reset_process_state()
    # one wait for the live-update publish, one for the queue, each bounded by the timeout
    assert took < 2 * TIMEOUT + 2, f"took {took:.1f} s"
    assert response.status_code == 202, response.text
    job = jobs.get_job(response.json()["id"], ann.id)
    assert job is not None and job.status == JobStatus.PENDING
    assert QUEUE_UNREACHABLE_EVENT in [event.message for event in jobs.list_events(job.id)]


async def test_publish_to_a_hung_redis_is_a_503_sentence_and_can_be_tried_again(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ann, headers = account("ann@example.com")
    with fake_google() as google, silent_server() as port:
        for key, value in google.env(tmp_path).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
        monkeypatch.setenv("REDIS_TIMEOUT_SECONDS", str(TIMEOUT))
        reset_process_state()
        channel = connect(ann)
        clip = make_clip(ann, tmp_path)
        started = time.monotonic()
        response = await client.post(
            f"/api/v1/clips/{clip.id}/publish",
            json={"account_id": channel.id, "title": "Hung"},
            headers=headers,
        )
        took = time.monotonic() - started
    reset_process_state()
    assert took < 2 * TIMEOUT + 2, f"took {took:.1f} s"
    assert response.status_code == 503, response.text
    assert response.json()["detail"] == QUEUE_DOWN
    (publication,) = store.publications_of([clip.id])[clip.id]
    assert publication.status == "failed" and publication.error == youtube.QUEUE_DOWN
    assert youtube.can_retry(publication)
