"""Per-user clip settings: the environment's defaults on first read, validated saves; the admin's
instance settings."""

from __future__ import annotations

import re

import pytest

from tests.models.conftest import add_user
from viralclipper.config import ClipSettings, Criterion, SettingsError, get_settings, problems
from viralclipper.models import User, get_user_settings, save_user_settings
from viralclipper.models.instance import (
    effective_settings,
    get_instance_settings,
    save_instance_settings,
)

CRITERIA = [
    Criterion(key="humor", title="Humor", text="Funny bits\n- joke"),
    Criterion(key="rants", title="Rants", text="Strong opinions", enabled=False),
]


def test_first_read_creates_defaults_from_the_environment(database: str, monkeypatch):
    monkeypatch.setenv("MAX_CLIPS", "5")
    monkeypatch.setenv("OUTPUT_FORMAT", "vertical")
    get_settings.cache_clear()
    user = add_user()

    settings = get_user_settings(user.id)

    assert settings == ClipSettings(
        criteria=None,
        min_clip_seconds=15.0,
        max_clip_seconds=60.0,
        min_score=0.0,
        max_clips=5,
        output_format="vertical",
        analyzer="auto",
    )
    monkeypatch.setenv("MAX_CLIPS", "6")
    get_settings.cache_clear()
    assert get_user_settings(user.id).max_clips == 5  # created once, then the user's


def test_save_keeps_changes_per_user(database: str, owner: User):
    other = add_user("other@example.com")
    saved = save_user_settings(
        owner.id, criteria=CRITERIA, min_clip_seconds=20, max_clip_seconds=45, analyzer="offline"
    )

    again = get_user_settings(owner.id)
    assert again == saved
    assert again.criteria == CRITERIA
    assert (again.min_clip_seconds, again.max_clip_seconds, again.analyzer) == (20, 45, "offline")
    assert get_user_settings(other.id).criteria is None

    save_user_settings(owner.id, criteria=None)  # back to the default criteria files
    assert get_user_settings(owner.id).criteria is None
    assert get_user_settings(owner.id).analyzer == "offline"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"analyzer": "gpt"}, "The analyzer must be one of 'auto', 'llm' or 'offline'."),
        ({"output_format": "square"}, "The output format must be one of"),
        ({"min_clip_seconds": 70}, "The shortest clip must not be longer than the longest (60 s)."),
        ({"min_clip_seconds": 0}, "The minimum clip length in seconds must be more than 0."),
        ({"min_score": 101}, "The minimum score must be at most 100."),
        ({"max_clips": 0}, "The maximum number of clips must be at least 1."),
        ({"max_clips": 2.5}, "The maximum number of clips must be a whole number."),
        ({"max_clips": None}, "Fill in the maximum number of clips."),
        ({"criteria": [{"key": "x"}]}, "Fill in the title of criterion 1."),
        (
            {"criteria": [{**CRITERIA[0].model_dump(), "text": " "}]},
            "Fill in the text of criterion 1.",
        ),
        ({"criteria": [CRITERIA[0], CRITERIA[0]]}, "Two criteria have the same key."),
        ({"colour": "red"}, "Unknown setting: colour."),
        ({"llm_base_url": "http://127.0.0.1/v1"}, "Unknown setting: llm_base_url."),
        ({"whisper_model": "/etc"}, "Unknown setting: whisper_model."),
    ],
)
def test_bad_values_are_refused_with_one_sentence_and_nothing_is_saved(
    database: str, owner: User, fields, message
):
    before = get_user_settings(owner.id)
    with pytest.raises(SettingsError, match="^" + re.escape(message)):
        save_user_settings(owner.id, **fields)
    assert get_user_settings(owner.id) == before


def test_settings_for_an_unknown_user(database: str):
    with pytest.raises(LookupError):
        get_user_settings(12345)


def test_instance_settings_are_the_admins_and_fall_back_to_the_environment(
    database: str, monkeypatch
):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    get_settings.cache_clear()
    admin, member = add_user("admin@example.com", is_admin=True), add_user("m@example.com")
    assert get_instance_settings().llm_base_url is None
    assert effective_settings().openai_base_url == "http://127.0.0.1:9/v1"

    with pytest.raises(PermissionError, match="Only an admin"):
        save_instance_settings(member.id, llm_base_url="http://127.0.0.2/v1")
    save_instance_settings(admin.id, llm_base_url="http://127.0.0.3/v1", llm_model="m1")
    save_instance_settings(admin.id, whisper_model="small.en")  # the others stay

    effective = effective_settings()
    assert (effective.openai_base_url, effective.openai_model) == ("http://127.0.0.3/v1", "m1")
    assert (effective.openai_api_key, effective.whisper_model) == ("env-key", "small.en")
    save_instance_settings(admin.id, llm_base_url="", llm_model=None)  # back to the environment
    assert effective_settings().openai_base_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"llm_base_url": "localhost:11434"}, "must be an http or https URL"),
        ({"llm_base_url": "http://bob:pw@127.0.0.1/v1"}, "must not carry credentials"),
        ({"llm_base_url": "http://127.0.0.1/v1?api_key=x"}, "must not carry credentials"),
        ({"whisper_model": "/etc"}, "a local path can only be set with WHISPER_MODEL"),
        ({"whisper_model": "someone/evil-model"}, "a local path can only be set with"),
        ({"colour": "red"}, "Unknown setting: colour."),
    ],
)
def test_bad_instance_settings_are_refused(database: str, fields, message):
    admin = add_user("admin@example.com", is_admin=True)
    with pytest.raises(SettingsError, match=message):
        save_instance_settings(admin.id, **fields)
    assert get_instance_settings().model_dump(exclude_none=True) == {}


def test_the_llm_analyzer_is_refused_while_no_endpoint_is_configured(owner: User):
    from viralclipper.models.settings import LLM_NOT_CONFIGURED

    with pytest.raises(SettingsError, match="no LLM endpoint configured"):
        save_user_settings(owner.id, analyzer="llm")
    assert get_user_settings(owner.id).analyzer != "llm"
    assert "Settings → Instance" in LLM_NOT_CONFIGURED


def test_problems_name_the_field_each_sentence_belongs_to():
    good = get_settings().clip_defaults().model_dump()
    assert problems(ClipSettings, good) == {}
    bad = {
        **good,
        "max_clip_seconds": 20,
        "min_clip_seconds": 45,
        "criteria": [{**CRITERIA[0].model_dump(), "title": ""}],
    }
    assert problems(ClipSettings, bad) == {"criteria.0.title": "Fill in the title of criterion 1."}
    bad["criteria"] = None  # the check across fields runs once every field is good
    assert problems(ClipSettings, bad) == {
        "min_clip_seconds": "The shortest clip must not be longer than the longest (20 s)."
    }
    assert problems(ClipSettings, {**good, "max_clips": None, "min_score": -1}) == {
        "max_clips": "Fill in the maximum number of clips.",
        "min_score": "The minimum score must be at least 0.",
    }
