"""The Docker files, checked without a Docker engine: hadolint finds no error in the Dockerfile,
Docker Compose validates the compose file, and every setting they pass exists in config.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from viralclipper.config import Settings

DOCKER = Path(__file__).resolve().parent.parent / "docker"
TOOLS = Path(sys.executable).parent
NOT_SETTINGS = {"DEBIAN_FRONTEND", "PYTHONUNBUFFERED", "PATH", "POSTGRES_PASSWORD"}


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def setting_names() -> set[str]:
    """The environment names config.Settings reads."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(name.upper())
        alias = field.validation_alias
        names |= {a.upper() for a in getattr(alias, "choices", []) if isinstance(a, str)}
    return names


def test_the_dockerfile_has_no_hadolint_error() -> None:
    done = run(str(TOOLS / "hadolint"), "--failure-threshold", "error", str(DOCKER / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_file_validates_with_and_without_the_example_env() -> None:
    compose = str(TOOLS / "docker-compose")
    plain = run(compose, "-f", str(DOCKER / "compose.yaml"), "config", "-q")
    assert plain.returncode == 0, plain.stderr
    example = run(
        compose,
        "-f",
        str(DOCKER / "compose.yaml"),
        "--env-file",
        str(DOCKER / "example.env"),
        "config",
    )
    assert example.returncode == 0, example.stderr
    services = yaml.safe_load(example.stdout)["services"]
    assert services["worker"]["deploy"]["resources"]["reservations"]["devices"][0][
        "capabilities"
    ] == ["gpu"]
    assert services["app"]["environment"]["WHISPER_MODEL"] == "auto"


def passed_settings() -> set[str]:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    env_blocks = re.findall(r"^ENV ((?:.*\\\n)*.*)$", dockerfile, flags=re.M)
    names = {m for block in env_blocks for m in re.findall(r"([A-Z_][A-Z0-9_]*)=", block)}
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    names |= set(compose["x-app"]["environment"])
    for line in (DOCKER / "example.env").read_text().splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])
    return names - NOT_SETTINGS


def test_every_setting_the_docker_files_pass_exists_in_config() -> None:
    passed = passed_settings()
    assert {"WHISPER_MODEL", "VIRALCLIPPER_DATA_DIR", "DATABASE_URL", "REDIS_URL"} <= passed
    assert passed - setting_names() == set()
