"""Security tests: users' URLs are held to the strict rule (the rest of the suite allows private
URLs, because its test servers listen on 127.0.0.1); the queue's fixtures (backends with real
workers, a user, the sample talks and their site) run real workers."""

from __future__ import annotations

import pytest

from tests.queue.conftest import backend, short_talk, site, user  # noqa: F401 - fixtures
from viralclipper.config import get_settings


@pytest.fixture(autouse=True)
def private_urls_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "false")
    get_settings.cache_clear()
