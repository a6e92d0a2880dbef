"""Personal API tokens: `vc_` and 32 random bytes, shown once; only their SHA-256 is stored.

A token's secret has 256 bits of entropy, so one unsalted SHA-256 is enough (nothing to
brute-force, unlike a password), and it lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.tables import ApiToken, User, utcnow

TOKEN_PREFIX = "vc_"
SHOWN_CHARS = 8  # of the secret, kept in clear to tell tokens apart
MAX_NAME_CHARS = 100
# last use is written at most this often per token (every request would be a write)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def create_token(user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new token for the user: (its row, its secret). The secret is never stored or shown
    again. ValueError with a sentence for a bad name."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name, e.g. what will use it.")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"A token's name may have at most {MAX_NAME_CHARS} characters.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + SHOWN_CHARS],
    )
    with session() as db:
        db.add(token)
        db.flush()
        db.refresh(token)
    return token, secret


def list_tokens(user_id: int) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    with session() as db:
        query = (
            select(ApiToken)
            .where(ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None))
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        )
        return list(db.exec(query).all())


def revoke_token(token_id: int, user_id: int) -> bool:
    """Revoke one of the user's tokens; False when the user has no such live token."""
    with session() as db:
        token = db.get(ApiToken, token_id)
        if token is None or token.user_id != user_id or token.revoked_at is not None:
            return False
        token.revoked_at = utcnow()
        db.add(token)
    return True


def user_for_token(secret: str) -> User | None:
    """The owner of a live token (and its last use noted); None for anything else."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    with session() as db:
        token = db.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
        if token is None or token.revoked_at is not None:
            return None
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            token.last_used_at = now
            db.add(token)
        return db.get(User, token.user_id)
