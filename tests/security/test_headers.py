"""Every response carries the security headers, and errors show one sentence, not a traceback."""

# `user` here is NiceGUI's simulated browser (tests/ui/conftest.py), not the queue's user.
# ruff: noqa: F401, F811

from __future__ import annotations

import re

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from tests.ui.browser import AppServer
from tests.ui.conftest import expect_logged, logged_in, user
from viralclipper.models import get_engine
from viralclipper.ui.errors import SENTENCE
from viralclipper.ui.headers import SECURITY_HEADERS


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.url}"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/setup", 200),  # a page (a fresh instance opens on creating the admin)
        ("GET", "/jobs", 307),  # the redirect to /login
        ("GET", "/media/clips/1.mp4", 404),  # a file route, without a session
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
    page = httpx.get(server.url("/setup"), timeout=30)  # a fresh instance
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
    broken_table("clips")
    response = await user.http_client.get("/clips")
    assert response.status_code == 500
    assert SENTENCE in response.text
    for leak in ("OperationalError", "no such table", "SELECT", "Traceback"):
        assert leak not in response.text
    expect_logged(caplog, "no such table: clips")


def broken_table(name: str) -> None:
    """The database breaks under the running app."""
    with get_engine().begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {name}")


async def test_a_failing_file_route_answers_one_sentence(user: User) -> None:
    await logged_in(user)
    broken_table("clips")
    transport = httpx.ASGITransport(core.app, raise_app_exceptions=False)  # like a server
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
        browser.cookies.update(dict(user.http_client.cookies))
        response = await browser.get("/media/clips/1.mp4")
    assert response.status_code == 500
    assert response.text == SENTENCE
    assert_secured(response)
    # Starlette raises the error again after answering: uvicorn logs its traceback (the
    # in-process transport here drops it)


async def test_a_failing_button_tells_the_user_in_one_sentence(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    await logged_in(user)
    await user.open("/jobs")
    broken_table("jobs")
    user.find(marker="url-input").type("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    user.find("Make clips").click()
    await user.should_see(SENTENCE, retries=50)
    expect_logged(caplog, "no such table: jobs")
