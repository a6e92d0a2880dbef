"""Every page at a phone's size (390x844) in a real Chromium against a real `viralclipper serve`:
nothing scrolls sideways, the header is one short row with a menu button, the URL box fills the
width, vertical clips show two per row, the settings fields stack, dialogs fit, button labels are
not capitalised, the red toast's button is readable, an unknown address leads back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import reset_process_state
from tests.lifecycle import WORKER
from tests.ui.browser import (
    EMAIL,
    PASSWORD,
    AppServer,
    app_server,
    chromium,
    emulate_phone,
    log_in_browser,
    sign_up,
)
from tests.ui.data import make_completed_job, make_job, make_video
from tests.waiting import wait_for
from viralclipper.models import jobs
from viralclipper.models.clips import list_clips
from viralclipper.models.jobs import JobStatus
from viralclipper.pipeline.render import make_thumbnail

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PHONE = (390, 844)
MAX_HEADER_PX = 72
MIN_URL_BOX_PX = 300
# What the page looks like once drawn: widths, the header, the URL box, where the clips sit, and
# the elements that scroll sideways inside the page (a wide table in its own scroller).
MEASURE = """
const rect = (el) => el && el.getBoundingClientRect();
const header = rect(document.querySelector('.q-header'));
const url = rect(document.querySelector("input[placeholder^='https://']")?.closest('.q-field'));
const fields = ['Min seconds', 'Max seconds'].map((label) =>
  rect(document.querySelector(`input[aria-label='${label}']`))).filter(Boolean)
  .map((r) => [Math.round(r.left), Math.round(r.top)]);
const clips = [...document.querySelectorAll("video[src*='/media/clips/']")]
  .map(rect).filter((r) => r.width > 0).map((r) => [Math.round(r.left), Math.round(r.top),
  Math.round(r.width)]);
const scrollers = [...document.querySelectorAll('body *')].filter((el) => {
  const style = getComputedStyle(el);
  return ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
    && el.clientWidth > 0;
}).map((el) => el.className.toString().slice(0, 80));
return {
  scroll_width: document.scrollingElement.scrollWidth,
  inner_width: window.innerWidth,
  header_height: header ? header.height : null,
  header_buttons: document.querySelectorAll('.q-header button').length,
  url_width: url ? url.width : null,
  clips: clips,
  fields: fields,
  capitalised: [...document.querySelectorAll('.q-btn')]
    .filter((b) => getComputedStyle(b).textTransform === 'uppercase').map((b) => b.innerText),
  background: getComputedStyle(document.body).backgroundColor,
  scrollers: scrollers,
};
"""
DIALOG = """
const card = document.querySelector('.q-dialog .q-card');
if (!card) return null;
const box = card.getBoundingClientRect();
return [box.left, box.right, window.innerWidth];
"""
TOAST = """
const toast = document.querySelector('.q-notification.bg-negative');
const button = toast && toast.querySelector('.q-btn');
if (!button) return null;
return [getComputedStyle(toast).backgroundColor, getComputedStyle(button).color,
  button.innerText.trim()];
"""


@dataclass
class Page:
    name: str
    path: str
    ready: str  # a text the page shows once drawn
    header: bool = True
    url_box: bool = False
    clips: bool = False
    fields: bool = False  # its form fields stack


PAGES = [
    Page("first run", "/setup", "Create the admin account", header=False),
    Page("login", "/login", "Welcome back", header=False),
    Page("register", "/register", "Create your account", header=False),
    Page("dashboard", "/", "Best recent clips", url_box=True, clips=True),
    Page("jobs", "/jobs", "A finished talk", url_box=True),
    Page("job", "/jobs/{job}", "Nobody tells you this secret", clips=True),
    Page("clips", "/clips", "A finished talk clip 1", clips=True),
    Page("settings", "/settings", "Criteria", fields=True),
    Page("account", "/account", "API tokens"),
    Page("users", "/users", "Add a user"),
    Page("not found", "/no/such/page", "This page was not found"),
]


def make_clips_vertical(job_id: int, folder: Path) -> None:
    """Real 1080x1920 clips and their thumbnails: the sizes the pages must fit on a phone."""
    video = Path(make_video(folder / "vertical.mp4", 1, size="1080x1920"))
    picture = make_thumbnail(video, 0.0, folder / "vertical.jpg")
    for clip in list_clips(job_id=job_id):
        shutil.copyfile(video, clip.video_path)
        shutil.copyfile(picture, clip.thumbnail_path)


def measure(driver: Any, server: AppServer, page: Page, job_id: int) -> dict[str, Any]:
    """The page's measures, or why it could not be measured (its test fails with that)."""
    driver.get(server.url(page.path.format(job=job_id)))
    try:
        wait_for(lambda: page.ready in driver.page_source, 20, f"{page.ready!r} on the page")
        if page.clips:
            wait_for(lambda: len(driver.execute_script(MEASURE)["clips"]) >= 2, 15, "the clips")
    except AssertionError as exc:
        return {"missing": str(exc)}
    # the page's last layout: icons and fonts are drawn
    driver.execute_script("return document.fonts.ready")
    return driver.execute_script(MEASURE)


@dataclass
class Phone:
    server: AppServer
    driver: Any
    pages: dict[str, dict[str, Any]]  # what each page measured
    job_id: int  # the completed job with clips


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    """Every page measured once at the phone's size: a fresh instance (its first-run form), the
    login and register pages once the admin exists, then signed in with a completed job whose
    clips are real vertical videos."""
    folder = tmp_path_factory.mktemp("phone")
    with app_server(folder / "app-data") as server, chromium() as driver:
        emulate_phone(driver, PHONE)
        found = {PAGES[0].name: measure(driver, server, PAGES[0], 0)}
        sign_up(driver, server)
        driver.delete_all_cookies()  # a visitor again
        found |= {page.name: measure(driver, server, page, 0) for page in PAGES[1:3]}
        log_in_browser(driver, server.base_url, EMAIL, PASSWORD)
        with writing_to(server):
            job = make_completed_job(1)
            make_clips_vertical(job.id, folder)
        found |= {page.name: measure(driver, server, page, job.id) for page in PAGES[3:]}
        yield Phone(server, driver, found, job.id)


@contextmanager
def writing_to(server: AppServer) -> Iterator[None]:
    """This process writes test data into the server's database meanwhile."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("VIRALCLIPPER_DATA_DIR", str(server.data_dir))
        reset_process_state()
        try:
            yield
        finally:
            reset_process_state()


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_fits_a_phone(phone: Phone, page: Page) -> None:
    found = phone.pages[page.name]
    assert "missing" not in found, found
    assert found["inner_width"] == PHONE[0]
    assert found["scroll_width"] <= found["inner_width"], found
    assert not found["scrollers"], f"parts of the page scroll sideways: {found}"
    assert not found["capitalised"], "button labels are shown as written (sentence case)"
    assert found["background"] == "rgb(250, 250, 250)", "the app's grey page (Quasar's grey-1)"
    if page.header:
        assert found["header_height"] <= MAX_HEADER_PX, found
    if page.url_box:
        assert found["url_width"] >= MIN_URL_BOX_PX, found
    if page.fields:
        (left_a, top_a), (left_b, top_b) = found["fields"]
        assert left_a == left_b and top_b > top_a, f"the fields stack: {found}"
    if page.clips:
        (left_a, top_a, width_a), (left_b, top_b, width_b) = found["clips"][:2]
        assert top_a == top_b and left_b > left_a, f"two clips per row: {found}"
        assert max(width_a, width_b) <= found["inner_width"] / 2, found


def test_the_menu_button_navigates(phone: Phone) -> None:
    from selenium.webdriver.common.by import By

    driver = phone.driver
    driver.get(phone.server.url("/settings"))
    wait_for(lambda: driver.title.startswith("Settings"), 15, "the settings page")
    jobs_button = driver.find_element(By.XPATH, "//header//button[.//*[text()='movie']]")
    assert not jobs_button.is_displayed()  # the navigation's buttons are hidden
    driver.find_element(By.XPATH, "//header//button[.//*[text()='menu']]").click()
    wait_for(
        lambda: driver.find_elements(By.XPATH, "//*[contains(@class, 'q-menu')]//*[text()='Jobs']"),
        10,
        "the navigation menu",
    )
    driver.find_element(By.XPATH, "//*[contains(@class, 'q-menu')]//*[text()='Jobs']").click()
    wait_for(lambda: driver.title.startswith("Jobs"), 15, "the jobs page")


@pytest.mark.parametrize(
    ("opener", "ready"),
    [
        ("//button[.//*[text()='edit']]", "Edit clip"),
        ("//button[contains(., 'New clip')]", "New clip"),
        ("//button[contains(., 'Publish')]", "Publish"),
    ],
    ids=["edit clip", "new clip", "publish"],
)
def test_the_job_pages_dialogs_fit_a_phone(phone: Phone, opener: str, ready: str) -> None:
    from selenium.webdriver.common.by import By

    driver = phone.driver
    driver.get(phone.server.url(f"/jobs/{phone.job_id}"))
    wait_for(lambda: driver.find_elements(By.XPATH, opener), 15, "the button")
    driver.execute_script("arguments[0].click()", driver.find_elements(By.XPATH, opener)[0])
    wait_for(lambda: driver.execute_script(DIALOG), 10, "the dialog")
    left, right, width = driver.execute_script(DIALOG)
    assert left >= 0 and right <= width, (left, right, width)


def test_the_not_found_page_leads_back(phone: Phone) -> None:
    from selenium.webdriver.common.by import By

    driver = phone.driver
    driver.get(phone.server.url("/no/such/page"))
    wait_for(lambda: driver.title.startswith("Not found"), 15, "the not-found page")
    driver.find_element(By.XPATH, "//button[contains(., 'Back to the dashboard')]").click()
    wait_for(lambda: driver.title.startswith("Dashboard"), 15, "the dashboard")


def test_a_failure_toast_is_readable(phone: Phone) -> None:
    """A job failing while its owner watches: the red toast, its button in the toast's white."""
    driver = phone.driver
    with writing_to(phone.server):
        job = make_job(1, "Doomed talk", JobStatus.DOWNLOADING)
    driver.get(phone.server.url("/jobs"))
    wait_for(lambda: "Doomed talk" in driver.page_source, 15, "the running job")
    with writing_to(phone.server):
        jobs.fail_job(job.id, WORKER, "The video is private.")
    wait_for(
        lambda: driver.execute_script(TOAST),
        20,
        "the failure toast",
        details=phone.server.output,
    )
    background, button, label = driver.execute_script(TOAST)
    assert background == "rgb(220, 38, 38)"  # the brand's negative
    assert button == "rgb(255, 255, 255)"
    assert label == "OK"
