"""Render stage: real ffmpeg cuts of the generated sample talk, checked by decoding the results."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from viralclipper.config import get_settings
from viralclipper.pipeline.media import ffmpeg_binary
from viralclipper.pipeline.progress import Cancelled, PipelineError, Reporter
from viralclipper.pipeline.render import _encode_video, make_thumbnail, render_clip
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.pipeline.transcript import Word

FPS = 25  # the sample talk's frame rate
ONE_FRAME = 1 / FPS + 0.002


def decoded_video_seconds(path: Path) -> float:
    """The real length of the picture: frames actually decoded, not the container's header."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames / float(stream.average_rate)


def stored_video_seconds(path: Path) -> float:
    """The length of the picture the file really holds, frames hidden by an edit list included.

    A stream copy cut starts at the previous keyframe and hides the extra frames behind an MP4
    edit list: decoders drop them, but the file (and players that ignore edit lists) has them.
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sum(1 for packet in container.demux(stream) if packet.size)
        return packets / float(stream.average_rate)


def top_level_atoms(path: Path) -> list[str]:
    atoms, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:  # 64-bit size follows the type
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:  # the atom runs to the end of the file
            size = len(data) - offset
        atoms.append(kind.decode("latin-1"))
        offset += size
    return atoms


def stream_facts(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video = container.streams.video[0].codec_context
        audio = container.streams.audio[0].codec_context if container.streams.audio else None
        return {
            "video": video.name,
            "pix_fmt": video.pix_fmt,
            "size": (video.width, video.height),
            "audio": audio.name if audio else None,
        }


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_horizontal_clip_is_frame_accurate_browser_ready_mp4(sample_talk: SampleTalk, tmp_path):
    out = render_clip(sample_talk.path, 7.37, 22.81, tmp_path / "clip.mp4")

    assert out == tmp_path / "clip.mp4"
    # 7.37 is not on a keyframe (the sample has one every 2 s): a stream copy would start early
    assert decoded_video_seconds(out) == pytest.approx(22.81 - 7.37, abs=ONE_FRAME)
    assert stored_video_seconds(out) == pytest.approx(22.81 - 7.37, abs=ONE_FRAME)
    assert stream_facts(out) == {
        "video": "h264",
        "pix_fmt": "yuv420p",
        "size": (640, 360),
        "audio": "aac",
    }
    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat"), atoms
    assert files_in(tmp_path) == ["clip.mp4"]


def test_clip_starts_at_the_requested_picture(sample_talk: SampleTalk, tmp_path):
    """The first frame of the clip is the source's frame at `start`, not a keyframe before it."""
    start = 9.48  # frame 237, mid-GOP
    out = render_clip(sample_talk.path, start, start + 2, tmp_path / "clip.mp4")

    def frame_at(path: Path, seconds: float):
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                if frame.time >= seconds - 0.001:
                    return frame.to_ndarray(format="gray").astype(int)
        raise AssertionError("no frame")

    first = frame_at(out, 0.0)
    source = frame_at(sample_talk.path, start)
    previous_second = frame_at(sample_talk.path, start - 1)
    # re-encoded, so not identical: much closer to the right frame than to one a second earlier
    assert abs(first - source).mean() < abs(first - previous_second).mean() / 4


def clip_options(**changes):
    return get_settings().clip_defaults().updated(**changes)


@pytest.mark.parametrize(("resolution", "size"), [(None, (1080, 1920)), ("720x1280", (720, 1280))])
def test_vertical_clip_is_1080x1920_or_720x1280(
    sample_talk: SampleTalk, tmp_path, resolution, size
):
    changes = {"vertical_resolution": resolution} if resolution else {}
    options = clip_options(output_format="vertical", layout="center", **changes)

    out = render_clip(sample_talk.path, 30.0, 33.0, tmp_path / "short.mp4", options)

    assert stream_facts(out) == {
        "video": "h264",
        "pix_fmt": "yuv420p",
        "size": size,
        "audio": "aac",
    }
    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat"), atoms
    assert decoded_video_seconds(out) == pytest.approx(3.0, abs=ONE_FRAME)


def test_horizontal_clip_keeps_the_source_frame_up_to_1080p(tmp_path):
    big = tmp_path / "big.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=2560x1440:d=1"]
        + ["-c:v", "libx264", "-preset", "ultrafast", str(big)],
        check=True,
    )

    out = render_clip(big, 0.0, 1.0, tmp_path / "clip.mp4", clip_options())

    assert stream_facts(out)["size"] == (1920, 1080)


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's EBU R128 meter reads them."""
    result = subprocess.run(
        [ffmpeg_binary(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0"]
        + ["-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(\S+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(\S+) dBFS", summary).group(1))  # "-inf" for silence
    return integrated, peak


def test_loudness_is_normalised_to_minus_14_lufs_unless_turned_off(sample_talk, tmp_path):
    on = render_clip(sample_talk.path, 10.0, 22.0, tmp_path / "on.mp4", clip_options())
    off = render_clip(
        sample_talk.path, 10.0, 22.0, tmp_path / "off.mp4", clip_options(normalize_loudness=False)
    )

    integrated, peak = loudness(on)
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0
    assert abs(loudness(off)[0] - integrated) > 1.5  # espeak's level is not -14 LUFS


def test_captions_change_only_the_caption_area(sample_talk: SampleTalk, tmp_path):
    spoken = [
        Word(start=20.0 + i * 0.5, end=20.4 + i * 0.5, text=f" {w}")
        for i, w in enumerate(["every", "word", "on", "the", "picture."])
    ]

    def frame(captions: str) -> np.ndarray:
        options = clip_options(
            output_format="vertical",
            layout="center",
            captions=captions,
            vertical_resolution="720x1280",
            normalize_loudness=False,
        )
        out = render_clip(
            sample_talk.path, 19.0, 23.0, tmp_path / f"{captions}.mp4", options, words=spoken
        )
        with av.open(str(out)) as container:
            for decoded in container.decode(video=0):
                if decoded.time >= 2.2:  # "on", the third word, is being spoken
                    return decoded.to_ndarray(format="gray").astype(int)
        raise AssertionError("no frame")

    plain, captioned = frame("none"), frame("bold")

    changed = np.abs(plain - captioned) > 40
    rows = np.flatnonzero(changed.any(axis=1))
    assert rows.size > 0, "the captions are on the picture"
    # bold sits 30 % above the bottom: clear of the platforms' bottom UI and of the top
    assert rows.min() > 1280 * 0.45 and rows.max() < 1280 * 0.72, (rows.min(), rows.max())
    cols = np.flatnonzero(changed.any(axis=0))
    assert cols.min() >= 720 * 0.08 - 2 and cols.max() <= 720 * 0.92 + 2


def test_source_without_audio_still_renders(tmp_path):
    silent = tmp_path / "silent.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4"]
        + ["-c:v", "libx264", "-preset", "ultrafast", str(silent)],
        check=True,
    )

    out = render_clip(silent, 1.0, 3.0, tmp_path / "clip.mp4")

    assert stream_facts(out)["audio"] is None
    assert decoded_video_seconds(out) == pytest.approx(2.0, abs=ONE_FRAME)


def test_failing_encoder_falls_back_to_the_next(sample_talk: SampleTalk, tmp_path):
    """What happens when NVENC is listed but the GPU is missing or busy."""
    out = tmp_path / "clip.mp4"
    seek = ["-ss", "5", "-i", str(sample_talk.path), "-t", "2"]

    _encode_video(seek, ["-f", "mp4"], out, 2.0, Reporter(), ["no_such_encoder", "libx264"])

    assert stream_facts(out)["video"] == "h264"
    with pytest.raises(PipelineError, match="ffmpeg failed"):
        _encode_video(seek, ["-f", "mp4"], tmp_path / "x.mp4", 2.0, Reporter(), ["no_such_one"])


def test_cancel_during_render_leaves_nothing_behind(sample_talk: SampleTalk, tmp_path):
    seen_while_running: list[list[str]] = []

    def progress(fraction: float, message: str) -> None:
        seen_while_running.append(files_in(tmp_path))

    reporter = Reporter(progress, should_cancel=lambda: bool(seen_while_running))

    with pytest.raises(Cancelled):
        render_clip(sample_talk.path, 10.0, 26.0, tmp_path / "clip.mp4", reporter=reporter)

    assert seen_while_running[0], "ffmpeg had started writing its temporary file"
    assert files_in(tmp_path) == []


def test_ffmpeg_progress_is_reported_up_to_done(sample_talk: SampleTalk, tmp_path):
    reports: list[tuple[float, str]] = []
    reporter = Reporter(lambda fraction, message: reports.append((fraction, message)))

    render_clip(sample_talk.path, 40.0, 44.0, tmp_path / "clip.mp4", reporter=reporter)

    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)
    # how many lines ffmpeg prints depends on its speed: at least its last one comes through
    assert "encoding" in {message for _, message in reports}
    assert reports[-1] == (1.0, "clip rendered")


def test_not_a_video_is_a_clear_error(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("this is not a video")

    with pytest.raises(PipelineError, match="notes.mp4"):
        render_clip(notes, 0.0, 2.0, tmp_path / "clip.mp4")
    with pytest.raises(PipelineError, match="notes.mp4"):
        make_thumbnail(notes, 1.0, tmp_path / "thumb.jpg")
    assert files_in(tmp_path) == ["notes.mp4"]


def test_span_outside_the_source_is_a_clear_error(sample_talk: SampleTalk, tmp_path):
    with pytest.raises(PipelineError, match="Cannot cut"):
        render_clip(sample_talk.path, 500.0, 510.0, tmp_path / "clip.mp4")
    with pytest.raises(PipelineError, match="Cannot cut"):
        render_clip(sample_talk.path, 12.0, 12.0, tmp_path / "clip.mp4")


def framed(size: tuple[int, int], expected: tuple[float, float]) -> bool:
    """The frame has the expected size up to the rounding of one ffmpeg build or another."""
    return all(abs(got - want) <= 2 for got, want in zip(size, expected, strict=True))


def test_thumbnail_is_a_jpeg_of_the_clip(sample_talk: SampleTalk, tmp_path):
    out = make_thumbnail(sample_talk.path, 12.3, tmp_path / "thumb.jpg")

    assert out.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG start-of-image marker
    with av.open(str(out)) as container:
        image = container.streams.video[0].codec_context
        assert image.name == "mjpeg"
        assert framed((image.width, image.height), (640, 360)), (image.width, image.height)
    assert files_in(tmp_path) == ["thumb.jpg"]


def test_thumbnails_fit_720_on_their_long_side(tmp_path):
    for size in ((1920, 1080), (1080, 1920)):
        big = tmp_path / f"{size[0]}.mp4"
        subprocess.run(
            [ffmpeg_binary(), "-loglevel", "error", "-f", "lavfi"]
            + ["-i", f"testsrc2=s={size[0]}x{size[1]}:d=1"]
            + ["-c:v", "libx264", "-preset", "ultrafast", str(big)],
            check=True,
        )
        thumb = make_thumbnail(big, 0.5, tmp_path / f"{size[0]}.jpg")
        with av.open(str(thumb)) as container:
            image = container.streams.video[0].codec_context
            expected = (720, 405) if size[0] > size[1] else (405, 720)
            assert framed((image.width, image.height), expected), (image.width, image.height)


def test_a_silent_soundtrack_renders_without_being_amplified(tmp_path):
    quiet = tmp_path / "quiet.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3"]
        + ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "3", "-c:v", "libx264"]
        + ["-preset", "ultrafast", "-c:a", "aac", str(quiet)],
        check=True,
    )

    out = render_clip(quiet, 0.5, 2.5, tmp_path / "clip.mp4", clip_options())

    assert stream_facts(out)["audio"] == "aac"
    assert loudness(out)[0] <= -70  # still silence, not amplified noise
