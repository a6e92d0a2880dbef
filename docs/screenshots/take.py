"""Take the README's screenshots from a real run: a fresh `viralclipper serve` (embedded worker,
offline analyzer), generated talks on a local 'video site', and a headless Chromium at 1366x900.

    .venv/bin/python docs/screenshots/take.py [OUT_DIR]

Needs Debian's chromium and chromium-driver, ffmpeg and espeak-ng. Takes about two minutes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.http_server import VideoServer, serve_directory  # noqa: E402
from tests.ui.browser import (  # noqa: E402
    WINDOW,
    AppServer,
    app_server,
    browser_missing,
    chromium,
)
from tests.waiting import wait_for  # noqa: E402
from viralclipper.pipeline.sample import (  # noqa: E402
    FILLER,
    PLANTED,
    default_script,
    make_sample_talk,
)

EMAIL = "maya@example.com"
PASSWORD = "correct horse battery"
# file name (the title yt-dlp gives the video) -> script; the last one is still running in the shots
TALKS = {
    "Founder stories - what nobody tells you": [(FILLER[0], False), (PLANTED[0], True)],
    "Weekly all-hands, March": default_script(1.0),
    "Conference keynote - the biggest lesson": default_script(4.0),
}
RUNNING_STATES = ("pending", "downloading", "transcribing", "analyzing", "slicing")
CHIP_TEXTS = (
    "return [...document.querySelectorAll('.q-chip__content')].map(c => c.textContent.trim())"
)
PAGE_SETTLED = """
return document.readyState === 'complete'
    && [...document.images].every(img => img.complete)
    && [...document.querySelectorAll('video')].every(video => video.readyState >= 1)
    && !document.querySelector('.q-loading, .nicegui-loading');
"""


class Camera:
    def __init__(self, browser: Any, server: AppServer, out_dir: Path) -> None:
        self.browser, self.server, self.out_dir = browser, server, out_dir
        self.viewport(WINDOW[1])

    def viewport(self, height: int) -> None:
        self.browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WINDOW[0], "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def open(self, path: str, title: str) -> None:
        self.browser.get(self.server.url(path))
        wait_for(lambda: self.browser.title.startswith(title), 20, f"the page {title}")

    def shoot(self, name: str, *, full_page: bool = False) -> Path:
        wait_for(lambda: self.browser.execute_script(PAGE_SETTLED), 20, "the page to settle")
        time.sleep(1.5)  # let Quasar's transitions and the players' spinners finish
        if full_page:
            height = self.browser.execute_script("return document.documentElement.scrollHeight")
            self.viewport(max(WINDOW[1], height))
            time.sleep(0.3)
        path = self.out_dir / f"{name}.png"
        self.browser.save_screenshot(str(path))
        self.viewport(WINDOW[1])
        print(f"saved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
        return path


def fill(browser: Any, label: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.CSS_SELECTOR, f"input[aria-label='{label}']")
    field.clear()
    field.send_keys(text)


def register(camera: Camera) -> None:
    from selenium.webdriver.common.by import By

    camera.open("/register", "Create an account")
    fill(camera.browser, "Email", EMAIL)
    fill(camera.browser, "Password", PASSWORD)
    fill(camera.browser, "Repeat password", PASSWORD)
    camera.browser.find_element(By.XPATH, "//button[normalize-space(.)='Create account']").click()
    wait_for(lambda: camera.browser.title.startswith("Dashboard"), 20, "the dashboard")


def submit(camera: Camera, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    camera.open("/jobs", "Jobs")
    box = camera.browser.find_element(By.CSS_SELECTOR, "input[placeholder^='https://']")
    box.send_keys(url, Keys.ENTER)
    wait_for(lambda: not box.get_attribute("value"), 20, "the job to be queued")


def statuses(camera: Camera) -> list[str]:
    return camera.browser.execute_script(CHIP_TEXTS)


def wait_for_all_finished(camera: Camera, count: int) -> None:
    """On the jobs page (it moves live), until `count` jobs have completed."""
    camera.open("/jobs", "Jobs")
    wait_for(
        lambda: statuses(camera).count("completed") >= count,
        300,
        f"{count} completed jobs\n{camera.server.output()}",
    )


def publish(site: VideoServer, name: str) -> str:
    return site.url(quote(f"{name}.mp4"))


def make_talks(folder: Path) -> None:
    for name, script in TALKS.items():
        make_sample_talk(folder / f"{name}.mp4", script)


def take_all(out_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="vc-screens-") as work:
        site_dir = Path(work) / "site"
        site_dir.mkdir()
        make_talks(site_dir)
        names = list(TALKS)
        with (
            serve_directory(site_dir) as site,
            app_server(
                Path(work) / "data", MAX_CLIPS="3", MAX_CLIP_SECONDS="25", ALLOW_PRIVATE_URLS="true"
            ) as server,
            chromium() as browser,
        ):
            camera = Camera(browser, server, out_dir)
            camera.open("/login", "Log in")
            camera.shoot("login")
            register(camera)
            for name in names[:-1]:
                submit(camera, publish(site, name))
                wait_for_all_finished(camera, names.index(name) + 1)

            submit(camera, publish(site, names[-1]))
            camera.open("/jobs", "Jobs")
            wait_for(lambda: "transcribing" in statuses(camera), 60, "the last job to transcribe")
            camera.shoot("jobs")
            camera.open("/", "Dashboard")
            camera.shoot("dashboard")

            camera.open("/jobs/2", names[1])
            camera.shoot("job", full_page=True)
            camera.open("/clips", "Clips")
            camera.shoot("clips")
            camera.open("/settings", "Settings")
            camera.shoot("settings")
            wait_for_all_finished(camera, len(names))  # stop the server with no job in flight


def main() -> int:
    missing = browser_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 1
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    take_all(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
