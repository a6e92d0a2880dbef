"""Per-user settings: criteria, clip limits, analyzer and model choices, output format.

A user's row is created from the server's defaults (`get_settings()`) the first time it is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from viralclipper.config import get_settings
from viralclipper.models.db import session
from viralclipper.models.tables import UserSettings, utcnow

ANALYZERS = ("auto", "llm", "offline")
OUTPUT_FORMATS = ("horizontal", "vertical")
EDITABLE_FIELDS = (
    "criteria",
    "min_clip_seconds",
    "max_clip_seconds",
    "min_score",
    "max_clips",
    "analyzer",
    "llm_model",
    "llm_base_url",
    "whisper_model",
    "output_format",
)
CRITERION_KEYS = {"key", "title", "text", "enabled"}


def default_settings(user_id: int) -> UserSettings:
    config = get_settings()
    return UserSettings(
        user_id=user_id,
        criteria=None,
        min_clip_seconds=config.min_clip_seconds,
        max_clip_seconds=config.max_clip_seconds,
        min_score=config.min_score,
        max_clips=config.max_clips,
        analyzer=config.analyzer,
        llm_model=config.openai_model,
        llm_base_url=config.openai_base_url,
        whisper_model=config.whisper_model,
        output_format=config.output_format,
    )


def get_user_settings(user_id: int) -> UserSettings:
    """The user's settings, created from the server's defaults on first read."""
    with session() as db:
        found = db.exec(select(UserSettings).where(UserSettings.user_id == user_id)).first()
    if found:
        return found
    try:
        with session() as db:
            created = default_settings(user_id)
            db.add(created)
        return created
    except IntegrityError:  # another request created it first, or the user does not exist
        with session() as db:
            found = db.exec(select(UserSettings).where(UserSettings.user_id == user_id)).first()
        if found is None:
            raise LookupError(f"There is no user with id {user_id}.") from None
        return found


def save_user_settings(user_id: int, **fields: Any) -> UserSettings:
    """Change some settings; ValueError (one sentence) for an unknown field or a bad value.

    `criteria=None` resets the criteria to the default files.
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(f"Unknown setting(s): {', '.join(unknown)}.")
    current = get_user_settings(user_id)
    with session() as db:
        current = db.merge(current)
        for name, value in fields.items():
            setattr(current, name, value)
        _validate(current)
        current.updated_at = utcnow()
        db.add(current)
    return current


def _validate(settings: UserSettings) -> None:
    if settings.analyzer not in ANALYZERS:
        raise ValueError(f"The analyzer must be one of {', '.join(ANALYZERS)}.")
    if settings.output_format not in OUTPUT_FORMATS:
        raise ValueError(f"The output format must be one of {', '.join(OUTPUT_FORMATS)}.")
    if not 0 < settings.min_clip_seconds <= settings.max_clip_seconds:
        raise ValueError("Clip lengths need 0 < minimum seconds <= maximum seconds.")
    if not 0 <= settings.min_score <= 100:
        raise ValueError("The minimum score must be between 0 and 100.")
    if settings.max_clips < 1:
        raise ValueError("The maximum number of clips must be at least 1.")
    for criterion in settings.criteria or []:
        if not isinstance(criterion, dict) or set(criterion) != CRITERION_KEYS:
            raise ValueError("Each criterion needs exactly a key, title, text and enabled flag.")
        if not str(criterion["key"]).strip():
            raise ValueError("Each criterion needs a key.")
    keys = [criterion["key"] for criterion in settings.criteria or []]
    if len(keys) != len(set(keys)):
        raise ValueError("Two criteria have the same key.")
