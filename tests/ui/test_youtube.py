"""Settings → YouTube (connect through the callback route, channels, quota, disconnect) and a
clip's Publish dialog with its live progress, against a fake Google on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from nicegui import ui
from nicegui.testing import User

from tests.fake_google import FakeGoogle, fake_google
from tests.ui.conftest import logged_in, open_dialogs
from tests.ui.data import make_completed_job
from tests.waiting import wait_for_async
from viralclipper.config import get_settings
from viralclipper.models import youtube as store
from viralclipper.models.clips import list_clips
from viralclipper.queue import youtube


@pytest.fixture
def google(tmp_path: Path, monkeypatch) -> Iterator[FakeGoogle]:
    with fake_google() as server:
        for key, value in server.env(tmp_path).items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield server
        get_settings.cache_clear()


def consent(user_id: int) -> str:
    """Go to (fake) Google, which consents at once; the callback path it sends the browser to."""
    answer = requests.get(youtube.connect_url(user_id), allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


async def test_without_client_secrets_the_admin_is_told_what_to_set(user: User) -> None:
    await logged_in(user)
    await user.open("/settings")
    await user.should_see("YOUTUBE_CLIENT_SECRETS")
    await user.should_see("http://localhost:8080/youtube/callback")


async def test_connect_shows_the_channel_and_disconnect_revokes(
    user: User, google: FakeGoogle
) -> None:
    account = await logged_in(user)
    await user.open(consent(account.id))
    await user.should_see("Connected Fake Channel.")
    await user.should_see("Uploads today: 0; 6 left")
    await user.should_see("YouTube keeps every video it uploads private")
    (channel,) = store.list_accounts(account.id)
    user.find(marker=f"disconnect-{channel.id}").click()
    await wait_for_async(lambda: open_dialogs(user))
    user.find(marker="confirm").click()
    await user.should_see("Disconnected Fake Channel.")
    assert google.revoked and store.list_accounts(account.id) == []


async def test_a_forged_or_replayed_callback_is_refused(user: User, google: FakeGoogle) -> None:
    account = await logged_in(user)
    callback = consent(account.id)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    await user.open(f"/youtube/callback?state=forged&code={code}")
    await user.should_see("This sign-in is unknown, already used or expired")
    await user.open(callback)
    await user.should_see("Connected Fake Channel.")
    await user.open(callback)
    await user.should_see("This sign-in is unknown, already used or expired")
    assert len(store.list_accounts(account.id)) == 1


async def test_publish_a_clip_and_watch_it_finish(user: User, google: FakeGoogle) -> None:
    account = await logged_in(user)
    await user.open(consent(account.id))
    job = make_completed_job(account.id)
    clip = list_clips(job_id=job.id)[0]
    await user.open("/clips")
    user.find(marker=f"publish-{clip.id}").click()
    await user.should_see("Shorts take no custom thumbnail")
    await user.should_see("#Shorts")
    user.find(marker="publish-send").click()
    await user.should_see("Say whether the video is made for kids")
    with user:
        (kids,) = [e for e in user.find(marker="made-for-kids").elements]
        kids.value = False
    user.find(marker="publish-send").click()
    publication = await wait_for_async(
        lambda: next(iter(store.publications_of([clip.id])[clip.id]), None), 10, "a publication"
    )
    youtube.run_publication(publication.id)  # what the worker does
    await user.should_see("Fake Channel: published (private)", retries=50)
    with user:
        (bar,) = [e for e in user.find(marker="publish-progress").elements]
        assert isinstance(bar, ui.linear_progress) and bar.value == 1.0
    assert google.videos[0]["snippet"]["title"] == clip.title
    user.find("Close").click()
    user.find(marker="published-filter").elements.pop().set_value("unpublished")
    await user.should_not_see(marker=f"clip-{clip.id}", retries=20)
    user.find(marker="published-filter").elements.pop().set_value("published")
    await user.should_see(marker=f"clip-{clip.id}", retries=20)
    await user.should_see(marker=f"youtube-link-{clip.id}")
    await user.open(f"/jobs/{job.id}")
    await user.should_see(marker=f"youtube-link-{clip.id}")


async def test_a_failed_upload_is_tried_again_and_resumes(user: User, google: FakeGoogle) -> None:
    account = await logged_in(user)
    await user.open(consent(account.id))
    clip = list_clips(job_id=make_completed_job(account.id).id)[0]
    (channel,) = store.list_accounts(account.id)
    publication = youtube.publish(account.id, clip.id, channel.id, youtube.suggested_details(clip))
    data = Path(clip.video_path).read_bytes()  # type: ignore[arg-type]
    session = f"{google.base}/upload/session/1"
    google.uploads[session] = bytearray(data[:100])  # what YouTube confirmed before it broke
    google.videos.append({})
    store.update_publication(
        publication.id, status="failed", error="The upload kept failing", upload_session=session
    )
    await user.open("/clips")
    user.find(marker=f"publish-{clip.id}").click()
    await user.should_see("Fake Channel: failed: The upload kept failing")
    user.find(marker=f"retry-{publication.id}").click()
    await wait_for_async(lambda: store.get_publication(publication.id).status == "queued")  # type: ignore[union-attr]
    youtube.run_publication(publication.id)
    await user.should_see("Fake Channel: published (private)", retries=50)
    assert bytes(google.uploads[session]) == data
