"""Shared fixtures: an isolated data dir per test, and generated media made once per session.
What a test needs from the machine (programs, Postgres, Redis) is checked in tests/machine.py."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from tests.machine import NEEDS, require
from viralclipper.config import get_settings
from viralclipper.pipeline.sample import SampleTalk, make_sample_talk
from viralclipper.pipeline.transcript import Transcript

ENV_KEYS = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "DATABASE_URL",
    "REDIS_URL",
    "WHISPER_MODEL",
    "ANALYZER",
]
CHEAP_BCRYPT_ROUNDS = 4  # bcrypt's least


def reset_process_state() -> None:
    """Forget everything this (the test) process built from the previous configuration: settings,
    the backend, the queue, the live-update transport and listener, pooled database connections."""
    from viralclipper.models.db import dispose_engines
    from viralclipper.queue import app, backend, events

    get_settings.cache_clear()
    backend.get_backend.cache_clear()
    app.get_queue.cache_clear()
    if events.hub.cache_info().currsize:
        events.hub().close()
        events.hub.cache_clear()
    events.transport.cache_clear()
    dispose_engines()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Exempt what collection built (every module, hundreds of thousands of objects) from the
    cycle collector: NiceGUI's simulation runs a full `gc.collect()` before and after each test,
    which otherwise walks all of it (about 0.3 s a time)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After each test, what survives it joins the frozen objects: the collection that follows
    walks only what is newer, the test's garbage (and gc.freeze() in pytest_collection_finish)."""
    yield
    gc.collect()
    gc.freeze()


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers():
        if marker.name in NEEDS:
            require(marker.name)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own data dir and no LLM, database or Redis unless it sets them.

    Test servers listen on 127.0.0.1, which users' URLs may not reach: tests allow private URLs
    (workers they start inherit it), and tests/security sets ALLOW_PRIVATE_URLS=false."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("VIRALCLIPPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")
    reset_process_state()
    yield get_settings()
    reset_process_state()


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Real bcrypt at its least cost in this process (servers and workers that tests start keep
    the real one): a cost-12 hash takes a quarter of a second, and the suite makes hundreds.
    A test marked `bcrypt_cost` sees the real cost."""
    from viralclipper.models import users

    if request.node.get_closest_marker("bcrypt_cost") is None:
        monkeypatch.setattr(users, "BCRYPT_ROUNDS", CHEAP_BCRYPT_ROUNDS)
    users.dummy_hash.cache_clear()  # made at the cost of the moment
    yield
    users.dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def sample_talk(media_dir: Path) -> SampleTalk:
    """About 64 s of speech with two planted strong passages among filler, 640x360, 25 fps."""
    require("espeak")
    return make_sample_talk(media_dir / "talk.mp4")


@pytest.fixture(scope="session")
def sample_audio(sample_talk: SampleTalk, media_dir: Path) -> Path:
    """The sample talk as 16 kHz mono WAV."""
    from viralclipper.pipeline.media import extract_audio

    return extract_audio(sample_talk.path, media_dir / "talk.wav")


@pytest.fixture(scope="session")
def sample_transcript(sample_audio: Path, media_dir: Path) -> Transcript:
    """The sample talk transcribed once per session by the real bundled tiny.en model."""
    from viralclipper.pipeline.transcribe import transcribe

    return transcribe(sample_audio, media_dir / "transcripts")
