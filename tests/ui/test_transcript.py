"""The job page's transcript view: as light for a 2-hour video as for a minute-long one, and
searched on the server."""

from __future__ import annotations

import json
from pathlib import Path

from nicegui.testing import User

from tests.ui.conftest import logged_in
from tests.ui.data import long_transcript, make_completed_job
from tests.waiting import wait_for_async
from viralclipper.models.tables import Job
from viralclipper.ui.transcript import HEAD_LINES

TWO_HOURS = 7200.0


def with_long_transcript(job: Job) -> Job:
    Path(job.transcript_path).write_text(json.dumps(long_transcript(TWO_HOURS)))
    return job


async def element_count(user: User, job: Job) -> int:
    await user.open(f"/jobs/{job.id}")
    await user.should_see("Search the transcript")
    return len(user._client.elements)


async def test_a_two_hour_transcript_builds_as_many_elements_as_a_short_one(user: User) -> None:
    account = await logged_in(user)
    short = make_completed_job(account.id, "Short talk")
    long = with_long_transcript(make_completed_job(account.id, "Long talk"))

    elements = await element_count(user, long)
    head = user.find(marker="transcript").elements.pop().props["head"]
    assert head[:2] == [
        [0.0, 2.9, "Point 0 is about the launch."],
        [4.0, 6.4, "Point 1 is about hiring."],
    ]
    assert len(head) == HEAD_LINES  # the first screen, drawn at once; the rest is fetched
    assert elements == await element_count(user, short)

    lines = (await user.http_client.get(f"/media/jobs/{long.id}/lines.json")).json()
    assert len(lines) == TWO_HOURS / 4  # a line every 4 s, fetched by the browser
    assert lines[-1] == [7196.0, 7198.9, "Point 1799 is about the pivot."]


async def test_the_search_finds_a_line_from_the_end(user: User) -> None:
    account = await logged_in(user)
    job = with_long_transcript(make_completed_job(account.id, "Long talk"))
    await user.open(f"/jobs/{job.id}")
    view = user.find(marker="transcript").elements.pop()
    assert view.props["found"] is None  # every line

    user.find(marker="transcript-search").type("point 1799")
    await user.should_see("1 line matches")
    assert view.props["found"] == [1799] and view.props["query"] == "point 1799"

    user.find(marker="transcript-search").clear().type("pivot")
    await user.should_see("300 lines match")  # one line in six is about the pivot
    assert view.props["found"][-1] == 1799

    user.find(marker="transcript-search").clear()
    await wait_for_async(lambda: view.props["found"] is None)
    await user.should_not_see("lines match")
