"""A job's own options through the REST API: the same as the web app's options panel
(config.SubmitOptions), over the user's settings, for a URL and for an upload."""

from __future__ import annotations

import httpx

from tests.api.conftest import account
from viralclipper.models import jobs
from viralclipper.models.settings import save_user_settings
from viralclipper.pipeline.sample import SampleTalk

MINE = {"output_format": "horizontal", "max_clips": 3, "captions": "none"}


async def test_the_api_takes_the_same_options(client: httpx.AsyncClient) -> None:
    me, headers = account("ann@example.com")
    save_user_settings(me.id, **MINE)
    made = await client.post(
        "/api/v1/jobs",
        json={"url": "http://127.0.0.1:9/talk.mp4", "options": {"max_clips": 7}},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    snapshot = jobs.get_job(made.json()["id"]).clip_settings
    assert (snapshot.max_clips, snapshot.output_format, snapshot.captions) == (
        7,
        "horizontal",  # left out: mine
        "none",
    )
    too_short = {"min_clip_seconds": 90, "max_clip_seconds": 20}
    for bad in ({"max_clips": 0}, {"colour": "red"}, too_short):
        refused = await client.post(
            "/api/v1/jobs",
            json={"url": "http://127.0.0.1:9/talk.mp4", "options": bad},
            headers=headers,
        )
        assert refused.status_code == 422, bad
        assert refused.json()["detail"]
    assert len(jobs.list_jobs(me.id)) == 1


async def test_an_upload_takes_the_options_as_fields(
    client: httpx.AsyncClient, sample_talk: SampleTalk
) -> None:
    me, headers = account("ann@example.com")
    made = await client.post(
        "/api/v1/jobs/upload",
        files={"file": ("talk.mp4", sample_talk.path.read_bytes(), "video/mp4")},
        data={"max_clips": "4", "output_format": "vertical"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    snapshot = jobs.get_job(made.json()["id"]).clip_settings
    assert (snapshot.max_clips, snapshot.output_format) == (4, "vertical")
    refused = await client.post(
        "/api/v1/jobs/upload",
        files={"file": ("talk.mp4", sample_talk.path.read_bytes(), "video/mp4")},
        data={"max_clips": "lots"},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["detail"]
    assert len(jobs.list_jobs(me.id)) == 1
