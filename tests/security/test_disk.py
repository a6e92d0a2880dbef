"""Disk: the cache holds only what jobs use (and at most CACHE_MAX_GB of what finished jobs use),
and the data dir is private to the service user. Real jobs through real worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.http_server import VideoServer, serve_directory
from tests.machine import require
from tests.queue.conftest import EMBEDDED, Backend, wait_for_status
from tests.ui.browser import AppServer, app_server, chromium
from tests.waiting import wait_for
from viralclipper.config import get_settings
from viralclipper.models import clips as clip_store
from viralclipper.models import jobs, runs
from viralclipper.models.tables import Job, User
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api, cleanup
from viralclipper.queue.runner import job_dir

EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def videos(
    short_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VideoServer]:
    """Two different videos (a.mp4, b.mp4) on a site on 127.0.0.1."""
    root = tmp_path_factory.mktemp("disk-site")
    shutil.copy(short_talk.path, root / "a.mp4")
    shutil.copy(short_talk.path, root / "b.mp4")
    with serve_directory(root) as server:
        yield server


@dataclass(frozen=True)
class Entry:
    """Where a job's cache entry lies on disk."""

    download: Path
    audio: Path
    transcripts: Path

    @classmethod
    def of(cls, job: Job) -> Entry:
        media = Path(job.media_path)
        cache_dir = get_settings().cache_dir
        return cls(
            media.parent,
            Path(job.audio_path),
            cache_dir / "transcripts" / f"{media.parent.name}-{media.stem}",
        )

    def complete(self) -> bool:
        return (
            (self.download / "video.mp4").is_file()
            and self.audio.is_file()
            and any(self.transcripts.glob("*.json"))
        )

    def gone(self) -> bool:
        return not (self.download.exists() or self.audio.exists() or self.transcripts.exists())

    def size(self) -> int:
        files = [*self.download.rglob("*"), self.audio, *self.transcripts.rglob("*")]
        return sum(f.stat().st_size for f in files if f.is_file())

    def sources(self) -> list[Path]:
        """The URL index files that lead to this download."""
        index = get_settings().media_dir / "sources"
        return [p for p in index.glob("*.txt") if p.read_text().strip() == self.download.name]


def run_job(user: User, url: str, backend: Backend) -> Job:
    job = api.submit_job(user.id, url)
    done = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert done.status == "completed", done.error_message
    return done


def set_cache_cap(monkeypatch: pytest.MonkeyPatch, backend: Backend, gigabytes: float) -> None:
    """CACHE_MAX_GB for this process and the workers started from now on."""
    backend.env["CACHE_MAX_GB"] = repr(gigabytes)
    monkeypatch.setenv("CACHE_MAX_GB", repr(gigabytes))
    get_settings.cache_clear()


@EMBEDDED  # the job_media queries on Postgres: tests/models/test_job_media.py
def test_deleting_a_job_removes_the_cache_only_it_used(
    backend: Backend, user: User, videos: VideoServer
):
    backend.start_worker()
    first = run_job(user, videos.url("a.mp4"), backend)
    second = run_job(user, videos.url("a.mp4"), backend)  # the same video: the same entry
    other = run_job(user, videos.url("b.mp4"), backend)
    shared, kept = Entry.of(first), Entry.of(other)
    assert Entry.of(second) == shared != kept
    assert shared.complete() and kept.complete() and shared.sources()
    # two jobs on a.mp4, one on b.mp4, the same requests: the second job used the cache
    assert videos.paths().count("/a.mp4") == videos.paths().count("/b.mp4")

    api.delete_job(first.id, user.id)
    assert not job_dir(first.id).exists()
    assert shared.complete(), "the other job on this video still uses its cache entry"

    api.delete_job(second.id, user.id)
    assert shared.gone() and shared.sources() == []
    assert kept.complete() and kept.sources()


@EMBEDDED
def test_cache_cap_evicts_the_least_recently_used_never_one_in_use(
    backend: Backend, user: User, videos: VideoServer, monkeypatch: pytest.MonkeyPatch
):
    worker = backend.start_worker()
    older = run_job(user, videos.url("a.mp4"), backend)
    newer = run_job(user, videos.url("b.mp4"), backend)
    api.reanalyze_job(older.id, user.id)  # uses the older entry again: now the most recent
    assert wait_for_status(older.id, {"completed", "failed"}, backend).status == "completed"
    reused, idle = Entry.of(older), Entry.of(newer)
    assert reused.complete() and idle.complete()
    worker.send_signal(signal.SIGINT)
    worker.wait(timeout=20)

    size = reused.size() + idle.size()
    set_cache_cap(monkeypatch, backend, (size - 1) / 1024**3)  # one entry too many
    assert cleanup.clean_cache() == [f"{idle.download.name}-video"]
    assert idle.gone() and idle.sources() == []
    assert reused.complete()

    api.reanalyze_job(older.id, user.id)  # pending, no worker: an unfinished job uses it
    set_cache_cap(monkeypatch, backend, 0)
    assert cleanup.clean_cache() == []
    assert reused.complete()

    backend.start_worker()  # its start-up sweep and the one after the job, with a cap of 0
    assert wait_for_status(older.id, {"completed", "failed"}, backend).status == "completed"
    wait_for(reused.gone, 30, "the finished job's entry to go", details=backend.logs_tail)
    assert jobs.get_job(older.id).status == "completed"

    api.reanalyze_job(older.id, user.id)  # its source is gone now: the run fails clearly
    assert wait_for_status(older.id, {"completed", "failed"}, backend).status == "completed"
    latest = runs.list_runs(older.id)[0]  # the job keeps its earlier clips; the run says why
    assert latest.run.status == "failed" and not latest.current
    assert "CACHE_MAX_GB" in (latest.run.error_message or "")


# --- permissions --------------------------------------------------------------------------------


def cli(*args: str, stdin: str = "") -> str:
    """`viralclipper ARGS` as an operator runs it on the server (pytest's marker left out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "viralclipper", *args],
        env={**env, "ALLOW_PRIVATE_URLS": "true"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def log_in_and_upload(server: AppServer, video: Path) -> None:
    """A real browser: register (a session file), then upload `video` on the jobs page."""
    from selenium.webdriver.common.by import By

    with chromium() as browser:
        browser.get(server.url("/"))  # a fresh instance: the first-run form
        wait_for(lambda: "Create the admin account" in browser.page_source, 15, "the setup form")
        for label, text in [
            ("Email", EMAIL),
            ("Password", PASSWORD),
            ("Repeat password", PASSWORD),
        ]:
            browser.find_element(By.CSS_SELECTOR, f"input[aria-label='{label}']").send_keys(text)
        create = "//button[normalize-space(.)='Create admin account']"
        browser.find_element(By.XPATH, create).click()
        wait_for(lambda: browser.title.startswith("Dashboard"), 15, "the dashboard")
        browser.get(server.url("/jobs"))
        wait_for(lambda: browser.title.startswith("Jobs"), 15, "the jobs page")
        browser.find_element(By.XPATH, "//button[normalize-space(.)='upload_fileUpload']").click()
        chooser = wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "input[type=file]"), 15, "the chooser"
        )
        chooser[0].send_keys(str(video))
        wait_for(lambda: jobs.count_jobs() == 1, 60, "the upload's job", details=server.output)


def test_the_data_dir_and_everything_in_it_is_private(videos: VideoServer, short_talk: SampleTalk):
    require("browser")
    data = get_settings().data_dir
    data.mkdir(mode=0o755)  # as an older version left it
    data.chmod(0o755)
    with app_server(data, ALLOW_PRIVATE_URLS="true") as server:  # with its embedded worker
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        log_in_and_upload(server, short_talk.path)
        cli("jobs", "add", videos.url("a.mp4"), "--user", EMAIL)
        finished = wait_for(
            lambda: len(done := jobs.list_jobs(status=["completed", "failed"])) == 2 and done,
            180,
            "both jobs to finish",
            details=server.output,
        )
        assert [j.status for j in finished] == ["completed"] * 2, server.output()

    downloaded = next(j for j in finished if j.source_url.startswith("http"))
    uploaded = next(j for j in finished if j is not downloaded)
    expected = [
        "viralclipper.db",
        "queue.db",
        "storage_secret",
        "sessions",
        Path(downloaded.media_path).relative_to(data),
        Path(uploaded.media_path).relative_to(data),  # uploads/...
        Path(downloaded.audio_path).relative_to(data),
        Path(clip_store.list_clips(job_id=downloaded.id)[0].video_path).relative_to(data),
        f"jobs/{downloaded.id}/transcript.json",
    ]
    assert [name for name in expected if not (data / name).exists()] == []
    assert list((data / "sessions").glob("*.json")), "no session was stored"
    wrong = {
        str(path.relative_to(data)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [data, *data.rglob("*")]
        if path != server.log  # the test's own file
        and stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)
    }
    assert wrong == {}
