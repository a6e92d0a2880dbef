"""A worker's heartbeat while its database is unreachable: one warning with its traceback, not
one per beat (a worker beats every recovery interval), and one line when it answers again. The
database is a Postgres URL on a free loopback port where nothing listens, then the real one."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import reset_process_state
from tests.pg import throwaway_database
from tests.ui.browser import free_port
from viralclipper.models import upgrade_database
from viralclipper.queue.health import WorkerBeats


@pytest.mark.postgres
def test_a_heartbeat_outage_is_logged_once_and_its_end_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_database("vc_beats") as url:
        upgrade_database(url)
        nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
        monkeypatch.setenv("DATABASE_URL", nowhere)
        reset_process_state()
        beats = WorkerBeats()
        with caplog.at_level(logging.WARNING, logger="viralclipper.queue.health"):
            for _ in range(3):
                beats.beat()
            monkeypatch.setenv("DATABASE_URL", url)
            reset_process_state()
            beats.beat()
            beats.beat()
        reset_process_state()
    lines = [record for record in caplog.records if record.name == "viralclipper.queue.health"]
    assert [("unreachable" in r.message, "answers again" in r.message) for r in lines] == [
        (True, False),
        (False, True),
    ]
    assert lines[0].exc_info is not None and lines[1].exc_info is None
