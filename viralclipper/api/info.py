"""GET /api/v1: what this API is and where its parts are (no token needed)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

router = APIRouter(tags=["info"])


def app_version() -> str:
    try:
        return version("viralclipper")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("")
def info() -> dict:
    """The API's name, version and links."""
    return {
        "name": "Viral Clipper API",
        "version": app_version(),
        "api_version": "v1",
        "authentication": "Authorization: Bearer <token> (make a token on /account)",
        "links": {
            "openapi": "/api/v1/openapi.json",
            "docs": "/api/docs",
            "jobs": "/api/v1/jobs",
            "events": "/api/v1/events",
            "settings": "/api/v1/settings",
            "health": "/health",
            "metrics": "/metrics",
        },
    }
