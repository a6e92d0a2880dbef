"""The admin's instance settings (LLM endpoint, model and key; Whisper model), stored in the
database over the environment's values. Only an admin may change them."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from pydantic import ValidationError

from viralclipper.config import InstanceSettings, Settings, get_settings, validate_settings
from viralclipper.models.db import session
from viralclipper.models.tables import InstanceSettingsRow, User, utcnow

log = logging.getLogger(__name__)
ROW_ID = 1


def get_instance_settings() -> InstanceSettings:
    """What the admin stored; a value not set (None) falls back to the environment."""
    with session() as db:
        row = db.get(InstanceSettingsRow, ROW_ID)
        stored = dict(row.settings) if row else {}
    try:
        return InstanceSettings.model_validate(stored)
    except ValidationError:
        log.warning("the stored instance settings are invalid; using the environment's")
        return InstanceSettings()


def save_instance_settings(user_id: int, **fields: Any) -> InstanceSettings:
    """Change some instance settings as the user `user_id`: PermissionError unless that user is an
    admin; SettingsError (one sentence) for a bad value, and then nothing is saved. A value of
    None (or "") goes back to the environment's."""
    with session() as db:
        user = db.get(User, user_id)
        if user is None or not user.is_admin:
            raise PermissionError("Only an admin can change the instance settings.")
        row = db.get(InstanceSettingsRow, ROW_ID) or InstanceSettingsRow(id=ROW_ID)
        changed = validate_settings(InstanceSettings, {**row.settings, **fields})
        row.settings = changed.model_dump(exclude_none=True)
        row.updated_at = utcnow()
        db.add(row)
    return changed


def effective_settings() -> Settings:
    """The environment's settings with the admin's instance settings laid over: what a worker
    runs with (the LLM endpoint, model and key; the Whisper model)."""
    return get_settings().with_instance(get_instance_settings())


def instance_secret() -> str:
    """STORAGE_SECRET, else a secret generated once and kept in the data dir: it signs the session
    cookies and is what the YouTube tokens' encryption key is derived from."""
    settings = get_settings()
    if settings.storage_secret:
        return settings.storage_secret
    path = settings.data_dir / "storage_secret"
    if not path.is_file():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
