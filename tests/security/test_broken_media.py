"""Broken media says so: a truncated file whose decodable audio is far shorter than its stated
length fails with a sentence saying so (not "completed with 0 clips"), and a video with no speech
says that there is no speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.queue.conftest import Backend, wait_for_status
from viralclipper.config import get_settings
from viralclipper.models import clips, jobs
from viralclipper.models.tables import User
from viralclipper.pipeline.media import BrokenMedia, extract_audio, ffmpeg_binary, probe
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def truncated(sample_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample talk with its index up front (so it still opens) and only its first 40 % of
    bytes: it says it is 64 s long, but about 25 s of it decode."""
    folder = tmp_path_factory.mktemp("broken")
    whole = folder / "whole.mp4"
    ffmpeg("-i", str(sample_talk.path), "-c", "copy", "-movflags", "+faststart", str(whole))
    cut = folder / "truncated.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.4)])
    return cut


@pytest.fixture(scope="module")
def silent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("silent") / "silent.mp4"
    video = ["-f", "lavfi", "-i", "testsrc=d=12:s=320x180:r=25"]
    audio = ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=12"]
    ffmpeg(*video, *audio, "-shortest", "-c:v", "libx264", "-preset", "ultrafast", str(path))
    return path


def uploaded(source: Path) -> Path:
    folder = get_settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    target.write_bytes(source.read_bytes())
    return target


def test_a_truncated_file_is_reported_as_broken(truncated: Path, tmp_path: Path):
    assert probe(truncated).duration > 60  # what the file claims
    with pytest.raises(BrokenMedia) as broken:
        extract_audio(truncated, tmp_path / "audio.wav")
    message = str(broken.value)
    assert message.startswith("truncated.mp4 is truncated or damaged: its audio stops after ")
    assert message.endswith("although the file says it is 64 s long.")
    assert not (tmp_path / "audio.wav").exists()  # nothing half-made is cached


def test_a_whole_file_is_not_reported_as_broken(sample_talk: SampleTalk, tmp_path: Path):
    assert extract_audio(sample_talk.path, tmp_path / "audio.wav").is_file()


def test_a_job_on_a_truncated_upload_fails_saying_so(backend: Backend, user: User, truncated: Path):
    job = api.submit_job(user.id, str(uploaded(truncated)), upload=True)
    backend.start_worker()
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert "is truncated or damaged: its audio stops after" in failed.error_message
    assert clips.list_clips(job_id=job.id) == []


def test_a_job_without_speech_says_so(backend: Backend, user: User, silent: Path):
    job = api.submit_job(user.id, str(uploaded(silent)), upload=True)
    backend.start_worker()
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert failed.error_message == "No speech found in the video, so there is nothing to clip."
    assert not any("completed with" in e.message for e in jobs.list_events(job.id))
