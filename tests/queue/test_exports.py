"""Exports and the clip commands, on a job the real pipeline made (in this process, embedded):
the ZIP holds what its clips.json lists; `clips edit` renders one clip again."""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ENV_KEYS, reset_process_state
from tests.http_server import serve_directory
from viralclipper.cli import main
from viralclipper.models import clips, jobs, upgrade_database
from viralclipper.models.users import create_user
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api
from viralclipper.queue.runner import run_job

CLIP_SETTINGS = {"MIN_CLIP_SECONDS": "5", "MAX_CLIP_SECONDS": "20", "MAX_CLIPS": "2"}


@dataclass(frozen=True)
class MadeJob:
    job_id: int
    pristine: Path  # the data dir as the run left it
    data_dir: Path  # where it ran: the rows hold paths under it, so each test's copy goes here


@pytest.fixture(scope="module")
def made_job(short_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory) -> MadeJob:
    """The real job runs once per module (about 4 s); each test gets a fresh copy of its data."""
    root = tmp_path_factory.mktemp("exports")
    data_dir = root / "data"
    site = root / "site"
    site.mkdir()
    shutil.copy(short_talk.path, site / "short.mp4")
    with pytest.MonkeyPatch.context() as monkeypatch:  # what isolated_settings gives a test
        for key in ENV_KEYS:
            monkeypatch.delenv(key, raising=False)
        env = {**CLIP_SETTINGS, "VIRALCLIPPER_DATA_DIR": str(data_dir)}
        for name, value in {**env, "ALLOW_PRIVATE_URLS": "true"}.items():
            monkeypatch.setenv(name, value)
        reset_process_state()
        upgrade_database()
        user = create_user("exporter@example.com", "a long password")
        with serve_directory(site) as server:
            job = api.submit_job(user.id, server.url("short.mp4"))
            run_job(job.id)
        assert jobs.get_job(job.id).status == "completed"
        reset_process_state()  # closes the SQLite connections before the copy
    pristine = root / "pristine"
    shutil.copytree(data_dir, pristine)
    return MadeJob(job.id, pristine, data_dir)


@pytest.fixture
def done_job(made_job: MadeJob, monkeypatch: pytest.MonkeyPatch) -> int:
    for name, value in {**CLIP_SETTINGS, "VIRALCLIPPER_DATA_DIR": str(made_job.data_dir)}.items():
        monkeypatch.setenv(name, value)
    reset_process_state()
    shutil.rmtree(made_job.data_dir)
    shutil.copytree(made_job.pristine, made_job.data_dir)
    assert jobs.get_job(made_job.job_id).status == "completed"
    return made_job.job_id


def test_the_export_zip_holds_what_it_lists(done_job: int, tmp_path: Path):
    shown = clips.list_clips(job_id=done_job)
    assert shown
    out = tmp_path / "out" / "job.zip"
    assert main(["jobs", "export", str(done_job), "--out", str(out)]) == 0

    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        listed = json.loads(archive.read("clips.json"))
        assert [entry["title"] for entry in listed] == [c.title for c in shown]
        for entry in listed:
            files = [entry[kind] for kind in ("video", "thumbnail", "subtitles", "vtt")]
            assert set(files) <= names
            assert entry["video"].endswith(".mp4") and entry["vtt"].endswith(".vtt")
            assert archive.read(entry["vtt"]).startswith(b"WEBVTT")
            assert archive.getinfo(entry["video"]).file_size > 10_000
        transcript = {f"transcript.{kind}" for kind in ("txt", "srt", "vtt", "json")}
        assert transcript <= names
        assert names == transcript | {"clips.json"} | {
            entry[kind] for entry in listed for kind in ("video", "thumbnail", "subtitles", "vtt")
        }
        assert json.loads(archive.read("transcript.json"))["segments"]


def test_clip_commands_list_edit_and_reanalyze(
    done_job: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["clips", "list", str(done_job), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    first = listed[0]
    old_video = Path(first["video"])

    start = round(first["start"] + 1.0, 3)
    args = ["clips", "edit", str(first["id"]), "--start", str(start), "--end", str(start + 4)]
    assert main([*args, "--title", "Four seconds"]) == 0
    edited = clips.get_clip(first["id"])
    assert (edited.title, edited.edited, edited.rendering) == ("Four seconds", True, False)
    assert Path(edited.video_path) != old_video and old_video.is_file()
    assert abs(probe(Path(edited.video_path)).duration - 4.0) < 0.15

    assert main(["clips", "edit", str(first["id"]), "--start", "-3"]) == 1
    assert "within the video" in capsys.readouterr().err

    assert main(["jobs", "reanalyze", str(done_job)]) == 0
    assert capsys.readouterr().out.strip() == "pending"


def test_a_fixed_caption_word_is_in_the_srt_and_the_vtt(done_job: int):
    clip = clips.list_clips(job_id=done_job)[0]
    words = api.load_transcript(jobs.get_job(done_job)).words_between(clip.start, clip.end)
    misheard = words[len(words) // 2]
    fixed = api.fix_caption_word(clip.id, misheard.start, "Zanzibar", in_background=False)
    assert fixed.edited and not fixed.rendering
    srt = Path(fixed.subtitles_path).read_text()
    vtt = Path(fixed.subtitles_path).with_suffix(".vtt").read_text()
    assert "Zanzibar" in srt and "Zanzibar" in vtt
    assert "Zanzibar" not in Path(clip.subtitles_path).read_text()  # the run's own file is kept

    with pytest.raises(api.NotAllowedNow, match="No word of this clip"):
        api.fix_caption_word(clip.id, clip.end + 30, "x")
    undone = api.undo_clip_edits(clip.id)
    assert undone.word_fixes == {} and not undone.edited


def test_one_clip_gets_its_own_format(done_job: int):
    clip = clips.list_clips(job_id=done_job)[0]
    vertical = api.set_clip_render(clip.id, output_format="vertical", in_background=False)
    info = probe(Path(vertical.video_path))
    assert info.height > info.width and vertical.render_options == {"output_format": "vertical"}
    other = clips.list_clips(job_id=done_job)[1]
    assert probe(Path(other.video_path)).width > probe(Path(other.video_path)).height

    with pytest.raises(api.NotAllowedNow, match="(?i)caption"):
        api.set_clip_render(clip.id, captions="comic-sans")
    with pytest.raises(api.NotAllowedNow, match="max_clips"):
        api.set_clip_render(clip.id, max_clips="3")
