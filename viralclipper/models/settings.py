"""Per-user clip settings (criteria, clip limits, analyzer, output format) as `ClipSettings`.

A user's row is created from the environment's defaults the first time it is read.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from viralclipper.config import ClipSettings, SettingsError, get_settings
from viralclipper.models.db import session
from viralclipper.models.instance import effective_settings
from viralclipper.models.tables import UserSettings, utcnow

log = logging.getLogger(__name__)


def _row(user_id: int) -> UserSettings | None:
    with session() as db:
        return db.exec(select(UserSettings).where(UserSettings.user_id == user_id)).first()


def _read(row: UserSettings) -> ClipSettings:
    try:
        return ClipSettings.model_validate(row.settings)
    except ValidationError:  # written by hand or by an old version: keep the row, use defaults
        log.warning("the settings of user %s are invalid; using the defaults", row.user_id)
        return get_settings().clip_defaults()


def get_user_settings(user_id: int) -> ClipSettings:
    """The user's settings, created from the environment's defaults on first read."""
    found = _row(user_id)
    if found:
        return _read(found)
    defaults = get_settings().clip_defaults()
    try:
        with session() as db:
            db.add(UserSettings(user_id=user_id, settings=defaults.model_dump(mode="json")))
        return defaults
    except IntegrityError:  # another request created it first, or the user does not exist
        found = _row(user_id)
        if found is None:
            raise LookupError(f"There is no user with id {user_id}.") from None
        return _read(found)


LLM_NOT_CONFIGURED = (
    "The LLM analyzer cannot be chosen: this server has no LLM endpoint configured "
    "(an admin sets one in Settings → Instance); choose Automatic or Offline."
)


def save_user_settings(user_id: int, **fields: Any) -> ClipSettings:
    """Change some settings; SettingsError (a ValueError, one sentence) for an unknown field or a
    bad value, and then nothing is saved. `criteria=None` resets the criteria to the files.
    The LLM analyzer is refused while this server has no LLM endpoint."""
    if fields.get("analyzer") == "llm" and not effective_settings().llm_configured:
        raise SettingsError(LLM_NOT_CONFIGURED)
    changed = get_user_settings(user_id).updated(**fields)
    with session() as db:
        row = db.exec(select(UserSettings).where(UserSettings.user_id == user_id)).one()
        row.settings = changed.model_dump(mode="json")
        row.updated_at = utcnow()
        db.add(row)
    return changed
