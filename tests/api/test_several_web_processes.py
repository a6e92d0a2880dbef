"""Two real `viralclipper serve` web processes on one Postgres, one Redis and one data dir (the
README's "More than one web process"), with one `viralclipper worker`: a session made on A works
on B, a job submitted through A's API moves live on B's page and B's event stream, and failed
logins on A and B together trip the one login limit."""

# ruff: noqa: F401, F811 - the queue's fixtures are imported by name

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_end_to_end import event_stream, token_for
from tests.queue.conftest import Backend, backend, short_talk, site
from tests.ui.browser import (
    AppServer,
    JobRow,
    app_server,
    chromium,
    fill,
    log_in_browser,
)
from tests.ui.conftest import PASSWORD
from tests.waiting import wait_for

EMAIL = "ann@example.com"
LOGIN_ATTEMPTS = 3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.parametrize("backend", ["scaled"], indirect=True),
]


def web_processes(backend: Backend, count: int, stack: ExitStack) -> list[AppServer]:
    """`count` web processes (no worker in them: REDIS_URL is set) sharing the backend's data
    dir, database and Redis, and one STORAGE_SECRET, as the README says."""
    settings = dict(backend.env)
    data_dir = Path(settings.pop("VIRALCLIPPER_DATA_DIR"))
    settings.update(STORAGE_SECRET="one secret for every web process")
    settings.update(LOGIN_ATTEMPTS=str(LOGIN_ATTEMPTS))
    return [
        stack.enter_context(app_server(data_dir, name=f"web-{n}", **settings)) for n in range(count)
    ]


def failed_login(browser: Any, server: AppServer) -> str:
    """Try a wrong password on `server`'s login form; the sentence it answers."""
    from selenium.webdriver.common.by import By

    browser.get(server.url("/login"))
    wait_for(lambda: "Welcome back" in browser.page_source, 15, "the login form")
    fill(browser, "Email", EMAIL)
    fill(browser, "Password", "not the password")
    browser.find_element(By.XPATH, "//button[normalize-space(.)='Log in']").click()
    sentences = ("Wrong email or password.", "Too many failed logins.")
    return wait_for(
        lambda: next((s for s in sentences if s in browser.page_source), None),
        15,
        f"the login's answer on {server.base_url}",
    )


@pytest.fixture
def servers(backend: Backend) -> Iterator[list[AppServer]]:
    with ExitStack() as stack:
        running = web_processes(backend, 2, stack)
        backend.start_worker()
        yield running


def test_a_session_a_job_and_the_login_limit_span_two_web_processes(
    backend: Backend, servers: list[AppServer], site
) -> None:
    a, b = servers
    _, token = token_for(EMAIL)

    def logs() -> str:
        return a.output() + b.output() + backend.logs_tail()

    with chromium() as browser, event_stream(b, token) as stream:
        log_in_browser(browser, a.base_url, EMAIL, PASSWORD)
        # cookies are per host, not per port: the browser brings A's session to B
        browser.get(b.url("/jobs"))
        wait_for(lambda: browser.title.startswith("Jobs"), 15, "B's jobs page, logged in")
        browser.execute_script("window.stillThisPage = true")

        made = httpx.post(
            a.url("/api/v1/jobs"),
            json={"url": site.url("short.mp4")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text
        job_id = made.json()["id"]

        row = JobRow(browser)
        wait_for(row.completed, 120, "the job to complete on B's page", details=logs)
        assert browser.execute_script("return window.stillThisPage === true"), "B's page reloaded"
        assert len(row.seen) >= 2, f"B's page did not see the job move: {row.seen}"
        wait_for(lambda: stream.seen(job_id, status="completed"), 10, "B's event stream")
        assert stream.seen(job_id, status="transcribing"), "B's stream missed the stages"

    with chromium() as browser:
        answers = [failed_login(browser, server) for server in (a, b, a, b)]
    assert answers == ["Wrong email or password."] * LOGIN_ATTEMPTS + ["Too many failed logins."], (
        answers
    )
