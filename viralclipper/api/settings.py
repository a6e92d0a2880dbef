"""/api/v1/settings: the token owner's clip settings, read and changed with the same validation
as the settings page (`config.ClipSettings`; a bad value is a 422 with one sentence)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from viralclipper.api.auth import TokenUser
from viralclipper.config import ClipSettings
from viralclipper.models.settings import get_user_settings, save_user_settings

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("", response_model=ClipSettings)
def read_settings(user: TokenUser) -> ClipSettings:
    return get_user_settings(user.id)


@router.patch("", response_model=ClipSettings)
def update_settings(
    user: TokenUser,
    changes: dict[str, Any] = Body(  # noqa: B008 - FastAPI's way to declare the body
        ..., examples=[{"max_clips": 3, "output_format": "vertical"}]
    ),
) -> ClipSettings:
    """Change some settings (the fields of the answer); the others stay. New jobs use them."""
    return save_user_settings(user.id, **changes)
