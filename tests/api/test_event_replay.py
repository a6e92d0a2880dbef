"""What a reconnecting event-stream client is sent first (`Last-Event-ID`), on both databases:
the jobs that may have changed since its last event, a change that committed late included,
without the event it named itself. (Over HTTP: tests/api/test_end_to_end.py.)"""

# ruff: noqa: F401, F811 - the models' fixtures are imported by name

from __future__ import annotations

from datetime import timedelta

from sqlmodel import update

from tests.models.conftest import add_user, database, postgres_url
from viralclipper.api.events import _event_id, missed
from viralclipper.models import jobs, session
from viralclipper.models.tables import Job
from viralclipper.queue.transport import JobUpdate


def stamp(job_id: int, seconds_before: float, now) -> None:
    with session() as db:
        changed = now - timedelta(seconds=seconds_before)
        db.exec(update(Job).where(Job.id == job_id).values(updated_at=changed))


def test_a_reconnection_gets_late_commits_but_not_its_own_last_event(database: str) -> None:
    ann, bob = add_user("ann@example.com"), add_user("bob@example.com")
    last, late, old = (jobs.create_job(ann.id, f"https://example.com/{n}.mp4", {}) for n in "abc")
    theirs = jobs.create_job(bob.id, "https://example.com/d.mp4", {})
    now = jobs.get_job(last.id).updated_at
    for job, seconds_before in ((last, 0), (late, 2), (old, 60), (theirs, 1)):
        stamp(job.id, seconds_before, now)
    seen = _event_id(JobUpdate.of(jobs.get_job(last.id)))

    assert [update.id for update in missed(ann.id, seen)] == [late.id]
    assert missed(ann.id, None) == missed(ann.id, "not an event id") == []
