"""POSTing a signed JSON body to a user's URL: http(s) only, through the same address rule as
job sources (NetGuard: the address is checked when connecting, so a name that resolves anew to
a private address is still refused), no redirects followed."""

from __future__ import annotations

import hashlib
import hmac
import http.client
from urllib.parse import urlsplit

from viralclipper.pipeline.netguard import AddressNotAllowed, NetGuard
from viralclipper.pipeline.progress import PipelineError

SIGNATURE_HEADER = "X-ViralClipper-Signature"
MAX_URL_CHARS = 2000


def check_webhook_url(url: str, guard: NetGuard | None) -> str:
    """The URL, stripped; PipelineError with a sentence when it is not one we may call."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL_CHARS:
        raise PipelineError("A webhook must be an http:// or https:// URL.")
    if guard is not None:
        try:
            guard.check_url(url)
        except AddressNotAllowed:
            raise PipelineError(
                "That webhook's address is on a private or local network, which this server "
                "does not call."
            ) from None
    return url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 over `<timestamp>.<body>` with the webhook's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def post_json(
    url: str, body: bytes, headers: dict[str, str], guard: NetGuard | None, timeout: float
) -> int:
    """POST `body` and return the status; OSError (AddressNotAllowed included) when it could
    not be sent."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    if guard is not None:
        connection._create_connection = guard.connect  # type: ignore[attr-defined]  # noqa: SLF001
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc.__class__.__name__}") from exc
    finally:
        connection.close()
