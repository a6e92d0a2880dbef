"""A stand-in for Google on 127.0.0.1: the OAuth consent page (it consents at once), the token
and revoke endpoints (checking the PKCE verifier), channels.list and resumable video uploads.
Tests point the app at it through a client-secrets file and YOUTUBE_API_URL."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

CHANNEL = {
    "id": "UCfakechannel",
    "snippet": {
        "title": "Fake Channel",
        "thumbnails": {"default": {"url": "https://yt3.example/avatar.jpg"}},
    },
}
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload "
    "https://www.googleapis.com/auth/youtube.readonly"
)


@dataclass
class FakeGoogle:
    base: str
    challenges: dict[str, str] = field(default_factory=dict)  # code -> PKCE challenge
    revoked: list[str] = field(default_factory=list)
    refused_refresh: set[str] = field(default_factory=set)
    uploads: dict[str, bytearray] = field(default_factory=dict)  # session -> bytes received
    videos: list[dict] = field(default_factory=list)  # the metadata of each finished upload
    requests: list[str] = field(default_factory=list)  # "METHOD path"
    issued: int = 0
    expired_tokens: set[str] = field(default_factory=set)  # access tokens answered 401
    granted: str = SCOPES  # the scopes the user leaves ticked on the consent page

    def client_secrets(self, folder: Path) -> Path:
        path = folder / "client_secret.json"
        web = {
            "client_id": "fake-client.apps.googleusercontent.com",
            "client_secret": "fake-secret",
            "auth_uri": f"{self.base}/auth",
            "token_uri": f"{self.base}/token",
        }
        path.write_text(json.dumps({"web": web}))
        return path

    def env(self, folder: Path) -> dict[str, str]:
        """The settings that point the app at this server."""
        return {
            "YOUTUBE_CLIENT_SECRETS": str(self.client_secrets(folder)),
            "YOUTUBE_API_URL": f"{self.base}/",
            # oauthlib only talks to https token endpoints unless told this is a test
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }


class _Handler(http.server.BaseHTTPRequestHandler):
    google: FakeGoogle

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        google = self.google
        url = urlsplit(self.path)
        google.requests.append(f"GET {url.path}")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/auth":  # the user consents at once
            google.issued += 1
            code = f"code-{google.issued}"
            google.challenges[code] = query.get("code_challenge", "")
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/youtube/v3/channels":
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._json(401, {"error": {"code": 401, "message": "no token"}})
            else:
                self._json(200, {"items": [CHANNEL]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        google = self.google
        url = urlsplit(self.path)
        google.requests.append(f"POST {url.path}")
        body = self._body()
        if url.path == "/token":
            self._token({k: v[0] for k, v in parse_qs(body.decode()).items()})
        elif url.path == "/revoke":
            google.revoked.append(parse_qs(body.decode())["token"][0])
            self._json(200, {})
        elif self.headers.get("Authorization", "").removeprefix("Bearer ") in google.expired_tokens:
            self._json(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        elif url.path == "/upload/youtube/v3/videos":
            session = f"{google.base}/upload/session/{len(google.uploads) + 1}"
            google.uploads[session] = bytearray()
            google.videos.append(json.loads(body))
            self._json(200, {}, {"Location": session})
        else:
            self._json(404, {"error": "not found"})

    def _token(self, form: dict[str, str]) -> None:
        google = self.google
        if form.get("grant_type") == "authorization_code":
            challenge = google.challenges.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if challenge is None or challenge != expected:
                self._json(400, {"error": "invalid_grant", "error_description": "Bad code."})
                return
            google.issued += 1
            refresh = f"refresh-{google.issued}"
        elif form.get("grant_type") == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh in google.refused_refresh or refresh in google.revoked:
                self._json(400, {"error": "invalid_grant", "error_description": "revoked"})
                return
            google.issued += 1
        else:
            self._json(400, {"error": "unsupported_grant_type"})
            return
        self._json(
            200,
            {
                "access_token": f"access-{google.issued}",
                "refresh_token": refresh,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": google.granted,
            },
        )

    def do_PUT(self) -> None:
        google = self.google
        session = f"{google.base}{self.path}"
        google.requests.append(f"PUT {urlsplit(self.path).path}")
        received = google.uploads.get(session)
        if received is None:
            self._json(404, {"error": "no such upload"})
            return
        span, total = self.headers["Content-Range"].removeprefix("bytes ").split("/")
        received.extend(self._body())  # a status query ("*/N") sends no body
        if len(received) == int(total):
            self._json(200, {"id": f"fakevideo{len(google.videos)}", "kind": "youtube#video"})
            return
        self.send_response(308)
        if received:
            self.send_header("Range", f"bytes=0-{len(received) - 1}")
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def fake_google() -> Iterator[FakeGoogle]:
    handler = type("Handler", (_Handler,), {})
    httpd = _Server(("127.0.0.1", 0), handler)
    google = FakeGoogle(f"http://127.0.0.1:{httpd.server_address[1]}")
    handler.google = google
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield google
    finally:
        httpd.shutdown()
        httpd.server_close()
