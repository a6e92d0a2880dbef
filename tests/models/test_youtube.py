"""Connected channels: tokens encrypted at rest, Connect flows used once, publications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from viralclipper.config import get_settings
from viralclipper.models import session
from viralclipper.models.clips import count_clips, list_clips, replace_clips
from viralclipper.models.jobs import create_job
from viralclipper.models.tables import YouTubeAccount, utcnow
from viralclipper.models.users import create_user
from viralclipper.models.youtube import (
    TokenUnreadable,
    account_token,
    create_publication,
    decrypt_token,
    encrypt_token,
    find_account,
    publications_of,
    save_account,
    start_flow,
    store_token,
    take_flow,
    uploads_left_today,
)

TOKEN = '{"token": "ya29.secret-access", "refresh_token": "1//secret-refresh"}'


def test_tokens_are_encrypted_at_rest_and_read_back(database: str):
    user = create_user("a@example.com", "a long enough password")
    account = save_account(user.id, "UC1", "My channel", None, TOKEN)
    with session() as db:
        stored = db.exec(select(YouTubeAccount.token_encrypted)).one()
    assert "secret" not in stored
    assert account_token(account) == TOKEN
    store_token(account.id, TOKEN.replace("access", "renewed"))
    assert "renewed" in account_token(find_account(user.id, "my channel"))  # type: ignore[arg-type]


def test_another_instance_secret_cannot_read_them(database: str, monkeypatch):
    encrypted = encrypt_token(TOKEN)
    monkeypatch.setenv("STORAGE_SECRET", "another instance")
    get_settings.cache_clear()
    with pytest.raises(TokenUnreadable, match="connect the channel again"):
        decrypt_token(encrypted)


def test_a_flow_state_is_used_once_and_only_by_its_user(database: str):
    alice = create_user("alice@example.com", "a long enough password")
    bob = create_user("bob@example.com", "a long enough password")
    start_flow(alice.id, "state-1", "verifier-1")
    assert take_flow(bob.id, "state-1") is None
    assert take_flow(alice.id, "wrong") is None
    assert take_flow(alice.id, "state-1") == "verifier-1"
    assert take_flow(alice.id, "state-1") is None  # replayed


def test_reconnecting_a_channel_renews_it_and_a_clip_goes_to_several(database: str):
    user = create_user("a@example.com", "a long enough password")
    first = save_account(user.id, "UC1", "One", None, TOKEN)
    again = save_account(user.id, "UC1", "One renamed", "https://img/1.jpg", TOKEN)
    other = save_account(user.id, "UC2", "Two", None, TOKEN)
    assert again.id == first.id and other.id != first.id
    job = create_job(user.id, "https://example.com/v")
    (clip,) = replace_clips(job.id, [{"start": 0, "end": 10, "score": 80, "title": "Clip"}])
    left = uploads_left_today(10_000)
    for account in (again, other):
        create_publication(
            clip_id=clip.id,
            user_id=user.id,
            account_id=account.id,
            channel_id=account.channel_id,
            title="Clip",
        )
    assert [p.channel_id for p in publications_of([clip.id])[clip.id]] == ["UC2", "UC1"]
    assert uploads_left_today(10_000) == left - 2


def test_clips_filter_by_published_scheduled_and_not(database: str):
    user = create_user("a@example.com", "a long enough password")
    account = save_account(user.id, "UC1", "One", None, TOKEN)
    job = create_job(user.id, "https://example.com/v")
    live, later, failed, none = replace_clips(
        job.id,
        [{"start": i, "end": i + 5, "score": 50, "title": f"Clip {i}"} for i in range(4)],
    )
    for clip, status, at in (
        (live, "published", None),
        (later, "published", utcnow() + timedelta(days=1)),
        (failed, "failed", None),
    ):
        create_publication(
            clip_id=clip.id,
            user_id=user.id,
            account_id=account.id,
            channel_id="UC1",
            title=clip.title,
            status=status,
            publish_at=at,
        )

    def titles(which) -> set[str]:
        assert count_clips(user_id=user.id, published=which) == len(
            found := list_clips(user_id=user.id, published=which)
        )
        return {clip.title for clip in found}

    assert titles("published") == {live.title}
    assert titles("scheduled") == {later.title}
    assert titles("unpublished") == {failed.title, none.title}
