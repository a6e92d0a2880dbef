"""Webhooks: registered under the URL rule, signed with HMAC, retried with backoff when the
receiver fails; job.completed and job.failed sent by a real worker on both backends."""

# ruff: noqa: F401, F811 - the queue's fixtures are imported by name

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.api.conftest import account
from tests.queue.conftest import Backend, backend, short_talk, site
from tests.waiting import wait_for
from viralclipper.models import webhooks as store
from viralclipper.models.users import create_user
from viralclipper.queue import api
from viralclipper.queue.webhooks import register_webhook


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records POSTs and fails the first `failures` of them."""

    failures: int = 0
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    url: str = ""


@contextmanager
def receiver(failures: int = 0) -> Iterator[Receiver]:
    state = Receiver(failures)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = 500 if len(state.received) < state.failures else 204
            state.received.append((dict(self.headers), body, status))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?from=vc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def verified(headers: dict[str, str], body: bytes, secret: str) -> dict:
    """The event, once its signature is checked as a receiver would."""
    signed = headers["X-ViralClipper-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-ViralClipper-Signature"], expected)
    return json.loads(body)


async def test_register_list_and_delete_through_the_api(client: httpx.AsyncClient) -> None:
    _, headers = account("ann@example.com")
    _, bob = account("bob@example.com")
    made = await client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/x"}, headers=headers
    )
    assert made.status_code == 201, made.text
    assert len(made.json()["secret"]) == 64
    listed = (await client.get("/api/v1/webhooks", headers=headers)).json()
    assert [w["url"] for w in listed] == ["https://hooks.example.com/x"]
    assert "secret" not in listed[0]
    for bad in ("ftp://example.com/x", "no url", "http:///path"):
        refused = await client.post("/api/v1/webhooks", json={"url": bad}, headers=headers)
        assert refused.status_code == 400, bad
    webhook_id = made.json()["id"]
    assert (await client.delete(f"/api/v1/webhooks/{webhook_id}", headers=bob)).status_code == 404
    assert (
        await client.delete(f"/api/v1/webhooks/{webhook_id}", headers=headers)
    ).status_code == 204
    assert (await client.get("/api/v1/webhooks", headers=headers)).json() == []


def test_completed_and_failed_jobs_are_signed_and_retried(backend: Backend, site) -> None:
    backend.env["WEBHOOK_RETRY_SECONDS"] = "0.5"
    user = create_user("ann@example.com", "correct horse battery")
    with receiver(failures=1) as hook:
        webhook = register_webhook(user.id, hook.url)
        backend.start_worker()
        done = api.submit_job(user.id, site.url("short.mp4"))
        failed = api.submit_job(user.id, site.url("missing.mp4"))

        def events() -> dict[int, str]:
            delivered = [(json.loads(b), s) for _, b, s in hook.received]
            return {e["job"]["id"]: e["event"] for e, status in delivered if status == 204}

        wait_for(lambda: len(events()) == 2, 180, "both webhooks", details=backend.logs_tail)
        assert events() == {done.id: "job.completed", failed.id: "job.failed"}
        first, retried = (
            hook.received[0],
            next(r for r in hook.received[1:] if r[1] == hook.received[0][1]),
        )
        assert first[2] == 500 and retried[2] == 204  # the failed try came again, unchanged
        assert retried[0]["X-ViralClipper-Delivery-Attempt"] == "2"
        for headers, body, _ in hook.received:
            event = verified(headers, body, webhook.secret)
            assert event["links"]["clips"] == f"/api/v1/jobs/{event['job']['id']}/clips"
