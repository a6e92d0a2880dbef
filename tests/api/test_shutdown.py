"""`viralclipper serve` stops on Ctrl+C (and `docker stop`) even while an API client holds the
event stream open: the stream never ends by itself, and the server used to wait for it forever."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.api.test_end_to_end import event_stream, token_for
from tests.conftest import reset_process_state
from tests.ui.browser import app_server
from viralclipper.models import upgrade_database


def test_serve_stops_while_an_event_stream_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("VIRALCLIPPER_DATA_DIR", str(data_dir))
    reset_process_state()
    upgrade_database()
    _, token = token_for("ann@example.com")
    with app_server(data_dir) as server, event_stream(server, token):
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("serve still waits for the open event stream 30 s after Ctrl+C")
