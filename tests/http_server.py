"""A small static HTTP server on 127.0.0.1 for tests: stands in for a video site (yt-dlp's
generic extractor downloads from it) and records every request."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class VideoServer:
    base: str
    root: Path
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Cookie header)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """yt-dlp hangs up after reading the start of a file it only inspects: not an error."""


Route = Callable[[http.server.BaseHTTPRequestHandler], None]


@contextmanager
def serve_directory(root: Path, routes: dict[str, Route] | None = None) -> Iterator[VideoServer]:
    """Serve the files under `root`; a path in `routes` is answered by its function instead."""
    server_box: list[VideoServer] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            server_box[0].requests.append((self.path, self.headers.get("Cookie")))
            route = (routes or {}).get(self.path.split("?")[0])
            if route is not None:
                route(self)
            else:
                super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    httpd = _QuietServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server_box.append(VideoServer(f"http://127.0.0.1:{httpd.server_address[1]}", root))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_box[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
