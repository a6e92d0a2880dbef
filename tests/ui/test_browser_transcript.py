"""The job page's transcript in a real Chromium against a real `viralclipper serve`: a 2-hour
transcript is drawn on demand, shades the clips' lines, highlights the line being played, a click
seeks the player and brings it into view, and the search marks what it found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ui.browser import app_server, chromium, log_in_browser
from tests.ui.data import long_transcript, make_completed_job, make_video
from tests.waiting import wait_for
from viralclipper.config import get_settings
from viralclipper.models import jobs, users

pytestmark = [pytest.mark.slow, pytest.mark.browser]
EMAIL = "viewer@example.com"
PASSWORD = "correct horse battery"
PLAYER = "document.querySelector(\"video[src*='/source']\")"
TOP = "return arguments[0].getBoundingClientRect().top"
PLAYER_STATE = f"""
const v = {PLAYER};
const box = v.getBoundingClientRect();
return [v.currentTime, v.paused, box.top >= 0 && box.bottom <= window.innerHeight];
"""
LINE_CLASSES = """
return Object.fromEntries([...document.querySelectorAll('.vc-line')]
    .map((row) => [row.dataset.index, row.className]));
"""


def test_the_transcript_follows_the_player_and_a_click_seeks_it() -> None:
    from selenium.webdriver.common.by import By

    with app_server(get_settings().data_dir) as server:
        account = users.create_user(EMAIL, PASSWORD)
        job = make_completed_job(account.id, "Long talk")  # clips at 10-30 s and 20-40 s
        Path(job.transcript_path).write_text(json.dumps(long_transcript(7200)))
        jobs.update_job(
            job.id, media_path=make_video(get_settings().data_dir / "long" / "source.mp4", 60)
        )

        with chromium() as browser:
            log_in_browser(browser, server.base_url, EMAIL, PASSWORD)
            browser.get(server.url(f"/jobs/{job.id}"))
            wait_for(lambda: browser.execute_script(LINE_CLASSES), 15, "the transcript lines")
            shown = browser.execute_script(LINE_CLASSES)
            assert len(shown) < 100  # of 1800 lines: only those near the view exist
            in_clip = {int(i) for i, classes in shown.items() if "vc-in-clip" in classes}
            assert {2, 3, 9} <= in_clip and not {0, 1, 10, 12} & in_clip

            # a click on the line at 0:48 (the player is scrolled away) plays from there in a
            # small player pinned in view; the lines stay where they were
            line = browser.find_element(By.CSS_SELECTOR, ".vc-line[data-index='12']")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
            where = browser.execute_script(TOP, line)
            line.click()
            wait_for(
                lambda: browser.execute_script(PLAYER_STATE)[0] >= 48.0,
                15,
                "the player to seek to 0:48",
            )
            wait_for(
                lambda: browser.execute_script(PLAYER_STATE)[1:] == [False, True],
                15,
                "the player to play in view",
                details=lambda: str(browser.execute_script(PLAYER_STATE)),
            )
            assert "vc-playing" in browser.execute_script(LINE_CLASSES)["12"]
            # as it plays on, the next line (0:52) lights up, from the player's own events
            wait_for(
                lambda: "vc-playing" in browser.execute_script(LINE_CLASSES).get("13", ""),
                15,
                "the line at 0:52 to be highlighted",
                details=lambda: str(browser.execute_script(PLAYER_STATE)),
            )
            assert "vc-playing" not in browser.execute_script(LINE_CLASSES)["12"]
            assert abs(browser.execute_script(TOP, line) - where) < 2  # the lines did not move
            browser.find_element(By.CSS_SELECTOR, "button.vc-unpin").click()  # closed: it stops
            player = browser.execute_script(f"return {PLAYER}")
            wait_for(lambda: browser.execute_script("return arguments[0].paused", player), 5)
            assert "vc-pinned" not in player.get_attribute("class")

            # the search (on the server) lists the last line, its words marked
            search = browser.find_element(By.CSS_SELECTOR, "input[placeholder^='Search']")
            search.send_keys("point 1799")
            wait_for(
                lambda: list(browser.execute_script(LINE_CLASSES)) == ["1799"],
                15,
                "the search to list the last line",
            )
            marks = browser.find_elements(By.CSS_SELECTOR, ".vc-line mark")
            assert [mark.text for mark in marks] == ["Point 1799"]
            assert "1 line matches" in browser.page_source

            # the line last clicked is where a new clip starts
            browser.find_element(By.XPATH, "//button[normalize-space(.)='addNew clip']").click()
            wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "input[aria-label='Start (s)']"),
                15,
                "the new clip dialog",
            )
            start = browser.find_element(By.CSS_SELECTOR, "input[aria-label='Start (s)']")
            assert float(start.get_attribute("value")) == 48.0
