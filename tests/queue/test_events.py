"""Live updates without workers: the embedded poller and Redis pub/sub behind one subscribe()."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import update

from tests.queue.conftest import Backend
from tests.waiting import wait_for
from viralclipper.config import get_settings
from viralclipper.models import jobs, session
from viralclipper.models.tables import Job, utcnow
from viralclipper.models.users import create_user
from viralclipper.queue.events import publish, subscribe
from viralclipper.queue.transport import DatabasePoller, JobUpdate, RedisChannel


class Recorder:
    def __init__(self) -> None:
        self.updates: list[tuple[int, float]] = []
        self.lock = threading.Lock()

    def __call__(self, update: JobUpdate) -> None:
        with self.lock:
            self.updates.append((update.id, update.progress))

    def has(self, job_id: int, progress: float) -> bool:
        with self.lock:
            return (job_id, progress) in self.updates


def write_progress(job_id: int, progress: float) -> None:
    publish(jobs.set_progress(job_id, progress))


def test_each_user_hears_only_their_own_jobs(backend: Backend):
    alice = create_user("alice@example.com", "a long password")
    bob = create_user("bob@example.com", "a long password")
    alices, bobs = (
        jobs.create_job(alice.id, "https://a.example/v", {}),
        jobs.create_job(bob.id, "https://b.example/v", {}),
    )
    heard_by_alice, heard_by_all = Recorder(), Recorder()
    stop_alice, stop_all = subscribe(alice.id, heard_by_alice), subscribe(None, heard_by_all)
    try:
        write_progress(bobs.id, 11)
        write_progress(alices.id, 12)
        wait_for(lambda: heard_by_alice.has(alices.id, 12), 5, "alice's update")
        wait_for(lambda: heard_by_all.has(bobs.id, 11), 5, "bob's update for the admin view")
        assert not heard_by_alice.has(bobs.id, 11)
    finally:
        stop_alice()
        stop_all()


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
def test_a_change_stamped_early_but_committed_late_is_still_delivered(backend: Backend):
    owner = create_user("late@example.com", "a long password")
    early, late = (jobs.create_job(owner.id, f"https://x.example/{i}", {}) for i in range(2))
    with session() as db:  # created a while ago, so that a stamp 1 s ago is newer than that
        ten_seconds_ago = utcnow() - timedelta(seconds=10)
        db.exec(update(Job).values(created_at=ten_seconds_ago, updated_at=ten_seconds_ago))
    heard = Recorder()
    unsubscribe = subscribe(owner.id, heard)
    try:
        write_progress(late.id, 5)
        wait_for(lambda: heard.has(late.id, 5), 5, "the later-stamped change")
        # a writer stamped its change 1 s ago, then waited for SQLite's lock
        with session() as db:
            db.exec(
                update(Job)
                .where(Job.id == early.id)
                .values(progress=7, updated_at=utcnow() - timedelta(seconds=1))
            )
        wait_for(lambda: heard.has(early.id, 7), 5, "the change committed late")
    finally:
        unsubscribe()


class FreezingProxy:
    """A TCP proxy on 127.0.0.1 to the test Redis that, once frozen, keeps every connection
    open and passes nothing either way: a Redis that hangs after answering for a while."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.frozen = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed
            while True:
                client = self.sock.accept()[0]
                server = socket.create_connection(("127.0.0.1", self.target))
                self.open += [client, server]
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self.frozen.is_set():
                    sink.sendall(data)

    def close(self) -> None:
        self.sock.close()
        for connection in self.open:
            connection.close()


QUICK = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def listening(channel: RedisChannel, heard: Recorder) -> tuple[threading.Event, threading.Event]:
    ready, stop = threading.Event(), threading.Event()
    threading.Thread(target=channel.listen, args=(heard, ready, stop), daemon=True).start()
    return ready, stop


@pytest.mark.parametrize("backend", ["scaled"], indirect=True)
def test_a_redis_that_stops_answering_the_subscriber_hands_over_to_the_database(
    backend: Backend, caplog: pytest.LogCaptureFixture
):
    owner = create_user("hung@example.com", "a long password")
    job = jobs.create_job(owner.id, "https://example.com/v", {})
    redis_port = urlsplit(get_settings().redis_url or "").port or 6379
    proxy = FreezingProxy(redis_port)
    url = f"redis://127.0.0.1:{proxy.port}/0"
    channel = RedisChannel(url, get_settings().queue_name, QUICK, DatabasePoller(False))
    heard = Recorder()
    ready, stop = listening(channel, heard)
    try:
        assert ready.wait(5)
        assert "lost Redis" not in caplog.text
        proxy.frozen.set()  # subscribed, then Redis hangs: the subscriber hears silence
        wait_for(lambda: "lost Redis" in caplog.text, 10, "the subscriber to notice")
        jobs.set_progress(job.id, 33)
        wait_for(lambda: heard.has(job.id, 33), 5, "the update, read from the database")
    finally:
        stop.set()
        proxy.close()


@pytest.mark.parametrize("backend", ["scaled"], indirect=True)
def test_an_idle_subscriber_stays_on_redis(backend: Backend, caplog: pytest.LogCaptureFixture):
    owner = create_user("idle@example.com", "a long password")
    job = jobs.create_job(owner.id, "https://example.com/v", {})
    url = get_settings().redis_url
    assert url
    channel = RedisChannel(url, get_settings().queue_name, QUICK, DatabasePoller(False))
    heard = Recorder()
    ready, stop = listening(channel, heard)
    try:
        assert ready.wait(5)
        time.sleep(4 * QUICK["socket_timeout"])  # idle: pinged, and answered
        # an update only Redis carries (the row does not change)
        channel.publish(JobUpdate.of(jobs.get_job(job.id)).model_copy(update={"progress": 77.0}))
        wait_for(lambda: heard.has(job.id, 77.0), 5, "the update over Redis")
        assert "lost Redis" not in caplog.text
    finally:
        stop.set()
