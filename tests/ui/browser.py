"""A real `viralclipper serve` in a child process and a headless Chromium driven by selenium.

Shared by the browser test (tests/ui/test_browser.py) and the screenshot script
(docs/screenshots/take.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.waiting import wait_for

CHROMIUM = "/usr/bin/chromium"
EMAIL = "first@example.com"
PASSWORD = "correct horse battery"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1366, 900)
# Small, fast jobs: the short generated talk gives two short clips with the offline analyzer.
FAST_JOBS = {
    "MIN_CLIP_SECONDS": "5",
    "MAX_CLIP_SECONDS": "20",
    "MAX_CLIPS": "2",
    "ANALYZER": "offline",
    "PROGRESS_INTERVAL_SECONDS": "0.2",
}
# What must not leak into the server from the caller's environment: other settings, and
# pytest's marker, with which NiceGUI would ignore --port and wait for its own test harness.
FOREIGN_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "PORT",
    "PYTEST_CURRENT_TEST",
)

# The row of the (only) job on the jobs page: its status chip and its progress percentage.
JOB_ROW_STATE = """
const chip = document.querySelector('.q-chip .q-chip__content');
const bar = document.querySelector('.q-linear-progress');
if (!chip || !bar) return null;
return [chip.textContent.trim(), bar.parentElement.textContent.trim()];
"""


class JobRow:
    """The (only) job's row on the jobs page, read on each call of `completed()`; `seen` keeps
    each (status, percentage) it showed, in order."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.seen: list[tuple[str, str]] = []

    def completed(self) -> bool:
        state = self.browser.execute_script(JOB_ROW_STATE)
        if state and (not self.seen or self.seen[-1] != tuple(state)):
            self.seen.append(tuple(state))
        return bool(state) and state[0] == "completed"


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not (Path(binary).is_file() or shutil.which(Path(binary).name)):
            return f"{binary} is not installed (Debian packages chromium and chromium-driver)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, grandchildren, ...), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (in parentheses) may hold spaces: the fields after it are fixed
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2] != "Z"


@dataclass
class AppServer:
    process: subprocess.Popen
    base_url: str
    data_dir: Path
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{self.output()}")
        try:
            with urllib.request.urlopen(self.url("/login"), timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 20) -> set[int]:
        """SIGINT the server like Ctrl+C; returns the processes below it that outlived it."""
        below = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with suppress(AssertionError):
            wait_for(lambda: not any(alive(pid) for pid in below), 5, "the children to exit")
        leftovers = {pid for pid in below if alive(pid)}
        for pid in leftovers:  # never leave them behind, but report them
            os.kill(pid, signal.SIGKILL)
        return leftovers


@contextmanager
def app_server(
    data_dir: Path, port: int | None = None, name: str = "server", **settings: str
) -> Iterator[AppServer]:
    """`python -m viralclipper serve` on `port` (default: a free one) in embedded mode (it starts
    its own worker) unless `settings` hold REDIS_URL; it logs to `name`.log in the data dir."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENV}
    env.update(FAST_JOBS, VIRALCLIPPER_DATA_DIR=str(data_dir), **settings)
    log = data_dir / f"{name}.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "viralclipper", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(process, f"http://127.0.0.1:{port}", data_dir, log)
    try:
        wait_for(server.answers, 60, "the web app to answer")
        yield server
    finally:
        server.stop()


@contextmanager
def chromium(window: tuple[int, int] = WINDOW) -> Iterator[Any]:
    """A headless Chromium under selenium, with a fresh profile, quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="vc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def fetch_with_session(driver: Any, url: str) -> tuple[int, str, bytes]:
    """GET `url` outside the browser with the browser's cookies (its logged-in session)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def emulate_phone(driver: Any, size: tuple[int, int]) -> None:
    """Lay pages out as a phone of `size` CSS pixels would (headless windows are 500 px wide at
    least): its viewport, its touch screen, its zoom-out when a page is wider than the screen."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 3, "mobile": True},
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})


def fill(driver: Any, label: str, text: str) -> None:
    """Type `text` into the input labelled `label`, replacing what it holds."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, f"input[aria-label='{label}']")
    field.clear()
    field.send_keys(text)


def sign_up(driver: Any, server: AppServer, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Create the first user (the administrator) on a fresh instance's first-run form, and wait
    for the dashboard, logged in."""
    from selenium.webdriver.common.by import By

    driver.get(server.url("/"))
    wait_for(lambda: "Create the admin account" in driver.page_source, 15, "the first-run form")
    fill(driver, "Email", email)
    fill(driver, "Password", password)
    fill(driver, "Repeat password", password)
    driver.find_element(By.XPATH, "//button[normalize-space(.)='Create admin account']").click()
    wait_for(lambda: driver.title.startswith("Dashboard"), 15, "the dashboard")


def log_in_browser(driver: Any, base_url: str, email: str, password: str) -> None:
    """Log in through the login form; returns on the dashboard."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/login")
    wait_for(
        lambda: driver.find_elements(By.CSS_SELECTOR, "input[aria-label='Password']"),
        15,
        "the login form",
    )
    fill(driver, "Email", email)
    fill(driver, "Password", password)
    driver.find_element(By.XPATH, "//button[normalize-space(.)='Log in']").click()
    wait_for(lambda: driver.title.startswith("Dashboard"), 15, "the dashboard after login")
