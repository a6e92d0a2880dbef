"""The API as a FastAPI app mounted at /api on the web app's server (its own error handlers,
OpenAPI at /api/v1/openapi.json, docs at /api/docs), and /health and /metrics beside it."""

from __future__ import annotations

from fastapi import FastAPI

from viralclipper.api import (
    auth,
    clips,
    errors,
    events,
    info,
    jobs,
    operations,
    settings,
    webhooks,
    youtube,
)
from viralclipper.api.schemas import ERRORS

ROUTERS = (
    info.router,
    jobs.router,
    clips.router,
    settings.router,
    events.router,
    webhooks.router,
    youtube.router,
)


def make_api() -> FastAPI:
    api = FastAPI(
        title="Viral Clipper API",
        version=info.app_version(),
        description="Long videos in, short clips out. Authenticate with a personal API token "
        "from the account page: `Authorization: Bearer <token>`.",
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    errors.register(api)
    for router in ROUTERS:
        api.include_router(router, prefix="/v1", responses=ERRORS)
    return api


def register(app: FastAPI) -> None:
    """Mount the API and the operations routes on the web app (`ui/app.setup`)."""
    auth.rate_limit.clear()  # a fresh app starts with every user's full allowance
    app.mount("/api", make_api())
    operations.register(app)
