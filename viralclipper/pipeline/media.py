"""ffmpeg and media probing: which binary to run, what a file holds, and running ffmpeg with
progress and cancellation."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av

from viralclipper.config import get_settings
from viralclipper.pipeline.files import atomic_output
from viralclipper.pipeline.progress import Cancelled, PipelineError, Reporter


@lru_cache
def ffmpeg_binary() -> str:
    """`FFMPEG_BINARY`, else `ffmpeg` on PATH, else the static build that imageio-ffmpeg ships."""
    configured = get_settings().ffmpeg_binary
    if configured:
        return configured
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@lru_cache
def ffmpeg_encoders() -> frozenset[str]:
    out = subprocess.run(
        [ffmpeg_binary(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
    ).stdout
    return frozenset(
        line.split()[1]
        for line in out.splitlines()
        if len(line.split()) > 1 and line.startswith(" ")
    )


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool
    has_video: bool


def probe(path: Path) -> MediaInfo:
    """Duration and stream facts, read with PyAV (no ffprobe needed)."""
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            duration = container.duration / av.time_base if container.duration else 0.0
            if not duration and video is not None and video.duration and video.time_base:
                duration = float(video.duration * video.time_base)
            return MediaInfo(
                duration=float(duration),
                width=video.codec_context.width if video else None,
                height=video.codec_context.height if video else None,
                fps=float(video.average_rate) if video and video.average_rate else None,
                has_audio=audio is not None,
                has_video=video is not None,
            )
    except (av.error.FFmpegError, OSError) as exc:
        raise PipelineError(f"{Path(path).name} is not a readable video or audio file") from exc


_TIME = re.compile(r"out_time_us=(\d+)")


def run_ffmpeg(args: list[str], duration: float, reporter: Reporter | None = None) -> None:
    """Run ffmpeg with `args`, reporting progress (0..1 of `duration` seconds of output).

    A cancellation kills the process at once; a failure raises PipelineError with ffmpeg's
    last lines.
    """
    reporter = reporter or Reporter()
    cmd = [
        ffmpeg_binary(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-progress",
        "pipe:1",
        "-nostats",
        *args,
    ]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = _TIME.match(line)
                if match and duration > 0:
                    reporter(int(match.group(1)) / 1e6 / duration, "encoding")
                else:
                    reporter.check()
        except Cancelled:
            proc.kill()
            raise
        stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        tail = " ".join(stderr.strip().splitlines()[-3:])
        raise PipelineError(f"ffmpeg failed: {tail or f'exit code {proc.returncode}'}")


def extract_audio(media: Path, out: Path, reporter: Reporter | None = None) -> Path:
    """16 kHz mono WAV: what Whisper and the loudness analysis read."""
    info = probe(media)
    if not info.has_audio:
        raise PipelineError(f"{media.name} has no audio track to transcribe")
    with atomic_output(out) as tmp:
        run_ffmpeg(
            ["-i", str(media), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(tmp)],
            info.duration,
            reporter,
        )
    return out
