"""Users' webhooks (the URL rule and the sending live in queue/webhooks.py)."""

from __future__ import annotations

import secrets

from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.tables import Webhook

MAX_WEBHOOKS = 10  # per user


def create_webhook(user_id: int, url: str) -> Webhook:
    """A webhook with a fresh secret; ValueError when the user has MAX_WEBHOOKS already."""
    with session() as db:
        count = len(db.exec(select(Webhook.id).where(Webhook.user_id == user_id)).all())
        if count >= MAX_WEBHOOKS:
            raise ValueError(f"You have {MAX_WEBHOOKS} webhooks, the most there may be.")
        webhook = Webhook(user_id=user_id, url=url, secret=secrets.token_hex(32))
        db.add(webhook)
        db.flush()
        db.refresh(webhook)
    return webhook


def list_webhooks(user_id: int) -> list[Webhook]:
    with session() as db:
        query = select(Webhook).where(Webhook.user_id == user_id).order_by(col(Webhook.id))
        return list(db.exec(query).all())


def get_webhook(webhook_id: int) -> Webhook | None:
    with session() as db:
        return db.get(Webhook, webhook_id)


def delete_webhook(webhook_id: int, user_id: int) -> bool:
    """Delete one of the user's webhooks; False when the user has no such webhook."""
    with session() as db:
        webhook = db.get(Webhook, webhook_id)
        if webhook is None or webhook.user_id != user_id:
            return False
        db.delete(webhook)
    return True
