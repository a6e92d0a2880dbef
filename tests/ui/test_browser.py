"""The golden path in a real Chromium against a real `viralclipper serve` (with its embedded
worker): register, submit a URL served on 127.0.0.1, watch the job move live, play a clip,
download it, trim it in the clip editor and play the new one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import VideoServer, serve_directory
from tests.machine import require
from tests.ui.browser import (
    AppServer,
    JobRow,
    app_server,
    chromium,
    descendants,
    fetch_with_session,
    sign_up,
)
from tests.waiting import wait_for
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.sample import FILLER, PLANTED, SampleTalk, make_sample_talk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
]
PLAY = "const v = arguments[0]; v.muted = true; v.play(); return true;"
# the first clip's player, once its file is not `arguments[0]`: play it, return its duration
PLAY_NEW = """
const v = document.querySelector("video[src*='/media/clips/']");
if (!v || v.getAttribute('src') === arguments[0]) return null;
v.muted = true; v.play(); return [v.getAttribute('src'), v.duration];
"""


@pytest.fixture(scope="module")
def talk_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VideoServer, SampleTalk]]:
    """A ~20 s talk (one line of filler, one planted passage) on a local 'video site'."""
    require("espeak")
    root = tmp_path_factory.mktemp("browser-site")
    talk = make_sample_talk(root / "short-talk.mp4", [(FILLER[0], False), (PLANTED[0], True)])
    with serve_directory(root) as site:
        yield site, talk


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    with app_server(tmp_path / "app-data") as running:
        yield running


def test_register_submit_watch_play_and_download(
    server: AppServer, talk_site: tuple[VideoServer, SampleTalk], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    site, talk = talk_site
    with chromium() as browser:

        def click_button(text: str) -> None:
            browser.find_element(By.XPATH, f"//button[normalize-space(.)='{text}']").click()

        # first run: the first user becomes admin and lands on the dashboard, logged in
        sign_up(browser, server)
        browser.find_element(By.XPATH, "//header//button[.//*[text()='account_circle']]").click()
        wait_for(lambda: "Administrator" in browser.page_source, 10, "the user menu")
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

        # submit the URL on the jobs page
        browser.find_element(By.XPATH, "//header//button[normalize-space(.)='movieJobs']").click()
        wait_for(lambda: browser.title.startswith("Jobs"), 15, "the jobs page")
        browser.execute_script("window.stillThisPage = true")
        browser.find_element(By.CSS_SELECTOR, "input[placeholder^='https://']").send_keys(
            site.url("short-talk.mp4")
        )
        click_button("auto_awesomeMake clips")

        # the row moves live, without a reload, until the job completes
        row = JobRow(browser)
        wait_for(
            row.completed,
            120,
            "the job to complete",
            details=lambda: f"{row.seen}\n{server.output()}",
        )
        assert browser.execute_script("return window.stillThisPage === true"), "the page reloaded"
        assert len({percent for _, percent in row.seen}) >= 2, row.seen
        assert len(row.seen) >= 3, f"expected to see the job move through states: {row.seen}"
        assert "short-talk" in browser.page_source  # the title from the download

        # open the job, play its best clip
        browser.find_element(By.LINK_TEXT, "short-talk").click()
        wait_for(lambda: browser.title.startswith("short-talk"), 15, "the job page")
        wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "video[src*='/media/clips/']"),
            15,
            "the clips on the job page",
        )
        video = browser.find_element(By.CSS_SELECTOR, "video[src*='/media/clips/']")
        browser.execute_script("arguments[0].scrollIntoView()", video)
        browser.execute_script(PLAY, video)
        wait_for(
            lambda: browser.execute_script("return arguments[0].readyState", video) >= 3,
            15,
            "the clip to become playable",
        )
        wait_for(
            lambda: browser.execute_script("return arguments[0].currentTime", video) > 0.3,
            15,
            "the clip to play",
        )
        assert browser.execute_script("return arguments[0].duration", video) > 4

        # download it with the browser's session
        link = browser.find_element(By.CSS_SELECTOR, "a[href$='.mp4?download=1']")
        status, content_type, body = fetch_with_session(browser, link.get_attribute("href"))

        # trim it in the clip editor: the new 4 s file plays once it is rendered
        old_src = browser.execute_script("return arguments[0].getAttribute('src')", video)
        click_button("edit")
        wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "input[aria-label='End (s)']"),
            15,
            "the clip editor",
        )
        start = browser.find_element(By.CSS_SELECTOR, "input[aria-label='Start (s)']")
        end = browser.find_element(By.CSS_SELECTOR, "input[aria-label='End (s)']")
        end.send_keys(Keys.CONTROL, "a")  # replace the value (clear() bypasses Vue's model)
        end.send_keys(f"{float(start.get_attribute('value')) + 4:.2f}", Keys.TAB)
        click_button("saveSave")
        wait_for(lambda: "Clip saved." in browser.page_source, 15, "the saved edit")
        seen_players: list = []

        def trimmed_plays() -> bool:  # in one script: the page redraws the card meanwhile
            player = browser.execute_script(PLAY_NEW, old_src)
            seen_players.append(player)
            return bool(player) and bool(player[1]) and abs(player[1] - 4.0) < 0.2

        wait_for(
            trimmed_plays,
            90,
            "the trimmed clip to play",
            details=lambda: f"{seen_players[-3:]}\n{server.output()}",
        )
    assert (status, content_type) == (200, "video/mp4")
    downloaded = tmp_path / "clip.mp4"
    downloaded.write_bytes(body)
    info = probe(downloaded)
    assert info.has_video and info.has_audio
    assert 4 < info.duration <= talk.duration

    assert descendants(server.process.pid), "serve should run its embedded worker in a child"
    leftovers = server.stop()
    assert not leftovers, f"processes outlived the server: {leftovers}"
    assert server.process.returncode is not None
