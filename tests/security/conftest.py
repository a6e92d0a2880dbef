"""The queue's fixtures (backends with real workers, a user, the sample talks and their site), and
the strict rule for users' URLs: the rest of the suite allows private URLs, because its test
servers listen on 127.0.0.1.

The web app's tests use it two ways: NiceGUI's simulated browser (they import the `user` fixture
of tests/ui/conftest.py, which overrides the queue's `user` in their module) and a real
`viralclipper serve` on 127.0.0.1 (`server`, started once)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from nicegui import core

from tests.queue.conftest import backend, short_talk, site, user  # noqa: F401 - fixtures
from tests.ui.browser import AppServer, app_server
from viralclipper.config import get_settings

UPLOAD_LIMIT_MB = 1


@pytest.fixture
def private_urls_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """ALLOW_PRIVATE_URLS=false (its default) for this test and the workers it starts."""
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "false")
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A real server with MAX_UPLOAD_MB=1 whose temporary files go to its own folder."""
    root = tmp_path_factory.mktemp("security-server")
    (root / "tmp").mkdir()
    with app_server(
        root / "data", MAX_UPLOAD_MB=str(UPLOAD_LIMIT_MB), TMPDIR=str(root / "tmp")
    ) as running:
        yield running


def second_browser() -> httpx.AsyncClient:
    """Another browser on the simulated app (its own cookies)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
