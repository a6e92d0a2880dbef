"""Instance settings are the admin's: a member can neither point the server's LLM key at a host of
their choosing nor pick the Whisper model the worker loads, and sees no server secret; the
admin's endpoint gets the key, and a member's criteria still apply.

Driven through the real entry points: the settings page (NiceGUI's simulated user), the save
functions the page calls, and the worker's job runner with a fake OpenAI-compatible server on
127.0.0.1.
"""

# ruff: noqa: F811 - `user` here is the ui tests' simulated browser (the conftest's is a row)

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from sqlalchemy import text

from tests.http_server import serve_directory
from tests.pipeline.fake_llm import FakeLLM, answer_from_prompt
from tests.ui.conftest import logged_in, make_account, user  # noqa: F401
from viralclipper.config import Criterion, SettingsError, get_settings
from viralclipper.models import clips, jobs, upgrade_database
from viralclipper.models.db import get_engine
from viralclipper.models.instance import get_instance_settings, save_instance_settings
from viralclipper.models.settings import get_user_settings, save_user_settings
from viralclipper.models.users import create_user
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api
from viralclipper.queue.runner import run_job

SERVER_URL = "http://alice:s3cret-pass@127.0.0.1:9/v1?token=url-token"
SERVER_KEY = "sk-server-secret"
SECRETS = ("s3cret-pass", "url-token", "alice", SERVER_KEY)
PASSWORD = "correct horse battery"


@pytest.fixture
def server_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a server whose LLM URL carries credentials, with an API key."""
    monkeypatch.setenv("OPENAI_BASE_URL", SERVER_URL)
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_KEY)
    get_settings.cache_clear()


def page_text(user: User) -> str:
    """Everything the page holds that a browser could show or read: texts, values, props."""
    with user:
        return "\n".join(
            f"{getattr(e, 'text', '')} {getattr(e, 'value', '')} {e.props}" for e in ElementFilter()
        )


def marked(user: User, marker: str):
    return user.find(marker=marker).elements.pop()


def database_text() -> str:
    with get_engine().connect() as connection:
        rows = [
            str(row)
            for table in ("user_settings", "jobs", "job_events", "clips")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        ]
    return "\n".join(rows)


async def test_a_members_settings_page_shows_the_model_in_use_and_no_server_secret(
    user: User, server_secrets: None
) -> None:
    make_account("admin@example.com")  # the first account is the admin
    member = await logged_in(user, "member@example.com")
    assert not member.is_admin
    await user.open("/settings")

    await user.should_see("LLM model gpt-4o-mini")
    for admin_only in ("Instance", "LLM base URL", "LLM API key", "Whisper model"):
        await user.should_not_see(admin_only)
    shown = page_text(user)
    assert not [secret for secret in SECRETS if secret in shown]
    assert "127.0.0.1:9" not in shown  # not even the endpoint without its credentials
    assert "s3cret" not in database_text()  # nor copied into the member's settings row


async def test_an_admin_sets_the_endpoint_without_seeing_or_storing_credentials(
    user: User, server_secrets: None
) -> None:
    await logged_in(user, "admin@example.com")
    await user.open("/settings")
    await user.should_see("Instance")
    shown = page_text(user)
    assert "http://127.0.0.1:9/v1" in shown  # the environment's endpoint, as a hint ...
    assert not [secret for secret in SECRETS if secret in shown]  # ... without its credentials

    marked(user, "llm-base-url").value = "http://bob:pw@127.0.0.1:1/v1"
    user.find("Save instance settings").click()
    await user.should_see("The LLM base URL must not carry credentials", retries=30)
    assert get_instance_settings().llm_base_url is None

    marked(user, "llm-base-url").value = "http://127.0.0.1:1/v1"
    marked(user, "llm-model").value = "llama3.1"
    marked(user, "llm-api-key").value = "sk-admin-key"
    marked(user, "whisper-model").value = "base.en"
    user.find("Save instance settings").click()
    await user.should_see("Instance settings saved.", retries=30)
    stored = get_instance_settings()
    assert (stored.llm_base_url, stored.llm_model) == ("http://127.0.0.1:1/v1", "llama3.1")
    assert (stored.llm_api_key, stored.whisper_model) == ("sk-admin-key", "base.en")

    await user.open("/settings")  # the stored key is never sent back to the browser
    assert "sk-admin-key" not in page_text(user)
    await user.should_see("LLM model llama3.1")


def test_the_server_refuses_llm_urls_and_whisper_models_from_anyone_but_the_admin():
    upgrade_database()
    admin = create_user("admin@example.com", PASSWORD)
    member = create_user("member@example.com", PASSWORD)
    assert admin.is_admin and not member.is_admin

    for field, value in (("llm_base_url", "http://127.0.0.1:1/v1"), ("whisper_model", "/etc")):
        with pytest.raises(SettingsError, match=f"Unknown setting: {field}"):
            save_user_settings(member.id, **{field: value})
        with pytest.raises(PermissionError, match="Only an admin"):
            save_instance_settings(member.id, **{field: value})
    for path_or_hub_name in ("/etc", "../models", "someone/whisper-trojan"):
        with pytest.raises(SettingsError, match="local path can only be set with WHISPER_MODEL"):
            save_instance_settings(admin.id, whisper_model=path_or_hub_name)
    assert get_instance_settings().model_dump(exclude_none=True) == {}


def test_the_admins_endpoint_gets_the_key_and_applies_a_members_criteria(
    short_talk: SampleTalk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, value in {
        "ALLOW_PRIVATE_URLS": "true",
        "MIN_CLIP_SECONDS": "5",
        "MAX_CLIP_SECONDS": "20",
        "OPENAI_API_KEY": SERVER_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    upgrade_database()
    admin = create_user("admin@example.com", PASSWORD)
    member = create_user("member@example.com", PASSWORD)
    shutil.copy(short_talk.path, tmp_path / "short.mp4")
    caplog.set_level(logging.DEBUG)

    with (
        FakeLLM(default=answer_from_prompt) as endpoint,
        FakeLLM(default=answer_from_prompt) as elsewhere,
        serve_directory(tmp_path) as site,
    ):
        save_instance_settings(admin.id, llm_base_url=endpoint.url, llm_model="team-model")
        with pytest.raises(SettingsError):
            save_user_settings(member.id, llm_base_url=elsewhere.url)
        mine = Criterion(key="planted_claims", title="Planted claims", text="Bold claims\n- claim")
        others = [c.model_copy(update={"enabled": False}) for c in api.default_criteria()]
        save_user_settings(member.id, analyzer="llm", criteria=[mine, *others])

        job = api.submit_job(member.id, site.url("short.mp4"))
        run_job(job.id)

        done = jobs.get_job(job.id)
        assert done.status == "completed", done.error_message
        assert endpoint.requests and not elsewhere.requests
        assert {h["authorization"] for h in endpoint.headers} == {f"Bearer {SERVER_KEY}"}
        assert {r["model"] for r in endpoint.requests} == {"team-model"}
        prompt = endpoint.user_messages[0]
        assert "## planted_claims" in prompt and "## humor" not in prompt
    made = clips.list_clips(job_id=job.id)
    assert made and all(c.criteria == ["planted_claims"] for c in made)
    assert set(done.options) == set(get_user_settings(member.id).model_dump())
    assert SERVER_KEY not in database_text()  # not in options, events, errors or clips
    assert not [r for r in caplog.records if SERVER_KEY in r.getMessage()]
