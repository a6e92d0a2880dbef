"""Publishing through the API: the connected channels, a clip published to one (a fake Google on
127.0.0.1, a real worker), its publication's state; another user's clip or publication is 404."""

# ruff: noqa: F401, F811 - the fixtures are imported by name

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.conftest import account, client
from tests.fake_google import FakeGoogle
from tests.queue.conftest import Backend, backend, user
from tests.queue.test_youtube import connect, google, make_clip, wait_published
from viralclipper.models import tokens
from viralclipper.models.tables import User


async def test_publish_a_clip_and_follow_it(
    backend: Backend, user: User, google: FakeGoogle, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {tokens.create_token(user.id, 'api')[1]}"}
    _, other = account("eve@example.com")
    channel = connect(user)
    clip = make_clip(user, tmp_path)
    listed = (await client.get("/api/v1/youtube/channels", headers=headers)).json()
    assert [c["id"] for c in listed] == [channel.id]
    assert (await client.get("/api/v1/youtube/channels", headers=other)).json() == []

    url = f"/api/v1/clips/{clip.id}/publish"
    body = {"account_id": channel.id, "title": "From the API", "privacy": "unlisted"}
    assert (await client.post(url, json=body, headers=other)).status_code == 404
    refused = await client.post(url, json={**body, "account_id": 999}, headers=headers)
    assert refused.status_code == 400 and "channel" in refused.json()["detail"]
    made = await client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.text
    publication = made.json()
    assert publication["status"] == "queued" and publication["title"] == "From the API"

    backend.start_worker()
    assert wait_published(publication["id"], backend).status == "published"
    state = f"/api/v1/youtube/publications/{publication['id']}"
    done = (await client.get(state, headers=headers)).json()
    assert done["status"] == "published" and done["url"].endswith(done["youtube_id"])
    assert google.videos[0]["status"]["privacyStatus"] == "unlisted"
    assert (await client.get(state, headers=other)).status_code == 404
