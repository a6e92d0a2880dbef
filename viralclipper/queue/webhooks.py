"""Webhooks: a user's URLs hear `job.completed` and `job.failed` as signed JSON POSTs, sent by
the queue and retried with a doubling delay when the receiver fails. Registered and called under
the same address rule as job sources (ALLOW_PRIVATE_URLS lifts it)."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlsplit

from viralclipper.config import get_settings
from viralclipper.models import webhooks
from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import Job, Webhook
from viralclipper.pipeline.netguard import guard_for_user_urls
from viralclipper.pipeline.webhook import SIGNATURE_HEADER, check_webhook_url, post_json, signature

log = logging.getLogger(__name__)
EVENTS = {JobStatus.COMPLETED: "job.completed", JobStatus.FAILED: "job.failed"}


def register_webhook(user_id: int, url: str) -> Webhook:
    """PipelineError (a bad or private URL) or ValueError (too many) with a sentence."""
    return webhooks.create_webhook(user_id, check_webhook_url(url, guard_for_user_urls()))


def payload(event: str, job: Job) -> dict:
    return {
        "event": event,
        "job": {
            "id": job.id,
            "status": job.status,
            "title": job.title,
            "error_message": job.error_message,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        },
        "links": {"job": f"/api/v1/jobs/{job.id}", "clips": f"/api/v1/jobs/{job.id}/clips"},
    }


def job_finished(job: Job) -> None:
    """Queue the event of a job that just completed or failed for each of its owner's webhooks.
    Never raises: a webhook must not fail the job."""
    event = EVENTS.get(JobStatus(job.status))
    if event is None:
        return
    try:
        from viralclipper.queue.app import get_queue

        body = json.dumps(payload(event, job))
        for webhook in webhooks.list_webhooks(job.user_id):
            get_queue().send_webhook(webhook.id, event, body, 1)
    except Exception:
        log.warning("could not queue the webhooks of job %s", job.id, exc_info=True)


def send_webhook(webhook_id: int, event: str, body: str, attempt: int) -> None:
    """The `send_webhook` task: one try; on failure the next try is scheduled after
    WEBHOOK_RETRY_SECONDS * 2**(attempt-1), up to WEBHOOK_ATTEMPTS tries."""
    settings = get_settings()
    webhook = webhooks.get_webhook(webhook_id)
    if webhook is None:  # deleted meanwhile
        return
    stamp = str(int(time.time()))
    headers = {
        "X-ViralClipper-Event": event,
        "X-ViralClipper-Timestamp": stamp,
        "X-ViralClipper-Delivery-Attempt": str(attempt),
        SIGNATURE_HEADER: signature(webhook.secret, stamp, body.encode()),
    }
    host = urlsplit(webhook.url).hostname
    try:
        status = post_json(
            webhook.url,
            body.encode(),
            headers,
            guard_for_user_urls(),
            settings.webhook_timeout_seconds,
        )
        if 200 <= status < 300:
            log.info("webhook %s (%s) took %s", webhook_id, host, event)
            return
        problem = f"answered {status}"
    except OSError as exc:
        problem = f"could not be reached ({exc.__class__.__name__})"
    if attempt >= settings.webhook_attempts:
        log.warning(
            "webhook %s (%s) %s; gave up after %d tries", webhook_id, host, problem, attempt
        )
        return
    delay = settings.webhook_retry_seconds * 2 ** (attempt - 1)
    log.warning("webhook %s (%s) %s; trying again in %.0f s", webhook_id, host, problem, delay)
    from viralclipper.queue.app import get_queue

    get_queue().send_webhook.schedule(args=(webhook_id, event, body, attempt + 1), delay=delay)
