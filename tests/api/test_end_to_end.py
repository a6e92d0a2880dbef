"""The API against a real `viralclipper serve` on both backends, with real tokens and workers:
create a job -> its updates on the event stream -> completed -> download a clip; and a progress
update reaches the stream within a second."""

# ruff: noqa: F401, F811 - the queue's fixtures are imported by name

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from tests.queue.conftest import Backend, backend, short_talk, site
from tests.ui.browser import AppServer, app_server
from tests.ui.conftest import PASSWORD
from tests.waiting import wait_for
from viralclipper.models import jobs, tokens, users
from viralclipper.queue.events import publish


class EventStream:
    """GET /api/v1/events read on a thread; `events` collects each event's data."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = last_event_id
        self.events: list[dict] = []
        self.ids: list[str] = []  # each event's id, as sent
        self.listening = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.socket: socket.socket | None = None

    def _read(self) -> None:
        with (
            suppress(httpx.HTTPError, RuntimeError),
            self.client.stream("GET", self.url, headers=self.headers) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            self.socket = response.extensions["network_stream"].get_extra_info("socket")
            for line in response.iter_lines():
                if line.startswith(": listening"):
                    self.listening.set()
                elif line.startswith("id: "):
                    self.ids.append(line.removeprefix("id: "))
                elif line.startswith("data: "):
                    self.events.append(json.loads(line.removeprefix("data: ")))

    def close(self) -> None:
        """Hang up now: closing the client alone waits for the reader's next line (a keep-alive
        comes every 15 s), and the server's shutdown waits for the open stream."""
        if self.socket is not None:
            with suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.client.close()

    def seen(self, job_id: int, **fields) -> dict | None:
        for event in list(self.events):
            if event["id"] == job_id and all(event.get(k) == v for k, v in fields.items()):
                return event
        return None


@contextmanager
def event_stream(
    server: AppServer, token: str, last_event_id: str | None = None
) -> Iterator[EventStream]:
    stream = EventStream(server.url("/api/v1/events"), token, last_event_id)
    stream.thread.start()
    try:
        assert stream.listening.wait(15), "the event stream did not open"
        yield stream
    finally:
        stream.close()


@contextmanager
def served(backend: Backend) -> Iterator[AppServer]:
    """The web app on this backend (embedded: it runs its worker; scaled: one worker beside)."""
    backend.env["LOG_FORMAT"] = "json"
    settings = dict(backend.env)
    data_dir = Path(settings.pop("VIRALCLIPPER_DATA_DIR"))
    with app_server(data_dir, **settings) as server:
        if backend.name == "scaled":
            backend.start_worker()
        yield server


def token_for(email: str) -> tuple[int, str]:
    user = users.create_user(email, PASSWORD)
    return user.id, tokens.create_token(user.id, "e2e")[1]


def test_create_stream_complete_and_download(backend: Backend, site) -> None:
    _, token = token_for("ann@example.com")
    _, other = token_for("bob@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    with served(backend) as server, event_stream(server, token) as stream:
        made = httpx.post(
            server.url("/api/v1/jobs"), json={"url": site.url("short.mp4")}, headers=auth
        )
        assert made.status_code == 201, made.text
        job_id = made.json()["id"]
        wait_for(
            lambda: stream.seen(job_id, status="completed"),
            180,
            "the completed job on the event stream",
            details=lambda: server.output() + backend.logs_tail(),
        )
        assert stream.seen(job_id, status="transcribing")  # the stages went by on the stream

        clips = httpx.get(server.url(f"/api/v1/jobs/{job_id}/clips"), headers=auth).json()
        assert clips, "the job made no clips"
        video = httpx.get(server.url(clips[0]["video_url"]), headers=auth)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"  # an MP4
        part = httpx.get(server.url(clips[0]["video_url"]), headers={**auth, "Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == video.content[:100]

        theirs = {"Authorization": f"Bearer {other}"}
        assert httpx.get(server.url(clips[0]["video_url"]), headers=theirs).status_code == 404
        assert httpx.get(server.url(f"/api/v1/jobs/{job_id}"), headers=theirs).status_code == 404
        logs = server.log.read_text() + backend.worker_logs()
        assert {"download", "transcribe", "analyze", "slice"} <= stage_lines(logs, job_id)
        health = httpx.get(server.url("/health"))
        assert health.status_code == 200, health.text
        assert health.json()["workers"]["alive"] >= 1


def stage_lines(logs: str, job_id: int) -> set[str]:
    """The stages with a LOG_FORMAT=json line of their own for the job, with a duration."""
    stages = set()
    for line in logs.splitlines():
        with suppress(ValueError):
            entry = json.loads(line)
            if entry.get("job_id") == job_id and isinstance(entry.get("seconds"), float):
                stages.add(entry["stage"])
    return stages


def test_a_progress_update_reaches_the_stream_within_a_second(backend: Backend) -> None:
    user_id, token = token_for("ann@example.com")
    other_id, _ = token_for("bob@example.com")
    mine = jobs.create_job(user_id, "https://example.com/a.mp4", {})
    theirs = jobs.create_job(other_id, "https://example.com/b.mp4", {})
    with served(backend) as server, event_stream(server, token) as stream:
        for job in (theirs, mine):  # what a worker does on a progress report
            publish(jobs.set_progress(job.id, 42.0, "downloading the video"))
        wait_for(lambda: stream.seen(mine.id, progress=42.0), 1.0, "the update within 1 s")
        assert stream.seen(mine.id)["current_step"] == "downloading the video"
        assert not stream.seen(theirs.id)  # only the token owner's jobs


def test_a_reconnection_with_last_event_id_gets_what_it_missed(backend: Backend) -> None:
    user_id, token = token_for("ann@example.com")
    seen, missed = (jobs.create_job(user_id, f"http://127.0.0.1:9/{n}.mp4", {}) for n in "ab")
    with served(backend) as server:
        with event_stream(server, token) as stream:
            publish(jobs.set_progress(seen.id, 10.0, "downloading the video"))
            wait_for(lambda: stream.seen(seen.id, progress=10.0), 5, "the first update")
            last_id = stream.ids[-1]
        publish(jobs.set_progress(missed.id, 55.0, "downloading the video"))  # while away
        with event_stream(server, token, last_event_id=last_id) as again:
            wait_for(lambda: again.seen(missed.id, progress=55.0), 5, "the update it missed")
            assert not again.seen(seen.id)  # what it got before is not sent again
