"""Publishing in a real Chromium against a real `viralclipper serve` (its embedded worker does the
upload): connect a channel through a fake Google on 127.0.0.1, publish a clip, watch the upload
reach 100%."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import reset_process_state
from tests.fake_google import FakeGoogle, fake_google
from tests.ui.browser import AppServer, app_server, chromium, free_port, sign_up
from tests.ui.data import make_completed_job
from tests.waiting import wait_for
from viralclipper.models.clips import list_clips

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PROGRESS = (
    "const bar = document.querySelector('.q-dialog .q-linear-progress');"
    " return bar && bar.getAttribute('aria-valuenow');"
)


@pytest.fixture
def google(tmp_path: Path) -> Iterator[FakeGoogle]:
    with fake_google() as server:
        yield server


@pytest.fixture
def server(tmp_path: Path, google: FakeGoogle, monkeypatch) -> Iterator[AppServer]:
    port = free_port()
    settings = {**google.env(tmp_path), "BASE_URL": f"http://127.0.0.1:{port}"}
    with app_server(tmp_path / "app-data", port=port, **settings) as running:
        # this process writes the finished job into the server's database
        monkeypatch.setenv("VIRALCLIPPER_DATA_DIR", str(running.data_dir))
        reset_process_state()
        yield running
    reset_process_state()


def test_connect_publish_and_watch_the_upload(server: AppServer, google: FakeGoogle) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    with chromium() as browser:

        def click(xpath: str) -> None:
            """Click once the element is there and stays (a live page may redraw it)."""

            def clicked() -> bool:
                try:
                    browser.find_element(By.XPATH, xpath).click()
                except (NoSuchElementException, StaleElementReferenceException):
                    return False
                return True

            wait_for(clicked, 15, f"to click {xpath}")

        sign_up(browser, server)

        # Settings → Connect YouTube: to (fake) Google, which consents, and back
        browser.get(server.url("/settings"))
        wait_for(lambda: "Connect YouTube" in browser.page_source, 15, "the YouTube section")
        click("//a[contains(normalize-space(.), 'Connect YouTube')]")
        wait_for(
            lambda: "Connected Fake Channel." in browser.page_source,
            20,
            "the channel to be connected",
            details=server.output,
        )
        assert google.requests[:3] == ["GET /auth", "POST /token", "GET /youtube/v3/channels"]

        # a clip: publish it, not made for kids, and watch the upload
        job = make_completed_job(1)
        clip = list_clips(job_id=job.id)[0]
        browser.get(server.url("/clips"))
        wait_for(lambda: "Publish" in browser.page_source, 15, "the clips")
        publish = (
            f"//*[contains(@class, 'q-card')][.//*[normalize-space(.)='{clip.title}']]"
            "//button[contains(normalize-space(.), 'Publish')]"
        )

        def form_open() -> bool:
            """Click the card's Publish until the form shows (the grid may redraw the card
            under the first click)."""
            if "Shorts take no custom thumbnail" in browser.page_source:
                return True
            click(publish)
            return False

        wait_for(form_open, 30, "the publish form", interval=1.0)
        click("//*[contains(@class, 'q-radio')][contains(normalize-space(.), 'Not made for kids')]")
        click(
            "//div[contains(@class, 'q-dialog')]//button[contains(normalize-space(.), 'Publish')]"
        )
        wait_for(
            lambda: "Fake Channel: published (private)" in browser.page_source,
            60,
            "the upload to finish",
            details=server.output,
        )
        assert browser.execute_script(PROGRESS) == "1"
    assert google.videos[0]["snippet"]["title"] == clip.title
    assert google.videos[0]["status"]["selfDeclaredMadeForKids"] is False
