"""The `viralclipper` command end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.fake_llm import FakeLLM, answer_from_prompt
from viralclipper.pipeline.analyze import LLM_UNAVAILABLE
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.sample import SampleTalk

MANIFEST_KEYS = {
    "index",
    "start",
    "end",
    "duration",
    "score",
    "title",
    "hook",
    "reasoning",
    "criteria",
    "quote",
    "video",
    "thumbnail",
    "subtitles",
}


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "viralclipper", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def processed(sample_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory):
    """One offline `process` run on the sample talk, shared by the checks below."""
    root = tmp_path_factory.mktemp("cli")
    out = root / "clips"
    result = run_cli(
        "process",
        str(sample_talk.path),
        "--out",
        str(out),
        "--max-clips",
        "3",
        "--json",
        env={"VIRALCLIPPER_DATA_DIR": str(root / "data")},
    )
    return result, out


def test_process_writes_clips_thumbnails_subtitles_and_manifest(processed, sample_talk):
    result, out = processed
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "clips.json").read_text())
    assert json.loads(result.stdout) == manifest
    assert 1 <= len(manifest) <= 3
    assert [c["index"] for c in manifest] == list(range(1, len(manifest) + 1))
    assert [c["score"] for c in manifest] == sorted((c["score"] for c in manifest), reverse=True)
    for clip in manifest:
        assert set(clip) == MANIFEST_KEYS
        assert 15 <= clip["duration"] <= 60
        info = probe(out / clip["video"])
        assert abs(info.duration - clip["duration"]) < 0.1
        assert (out / clip["thumbnail"]).read_bytes()[:2] == b"\xff\xd8"
        assert "-->" in (out / clip["subtitles"]).read_text()
        assert (out / clip["subtitles"]).with_suffix(".vtt").read_text().startswith("WEBVTT")
    best = manifest[0]
    planted = [(p.start, p.end) for p in sample_talk.planted]
    assert any(best["start"] < end and start < best["end"] for start, end in planted)


def test_process_shows_progress_per_stage_on_stderr(processed):
    result, _ = processed
    for stage in ("download", "transcribe", "analyze", "slice"):
        assert f"{stage}: done in" in result.stderr


def test_a_bad_source_exits_non_zero_with_one_clear_line_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "clips"
    result = run_cli("process", "not a video", "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: 'not a video' is neither a video URL nor an existing video file."
    ]
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--min-seconds", "90", "--max-seconds", "30"], "The shortest clip must not be longer"),
        (["--max-clips", "0"], "The maximum number of clips must be at least 1."),
        (["--min-score", "101"], "The minimum score must be at most 100."),
    ],
)
def test_bad_clip_settings_exit_with_one_sentence_before_any_work(
    sample_talk: SampleTalk, tmp_path: Path, options: list[str], message: str
):
    out = tmp_path / "clips"
    result = run_cli("process", str(sample_talk.path), "--out", str(out), *options)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {message}")
    assert not out.exists()


def process_with_llm(
    talk: SampleTalk, tmp_path: Path, llm: FakeLLM, max_clips: int
) -> subprocess.CompletedProcess:
    return run_cli(
        "process",
        str(talk.path),
        "--out",
        str(tmp_path / "clips"),
        "--analyzer",
        "llm",
        "--max-clips",
        str(max_clips),
        "--json",
        env={
            "OPENAI_BASE_URL": llm.url,
            "OPENAI_MODEL": "fake-model",
            "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data"),
        },
    )


def test_process_with_an_llm_uses_the_endpoint(sample_talk: SampleTalk, tmp_path: Path):
    with FakeLLM(default=answer_from_prompt) as llm:
        result = process_with_llm(sample_talk, tmp_path, llm, max_clips=2)
        assert result.returncode == 0, result.stderr
        assert llm.requests and llm.requests[0]["model"] == "fake-model"
    manifest = json.loads(result.stdout)
    assert manifest and all(c["quote"] for c in manifest)


def test_user_and_jobs_commands(tmp_path: Path):
    env = {"VIRALCLIPPER_DATA_DIR": str(tmp_path / "data")}
    created = run_cli(
        "user", "create", "ops@example.com", "--admin", stdin="a long password\n", env=env
    )
    assert created.returncode == 0, created.stderr
    assert "ops@example.com" in created.stdout

    duplicate = run_cli("user", "create", "ops@example.com", stdin="another password\n", env=env)
    assert duplicate.returncode == 1 and "already" in duplicate.stderr

    added = run_cli(
        "jobs",
        "add",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "--user",
        "ops@example.com",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    job_id = added.stdout.strip()

    listed = json.loads(run_cli("jobs", "list", "--json", env=env).stdout)
    assert [j["id"] for j in listed] == [int(job_id)] and listed[0]["status"] == "pending"

    assert run_cli("jobs", "cancel", job_id, env=env).stdout.strip() == "cancelled"
    shown = json.loads(run_cli("jobs", "show", job_id, "--json", env=env).stdout)
    assert shown["status"] == "cancelled" and shown["clips"] == []
    assert run_cli("jobs", "retry", job_id, env=env).stdout.strip() == "pending"
    assert run_cli("jobs", "delete", job_id, env=env).returncode == 0

    missing = run_cli("jobs", "show", job_id, env=env)
    assert missing.returncode == 1 and f"Job {job_id} was not found." in missing.stderr

    bad = run_cli("jobs", "add", "ftp://example.com/x", "--user", "ops@example.com", env=env)
    assert bad.returncode == 1 and "not a video URL" in bad.stderr


def test_process_says_when_the_llm_was_unavailable_and_it_ranked_offline(
    sample_talk: SampleTalk, tmp_path: Path
):
    with FakeLLM() as llm:
        for _ in range(3):  # the request and the client's two retries
            llm.fail(503, "overloaded", error_type="server_error", headers={"retry-after-ms": "5"})
        result = process_with_llm(sample_talk, tmp_path, llm, max_clips=1)
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if line.startswith("notice: ")]
    assert len(notices) == 1 and notices[0].startswith(f"notice: {LLM_UNAVAILABLE} (")
    assert json.loads(result.stdout)  # the clips, ranked offline
