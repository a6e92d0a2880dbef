"""Per-user settings: server defaults on first read, validated saves."""

from __future__ import annotations

import pytest

from tests.models.conftest import add_user
from viralclipper.config import get_settings
from viralclipper.models import User, get_user_settings, save_user_settings

CRITERIA = [
    {"key": "humor", "title": "Humor", "text": "Funny bits\n- joke", "enabled": True},
    {"key": "rants", "title": "Rants", "text": "Strong opinions", "enabled": False},
]


def test_first_read_creates_defaults_from_the_server_settings(database: str, monkeypatch):
    monkeypatch.setenv("MAX_CLIPS", "5")
    monkeypatch.setenv("OUTPUT_FORMAT", "vertical")
    monkeypatch.setenv("OPENAI_MODEL", "llama3")
    get_settings.cache_clear()
    user = add_user()

    settings = get_user_settings(user.id)

    assert settings.criteria is None
    assert (settings.max_clips, settings.output_format, settings.llm_model) == (
        5,
        "vertical",
        "llama3",
    )
    assert (settings.min_clip_seconds, settings.max_clip_seconds) == (15.0, 60.0)
    assert settings.analyzer == "auto"
    assert get_user_settings(user.id).id == settings.id  # created once


def test_save_keeps_changes_per_user(database: str, owner: User):
    other = add_user("other@example.com")
    saved = save_user_settings(
        owner.id, criteria=CRITERIA, min_clip_seconds=20, max_clip_seconds=45, analyzer="offline"
    )

    again = get_user_settings(owner.id)
    assert again.criteria == CRITERIA
    assert (again.min_clip_seconds, again.max_clip_seconds, again.analyzer) == (20, 45, "offline")
    assert again.updated_at >= saved.updated_at.replace(microsecond=0)
    assert get_user_settings(other.id).criteria is None

    save_user_settings(owner.id, criteria=None)  # back to the default criteria files
    assert get_user_settings(owner.id).criteria is None
    assert get_user_settings(owner.id).analyzer == "offline"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"analyzer": "gpt"}, "analyzer must be one of"),
        ({"output_format": "square"}, "output format must be one of"),
        ({"min_clip_seconds": 70}, "minimum seconds <= maximum"),
        ({"min_score": 101}, "between 0 and 100"),
        ({"max_clips": 0}, "at least 1"),
        ({"criteria": [{"key": "x"}]}, "key, title, text and enabled"),
        ({"criteria": [CRITERIA[0], CRITERIA[0]]}, "same key"),
        ({"colour": "red"}, "Unknown setting"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(database: str, owner: User, fields, message):
    before = get_user_settings(owner.id)
    with pytest.raises(ValueError, match=message):
        save_user_settings(owner.id, **fields)
    assert get_user_settings(owner.id) == before


def test_settings_for_an_unknown_user(database: str):
    with pytest.raises(LookupError):
        get_user_settings(12345)
