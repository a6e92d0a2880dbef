"""/health says which part is down (503) and shows no secret; /metrics is Prometheus text,
guarded by METRICS_TOKEN when it is set."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.api.conftest import account
from tests.ui.data import make_completed_job
from viralclipper.config import get_settings
from viralclipper.models.db import dispose_engines
from viralclipper.queue.health import WorkerBeats


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_health_is_503_naming_the_database_when_it_is_unreachable(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://viralclipper:hunter2@127.0.0.1:{closed_port()}/nothing"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    dispose_engines()
    response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "down" and "database" in body["down"]
    assert "hunter2" not in response.text and "127.0.0.1" not in response.text
    assert (await client.get("/metrics")).status_code == 503


async def test_health_is_200_with_a_worker_and_names_missing_workers(
    client: httpx.AsyncClient,
) -> None:
    down = await client.get("/health")
    assert down.status_code == 503 and down.json()["down"] == ["workers"]
    beats = WorkerBeats()
    beats.beat()
    up = await client.get("/health")
    assert up.status_code == 200, up.text
    assert up.json()["workers"]["alive"] == 1 and up.json()["workers"]["last_heartbeat"]
    beats.gone()
    assert (await client.get("/health")).status_code == 503


async def test_metrics_export_jobs_stages_and_uploads(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, _ = account("ann@example.com")
    make_completed_job(user.id)
    text = (await client.get("/metrics")).text
    assert 'viralclipper_jobs{status="completed"} 1.0' in text
    assert 'viralclipper_stage_duration_seconds_bucket{le="5.0",stage="transcribe"} 1.0' in text
    assert 'viralclipper_stage_duration_seconds_count{stage="download"} 1.0' in text
    assert "viralclipper_queue_depth" in text and "viralclipper_uploads 0.0" in text
    assert "viralclipper_workers 0.0" in text

    monkeypatch.setenv("METRICS_TOKEN", "s3cret-metrics")
    get_settings.cache_clear()
    assert (await client.get("/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.get("/metrics", headers=wrong)).status_code == 401
    right = {"Authorization": "Bearer s3cret-metrics"}
    assert (await client.get("/metrics", headers=right)).status_code == 200
