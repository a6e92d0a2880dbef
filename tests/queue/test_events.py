"""Live updates without workers: the embedded poller and Redis pub/sub behind one subscribe()."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import update

from tests.queue.conftest import Backend
from tests.waiting import wait_for
from viralclipper.models import jobs, session
from viralclipper.models.tables import Job, utcnow
from viralclipper.models.users import create_user
from viralclipper.queue.events import publish, subscribe
from viralclipper.queue.transport import JobUpdate


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
