"""Uploads and local media: only plain media containers are accepted, and every local file is
opened so that it cannot pull in another file or a URL.

The attack: upload `x.m3u8` whose segment is `file:///…/data/jobs/1/clips/clip-01.mp4` (paths are
predictable); before this check the job completed with another user's video."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User as SimulatedUser

from tests.queue.conftest import SCALED, Backend, wait_for_status
from tests.ui.conftest import logged_in
from tests.ui.conftest import user as browser  # noqa: F401 - the simulated browser fixture
from viralclipper.config import get_settings
from viralclipper.models import clips, jobs
from viralclipper.models.tables import User
from viralclipper.pipeline.media import (
    UnsupportedMedia,
    check_media_file,
    extract_audio,
    ffmpeg_binary,
    ffmpeg_input,
    probe,
    run_ffmpeg,
)
from viralclipper.pipeline.progress import PipelineError
from viralclipper.pipeline.render import make_thumbnail, render_clip
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api
from viralclipper.queue.runner import job_dir

PLAIN_FORMATS = {  # file name -> ffmpeg output arguments for one second of it
    "clip.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    "clip.mov": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    "clip.mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    "clip.webm": ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libvorbis"],
    "clip.ts": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    "clip.avi": ["-c:v", "mpeg4", "-c:a", "pcm_s16le"],
    "clip.mp3": ["-vn", "-c:a", "libmp3lame"],
    "clip.m4a": ["-vn", "-c:a", "aac"],
    "clip.wav": ["-vn", "-c:a", "pcm_s16le"],
    "clip.flac": ["-vn", "-c:a", "flac"],
    "clip.ogg": ["-vn", "-c:a", "libvorbis"],
}


@pytest.fixture(scope="module")
def plain_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("plain")
    made = {}
    for name, codecs in PLAIN_FORMATS.items():
        source = ["-f", "lavfi", "-i", "testsrc=d=1:s=64x48", "-f", "lavfi", "-i", "sine=d=1"]
        cmd = [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *source, *codecs]
        subprocess.run([*cmd, "-shortest", str(folder / name)], check=True)
        made[name] = folder / name
    return made


def someone_elses_clip(short_talk: SampleTalk) -> Path:
    """What another user's finished job left on disk, at its predictable path."""
    clip = job_dir(1) / "clips" / "clip-01.mp4"
    clip.parent.mkdir(parents=True)
    shutil.copy(short_talk.path, clip)
    return clip


def playlist_of(target: Path, path: Path) -> Path:
    path.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:30\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:30.0,\n{target.resolve().as_uri()}\n#EXT-X-ENDLIST\n"
    )
    return path


def uploads_dir() -> Path:
    folder = get_settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", ["x.m3u8", "x.mp4"])
def test_an_uploaded_playlist_is_refused_at_once(
    backend: Backend, user: User, short_talk: SampleTalk, name: str
):
    upload = playlist_of(someone_elses_clip(short_talk), uploads_dir() / name)
    with pytest.raises(UnsupportedMedia) as refused:
        api.submit_job(user.id, str(upload), upload=True)
    assert str(refused.value) == (
        f"{name} is an HLS playlist, which refers to other files; upload the video file itself."
    )
    assert jobs.list_jobs(user.id) == []


def test_files_that_refer_to_other_files_are_refused(short_talk: SampleTalk, tmp_path: Path):
    concat = tmp_path / "list.txt"
    concat.write_text(f"ffconcat version 1.0\nfile '{short_talk.path.resolve()}'\n")
    with pytest.raises(UnsupportedMedia, match="is an ffmpeg concat list"):
        check_media_file(concat)
    # a playlist that does not start with its tag is no plain container either
    hidden = tmp_path / "hidden.mp4"
    hidden.write_text("\n\n" + playlist_of(short_talk.path, tmp_path / "p.m3u8").read_text())
    with pytest.raises(UnsupportedMedia, match="is an HLS playlist"):
        check_media_file(hidden)
    sdp = tmp_path / "stream.sdp"
    sdp.write_text(
        "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
        "m=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
    )
    with pytest.raises(UnsupportedMedia, match="stream.sdp is not a plain video or audio file"):
        check_media_file(sdp)


@pytest.mark.parametrize("name", sorted(PLAIN_FORMATS))
def test_plain_media_formats_are_accepted(plain_files: dict[str, Path], name: str):
    info = check_media_file(plain_files[name])
    assert info.has_audio and info.duration == pytest.approx(1.0, abs=0.2)


def test_every_local_media_step_refuses_a_playlist(short_talk: SampleTalk, tmp_path: Path):
    """The worker's steps check too (a file swapped after it was submitted)."""
    playlist = playlist_of(short_talk.path, tmp_path / "x.m3u8")
    steps = [
        lambda: probe(playlist),
        lambda: extract_audio(playlist, tmp_path / "audio.wav"),
        lambda: render_clip(playlist, 1.0, 3.0, tmp_path / "clip.mp4"),
        lambda: make_thumbnail(playlist, 1.0, tmp_path / "thumb.jpg"),
    ]
    for step in steps:
        with pytest.raises(UnsupportedMedia):
            step()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.m3u8"]


def test_ffmpeg_reads_a_local_file_only_as_its_probed_format(
    short_talk: SampleTalk, tmp_path: Path
):
    """Even if the file changes between the probe and ffmpeg, ffmpeg reads it with the probed
    demuxer: a playlist put in its place is not followed."""
    video = tmp_path / "video.mp4"
    shutil.copy(short_talk.path, video)
    info = probe(video)
    playlist_of(short_talk.path, video)
    with pytest.raises(PipelineError, match="ffmpeg failed"):
        run_ffmpeg([*ffmpeg_input(video, info), "-f", "null", "-"], info.duration)


def test_a_worker_refuses_a_playlist_swapped_in_after_submission(
    backend: Backend, user: User, short_talk: SampleTalk
):
    secret = someone_elses_clip(short_talk)
    upload = uploads_dir() / "talk.mp4"
    shutil.copy(short_talk.path, upload)
    job = api.submit_job(user.id, str(upload), upload=True)
    playlist_of(secret, upload)
    backend.start_worker()
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert failed.error_message == (
        "talk.mp4 is an HLS playlist, which refers to other files; upload the video file itself."
    )
    assert clips.list_clips(job_id=job.id) == [] and failed.transcript_path is None


@SCALED
def test_a_plain_upload_still_completes(backend: Backend, user: User, short_talk: SampleTalk):
    upload = uploads_dir() / "talk.mp4"
    shutil.copy(short_talk.path, upload)
    job = api.submit_job(user.id, str(upload), upload=True)
    backend.start_worker()
    done = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert done.status == "completed", done.error_message
    assert clips.list_clips(job_id=job.id)


async def test_the_web_upload_refuses_a_playlist_and_keeps_nothing(
    browser: SimulatedUser,  # noqa: F811 - the fixture imported above
    short_talk: SampleTalk,
) -> None:
    playlist = playlist_of(short_talk.path, Path(get_settings().data_dir) / "x.m3u8")
    await logged_in(browser)
    await browser.open("/jobs")
    browser.find(marker="upload-button").click()
    uploader = browser.find(marker="uploader").elements.pop()
    with browser:
        await uploader.handle_uploads(
            [SmallFileUpload("x.m3u8", "application/vnd.apple.mpegurl", playlist.read_bytes())]
        )
    await browser.should_see("is an HLS playlist, which refers to other files", retries=20)
    assert jobs.count_jobs() == 0
    assert list((get_settings().data_dir / "uploads").iterdir()) == []
