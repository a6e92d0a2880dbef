"""/api/v1/settings: the token owner's clip settings, read and changed with the same validation
as the settings page (`config.ClipSettings`; a bad value is a 422 with one sentence)."""

from __future__ import annotations

import copy
from typing import Any, Optional

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

from viralclipper.api.auth import TokenUser
from viralclipper.config import ClipSettings
from viralclipper.models.settings import get_user_settings, save_user_settings

router = APIRouter(prefix="/settings", tags=["settings"])


def _optional(name: str, field: FieldInfo) -> tuple[Any, FieldInfo]:
    """Left out: unchanged. Only the criteria may be null (back to the server's files)."""
    info = copy.copy(field)
    info.default, info.default_factory = None, None
    if name == "criteria":
        return Optional[field.annotation], info  # noqa: UP045 - `|` needs a type, this is a value
    return field.annotation, info


# ClipSettings with every field optional: a PATCH names only what it changes
SettingsChanges: type[BaseModel] = create_model(
    "SettingsChanges",
    __config__=ConfigDict(extra="forbid"),
    **{name: _optional(name, field) for name, field in ClipSettings.model_fields.items()},  # type: ignore[call-overload]
)


@router.get("", response_model=ClipSettings)
def read_settings(user: TokenUser) -> ClipSettings:
    return get_user_settings(user.id)


@router.patch("", response_model=ClipSettings)
def update_settings(user: TokenUser, changes: SettingsChanges) -> ClipSettings:
    """Change some settings (e.g. `{"max_clips": 3, "output_format": "vertical"}`); the others
    stay. New jobs use them. `"criteria": null` resets the criteria to the server's files."""
    return save_user_settings(user.id, **changes.model_dump(exclude_unset=True))
