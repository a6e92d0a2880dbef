"""The queue's fixtures (backends with real workers, a user, the sample talks and their site), and
the strict rule for users' URLs: the rest of the suite allows private URLs, because its test
servers listen on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.queue.conftest import backend, short_talk, site, user  # noqa: F401 - fixtures
from viralclipper.config import get_settings


@pytest.fixture
def private_urls_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """ALLOW_PRIVATE_URLS=false (its default) for this test and the workers it starts."""
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "false")
    get_settings.cache_clear()
