"""YouTube channels users connected (their OAuth tokens encrypted at rest), Connect flows in
progress, and the clips' publications."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, update
from sqlmodel import col, delete, select

from viralclipper.models.db import session
from viralclipper.models.instance import instance_secret
from viralclipper.models.tables import (
    YouTubeAccount,
    YouTubeOAuthState,
    YouTubePublication,
    utcnow,
)

Privacy = Literal["private", "unlisted", "public"]
PRIVACIES: tuple[Privacy, ...] = ("private", "unlisted", "public")
PublicationStatus = Literal["queued", "uploading", "published", "failed"]
FLOW_LIFETIME = timedelta(minutes=15)  # a Connect flow not finished by then is refused
# YouTube's quota day starts at midnight Pacific time.
QUOTA_DAY_ZONE = ZoneInfo("America/Los_Angeles")
UPLOAD_COST = 1600  # quota units per videos.insert


class TokenUnreadable(Exception):  # noqa: N818
    """The stored token cannot be decrypted (the instance secret changed)."""


def _fernet() -> Fernet:
    """The token cipher: a key derived from the instance secret (HKDF-SHA256)."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"viralclipper youtube tokens"
    ).derive(instance_secret().encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_token(token_json: str) -> str:
    return _fernet().encrypt(token_json.encode()).decode()


def decrypt_token(encrypted: str) -> str:
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken:
        raise TokenUnreadable(
            "This channel's saved sign-in cannot be read (the instance secret changed): "
            "connect the channel again."
        ) from None


# Connect flows -------------------------------------------------------------------------------


def start_flow(user_id: int, state: str, code_verifier: str) -> None:
    """Keep a new flow's state and PKCE verifier for `user_id` (and forget their stale ones)."""
    with session() as db:
        db.exec(
            delete(YouTubeOAuthState).where(
                col(YouTubeOAuthState.created_at) < utcnow() - FLOW_LIFETIME
            )
        )
        db.add(YouTubeOAuthState(state=state, user_id=user_id, code_verifier=code_verifier))


def take_flow(user_id: int, state: str) -> str | None:
    """The PKCE verifier of `user_id`'s flow with this state, used up by this call; None when no
    such flow exists (a wrong or replayed state, another user's, or one too old)."""
    with session() as db:
        row = db.get(YouTubeOAuthState, state)
        if row is None or row.user_id != user_id:
            return None
        db.delete(row)
        if row.created_at < utcnow() - FLOW_LIFETIME:
            return None
        return row.code_verifier


# Accounts ------------------------------------------------------------------------------------


def save_account(
    user_id: int, channel_id: str, title: str, thumbnail: str | None, token_json: str
) -> YouTubeAccount:
    """Store a connected channel for the user, or renew its token if it was connected before."""
    with session() as db:
        account = db.exec(
            select(YouTubeAccount).where(
                YouTubeAccount.user_id == user_id, YouTubeAccount.channel_id == channel_id
            )
        ).first() or YouTubeAccount(user_id=user_id, channel_id=channel_id, token_encrypted="")
        account.channel_title = title
        account.channel_thumbnail = thumbnail
        account.token_encrypted = encrypt_token(token_json)
        account.needs_reconnect = False
        db.add(account)
        db.flush()
        db.refresh(account)
        return account


def list_accounts(user_id: int) -> list[YouTubeAccount]:
    query = select(YouTubeAccount).where(YouTubeAccount.user_id == user_id)
    with session() as db:
        return list(db.exec(query.order_by(col(YouTubeAccount.id))).all())


def get_account(account_id: int, user_id: int | None = None) -> YouTubeAccount | None:
    """The account; None when it does not exist or (with `user_id`) is someone else's."""
    with session() as db:
        account = db.get(YouTubeAccount, account_id)
    if account is None or (user_id is not None and account.user_id != user_id):
        return None
    return account


def find_account(user_id: int, name: str) -> YouTubeAccount | None:
    """The user's channel whose title (case-insensitive) or channel id is `name`."""
    for account in list_accounts(user_id):
        if name in (account.channel_id, str(account.id)) or (
            (account.channel_title or "").casefold() == name.casefold()
        ):
            return account
    return None


def account_token(account: YouTubeAccount) -> str:
    """The account's OAuth token as JSON (TokenUnreadable if it cannot be decrypted)."""
    return decrypt_token(account.token_encrypted)


def store_token(account_id: int, token_json: str) -> None:
    """Keep a refreshed token."""
    _update_account(account_id, token_encrypted=encrypt_token(token_json), needs_reconnect=False)


def mark_needs_reconnect(account_id: int) -> None:
    _update_account(account_id, needs_reconnect=True)


def _update_account(account_id: int, **values: Any) -> None:
    with session() as db:
        db.exec(update(YouTubeAccount).where(col(YouTubeAccount.id) == account_id).values(**values))


def delete_account(account_id: int) -> None:
    """Forget the channel (its publications keep their channel's id and title)."""
    with session() as db:
        db.exec(delete(YouTubeAccount).where(col(YouTubeAccount.id) == account_id))


# Publications --------------------------------------------------------------------------------


def create_publication(**fields: Any) -> YouTubePublication:
    with session() as db:
        row = YouTubePublication(**fields)
        db.add(row)
        db.flush()
        db.refresh(row)
        return row


def get_publication(publication_id: int, user_id: int | None = None) -> YouTubePublication | None:
    with session() as db:
        row = db.get(YouTubePublication, publication_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        return None
    return row


def update_publication(publication_id: int, **fields: Any) -> YouTubePublication:
    with session() as db:
        db.exec(
            update(YouTubePublication)
            .where(col(YouTubePublication.id) == publication_id)
            .values(updated_at=utcnow(), **fields)
        )
        return db.get_one(YouTubePublication, publication_id, populate_existing=True)


def claim_publication(publication_id: int) -> bool:
    """Start a queued publication's upload: True for the one caller that moved it from queued to
    uploading (a second task for it, or one for a publication no longer queued, gets False)."""
    return _move_publication(
        publication_id,
        col(YouTubePublication.status) == "queued",
        status="uploading",
        error=None,
    )


def stalled_uploads(before: datetime) -> list[int]:
    """Publications uploading without progress since `before` (oldest first)."""
    query = (
        select(YouTubePublication.id)
        .where(col(YouTubePublication.status) == "uploading")
        .where(col(YouTubePublication.updated_at) < before)
        .order_by(col(YouTubePublication.updated_at))
    )
    with session() as db:
        return list(db.exec(query).all())


def requeue_stalled(publication_id: int, before: datetime) -> bool:
    """Queue a stalled upload again (its resumable session kept); True for the one caller that
    did, False when it moved meanwhile."""
    return _move_publication(
        publication_id,
        col(YouTubePublication.status) == "uploading",
        col(YouTubePublication.updated_at) < before,
        status="queued",
    )


def _move_publication(publication_id: int, *conditions: Any, **fields: Any) -> bool:
    """Change the publication only while `conditions` hold, in one statement: True if it did."""
    statement = (
        update(YouTubePublication)
        .where(col(YouTubePublication.id) == publication_id, *conditions)
        .values(updated_at=utcnow(), **fields)
    )
    with session() as db:
        return db.exec(statement).rowcount == 1


def publications_of(clip_ids: list[int]) -> dict[int, list[YouTubePublication]]:
    """Each clip's publications, newest first, in one query."""
    query = (
        select(YouTubePublication)
        .where(col(YouTubePublication.clip_id).in_(clip_ids))
        .order_by(col(YouTubePublication.id).desc())
    )
    found: dict[int, list[YouTubePublication]] = {clip_id: [] for clip_id in clip_ids}
    with session() as db:
        for row in db.exec(query).all():
            found[row.clip_id].append(row)
    return found


def quota_day_start(now: datetime | None = None) -> datetime:
    """When the current YouTube quota day began (midnight Pacific time)."""
    local = (now or utcnow()).astimezone(QUOTA_DAY_ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def uploads_today() -> int:
    """Uploads started on this instance since the quota day began (the quota is the Google
    project's: every user's uploads count)."""
    query = (
        select(func.count())
        .select_from(YouTubePublication)
        .where(col(YouTubePublication.created_at) >= quota_day_start())
    )
    with session() as db:
        return db.exec(query).one()


def uploads_left_today(daily_quota: int) -> int:
    return max(0, daily_quota // UPLOAD_COST - uploads_today())
