"""GET /health (no login, no secrets: 200 when the database, the queue and a worker answer, 503
naming what is down) and GET /metrics (Prometheus text; `METRICS_TOKEN` guards it when set).

Both read the shared state (database, queue), so every web process answers for the whole
instance, however many workers there are and wherever they run.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from viralclipper.config import get_settings
from viralclipper.models.stats import StageHistogram
from viralclipper.queue.health import Figures, check_health, figures

# seconds: a stage takes from a second (a cached download) to an hour (a long transcription)
STAGE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)


async def health() -> JSONResponse:
    state = await run_in_threadpool(check_health)
    return JSONResponse(state.as_json(), status_code=200 if state.ok else 503)


def _buckets(histogram: StageHistogram) -> list[tuple[str, float]]:
    bounded = [
        (floatToGoString(b), float(n))
        for b, n in zip(STAGE_BUCKETS, histogram.at_most, strict=True)
    ]
    return [*bounded, ("+Inf", float(histogram.count))]


class FiguresCollector(Collector):
    """The figures as Prometheus metrics, read when scraped."""

    def __init__(self, read: Figures) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("viralclipper_jobs", "Jobs by status.", labels=["status"])
        for status, count in self.read.jobs_by_status.items():
            jobs.add_metric([status], count)
        yield jobs
        stages = HistogramMetricFamily(
            "viralclipper_stage_duration_seconds",
            "How long each finished stage of a job took.",
            labels=["stage"],
        )
        for stage, histogram in self.read.stages.items():
            stages.add_metric([stage], _buckets(histogram), histogram.total_seconds)
        yield stages
        if self.read.queue_depth is not None:
            yield GaugeMetricFamily(
                "viralclipper_queue_depth", "Tasks waiting in the queue.", self.read.queue_depth
            )
        yield GaugeMetricFamily(
            "viralclipper_workers", "Worker processes with a recent heartbeat.", self.read.workers
        )
        yield GaugeMetricFamily(
            "viralclipper_uploads", "Jobs made from an uploaded file.", self.read.uploads
        )


def _allowed(request: Request) -> bool:
    token = get_settings().metrics_token
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return secrets.compare_digest(given.encode(), f"Bearer {token}".encode())


async def metrics(request: Request) -> Response:
    if not _allowed(request):
        return JSONResponse(
            {"detail": "Send METRICS_TOKEN: `Authorization: Bearer <token>`."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        read = await run_in_threadpool(figures, STAGE_BUCKETS)
    except Exception:
        return JSONResponse({"detail": "The database is unreachable."}, status_code=503)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(read))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def register(app: FastAPI) -> None:
    app.add_api_route("/health", health, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
