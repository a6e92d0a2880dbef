"""/api/v1/webhooks: URLs that hear `job.completed` and `job.failed` for the token owner's jobs.

Each POST carries `X-ViralClipper-Event`, `X-ViralClipper-Timestamp` and
`X-ViralClipper-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret>`;
a receiver that does not answer 2xx is tried again with a doubling delay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, Field

from viralclipper.api.auth import TokenUser
from viralclipper.api.schemas import MAX_ID
from viralclipper.models import webhooks as store
from viralclipper.models.tables import Webhook
from viralclipper.queue import webhooks
from viralclipper.queue.api import PipelineError

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class NewWebhook(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="An http(s) URL to POST to.")


class WebhookOut(BaseModel):
    id: int
    url: str
    created_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookOut:
        return cls(id=webhook.id, url=webhook.url, created_at=webhook.created_at)


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="The HMAC key of the signatures; shown only now.")


@router.post("", status_code=201, response_model=NewWebhookOut)
def create_webhook(new: NewWebhook, user: TokenUser) -> NewWebhookOut:
    """Register a URL (400 for a URL this server does not call: not http(s), or private)."""
    try:
        webhook = webhooks.register_webhook(user.id, new.url)
    except PipelineError:
        raise
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return NewWebhookOut(**WebhookOut.of(webhook).model_dump(), secret=webhook.secret)


@router.get("", response_model=list[WebhookOut])
def list_webhooks(user: TokenUser) -> list[WebhookOut]:
    return [WebhookOut.of(w) for w in store.list_webhooks(user.id)]


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: TokenUser) -> Response:
    if not store.delete_webhook(webhook_id, user.id):
        raise HTTPException(404, "Not found.")
    return Response(status_code=204)
