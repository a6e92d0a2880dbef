"""In a real Chromium: a vertical clip's tile plays while the pointer is on it and opens a larger
player; the settings page asks before leaving with unsaved changes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ui.browser import AppServer, app_server, chromium, fill, sign_up
from tests.ui.data import make_completed_job, make_video
from tests.ui.test_phone import writing_to
from tests.waiting import wait_for
from viralclipper.models import jobs
from viralclipper.models.clips import list_clips

pytestmark = [pytest.mark.slow, pytest.mark.browser]
# what the browser does on leaving: the page's beforeunload handlers cancel it (the browser asks)
LEAVING = """const event = new Event('beforeunload', {cancelable: true});
window.dispatchEvent(event); return event.defaultPrevented;"""
PAUSED = "const v = document.querySelector(`[data-tile='{id}'] video`); return v ? v.paused : null"


@dataclass
class Browser:
    server: AppServer
    driver: Any


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    folder = tmp_path_factory.mktemp("gallery")
    with app_server(folder / "app-data") as server, chromium() as driver:
        sign_up(driver, server)
        yield Browser(server, driver)


def test_a_tile_plays_on_hover_and_opens_a_larger_player(browser: Browser, tmp_path: Path):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = browser.driver
    with writing_to(browser.server):
        job = make_completed_job(1, "Tall talk", scores=(80, 70))
        jobs.update_job(job.id, options={**job.options, "output_format": "vertical"})
        video = make_video(tmp_path / "tall.mp4", 2, size="180x320")
        clip_ids = [clip.id for clip in list_clips(job_id=job.id)]
        for clip in list_clips(job_id=job.id):
            shutil.copyfile(video, clip.video_path)
    driver.get(browser.server.url("/clips"))
    wait_for(lambda: "Tall talk clip 1" in driver.page_source, 20, "the tiles")
    tile = f"[data-tile='{clip_ids[0]}']"
    assert driver.execute_script(PAUSED.format(id=clip_ids[0])) is True
    away = (By.XPATH, "//*[normalize-space(.)='Favourites']")

    def hovered(playing: bool) -> bool:
        """Pointer off the tile, then on it (playing) or off again; the page may redraw the grid
        meanwhile (the job's live update), so each try finds the elements again."""
        try:
            ActionChains(driver).move_to_element(driver.find_element(*away)).perform()
            if playing:
                ActionChains(driver).move_to_element(
                    driver.find_element(By.CSS_SELECTOR, tile)
                ).perform()
            return wait_for_quietly(
                lambda: driver.execute_script(PAUSED.format(id=clip_ids[0])) is (not playing)
            )
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    wait_for(lambda: hovered(True), 20, "the tile playing while the pointer is on it")
    wait_for(lambda: hovered(False), 20, "the tile stopping when the pointer leaves")

    def clicked() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, tile).click()
            return True
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    wait_for(clicked, 10, "a click on the tile")
    player = f".q-dialog video[src*='/media/clips/{clip_ids[0]}.mp4']"
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, player), 10, "the player dialog")
    tile_height = driver.find_element(By.CSS_SELECTOR, tile).size["height"]

    def larger() -> bool:
        return driver.find_element(By.CSS_SELECTOR, player).size["height"] > tile_height

    wait_for(larger, 10, "a player taller than the tile (once its video's size is known)")


def wait_for_quietly(condition: Any, timeout: float = 2) -> bool:
    """`condition` true within `timeout` seconds."""
    try:
        wait_for(condition, timeout)
    except AssertionError:
        return False
    return True


def test_leaving_the_settings_with_unsaved_changes_asks_first(browser: Browser) -> None:
    from selenium.webdriver.common.by import By

    driver = browser.driver
    driver.get(browser.server.url("/settings"))
    wait_for(lambda: "Criteria" in driver.page_source, 20, "the settings page")
    assert not driver.execute_script(LEAVING)  # nothing to lose: leaves without asking
    fill(driver, "Max clips", "3")
    wait_for(lambda: driver.execute_script(LEAVING), 10, "the page to ask before leaving")
    driver.find_element(By.XPATH, "//button[contains(., 'Save settings')]").click()
    wait_for(lambda: "Settings saved." in driver.page_source, 10, "the save")
    wait_for(lambda: not driver.execute_script(LEAVING), 10, "leaving without asking again")


def test_a_criterions_text_box_grows_with_its_text(browser: Browser) -> None:
    from selenium.webdriver.common.by import By

    driver = browser.driver
    driver.get(browser.server.url("/settings"))
    wait_for(lambda: "Humor" in driver.page_source, 20, "the criteria")
    driver.find_element(By.XPATH, "//*[contains(@class,'q-item')][.//*[text()='Humor']]").click()
    box = driver.find_element(By.CSS_SELECTOR, ".vc-criterion-humor textarea")
    wait_for(box.is_displayed, 10, "the open criterion")
    fits = "return arguments[0].scrollHeight <= arguments[0].clientHeight + 1"
    wait_for(lambda: driver.execute_script(fits, box), 10, "all of the text shown on opening")
    before = box.size["height"]
    box.send_keys("\n- one more\n- and another\n- and a third")
    wait_for(lambda: box.size["height"] > before, 10, "the box to grow")
    assert driver.execute_script(fits, box)
