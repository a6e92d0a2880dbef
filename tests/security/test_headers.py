"""Every response carries the security headers, and errors show one sentence, not a traceback."""

# `user` here is NiceGUI's simulated browser (tests/ui/conftest.py), not the queue's user.
# ruff: noqa: F401, F811

from __future__ import annotations

import re

import httpx
import pytest
from nicegui.testing import User

from tests.ui.browser import AppServer
from tests.ui.conftest import logged_in, user
from viralclipper.models import get_engine
from viralclipper.ui.errors import SENTENCE
from viralclipper.ui.headers import SECURITY_HEADERS


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.url}"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),  # a page
        ("GET", "/jobs", 307),  # the redirect to /login
        ("GET", "/media/clips/1/mp4", 404),  # a file route, without a session
        ("GET", "/_nicegui/no-such-file", 404),
        ("POST", "/_nicegui/client/x/upload/1", 413),  # an upload over the limit
    ],
)
def test_every_response_carries_the_security_headers(
    server: AppServer, method: str, path: str, status: int
) -> None:
    body = b"x" * (3 * 1024 * 1024) if method == "POST" else None
    response = httpx.request(method, server.url(path), content=body, timeout=30)
    assert response.status_code == status
    assert_secured(response)


def test_nicegui_assets_and_scripts_still_load(server: AppServer) -> None:
    """The policy only restricts framing: the page's own scripts are not blocked."""
    page = httpx.get(server.url("/login"), timeout=30)
    assert "script-src" not in page.headers["Content-Security-Policy"]
    script = re.search(r'src="(/_nicegui/[^"]+\.js)"', page.text)
    assert script is not None
    asset = httpx.get(server.url(script.group(1)), timeout=30)
    assert asset.status_code == 200
    assert_secured(asset)


async def test_a_failing_page_shows_one_sentence_and_logs_the_traceback(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    await logged_in(user)
    with get_engine().begin() as connection:  # the database breaks under the running app
        connection.exec_driver_sql("DROP TABLE clips")
    response = await user.http_client.get("/clips")
    assert response.status_code == 500
    assert SENTENCE in response.text
    for leak in ("OperationalError", "no such table", "SELECT", "Traceback"):
        assert leak not in response.text
    logged = caplog.get_records("call")
    assert any(r.exc_info and "no such table: clips" in str(r.exc_info[1]) for r in logged)
    logged.clear()  # that ERROR was expected; the fixture fails the test on unexpected ones
