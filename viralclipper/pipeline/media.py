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
import numpy as np

from viralclipper.config import get_settings
from viralclipper.pipeline.files import atomic_output
from viralclipper.pipeline.progress import Cancelled, FailureKind, PipelineError, Reporter


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


# What local media may be: plain containers that hold their streams themselves. Playlists (HLS),
# concat lists and other formats that name further files or URLs would let a crafted upload read
# any file the server can (another user's clips). ffmpeg demuxer name -> what users call it.
ALLOWED_CONTAINERS = {
    "mov": "MP4/MOV/M4A",
    "matroska": "Matroska/WebM",
    "mpegts": "MPEG-TS",
    "avi": "AVI",
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "ogg": "Ogg",
}
FORMAT_WHITELIST = ",".join(ALLOWED_CONTAINERS)
# The file names those containers go by (what an upload's file picker offers besides video/* and
# audio/*); the file's content decides, not its name.
UPLOAD_EXTENSIONS = (
    ".mp4",
    ".mov",
    ".m4a",
    ".mkv",
    ".webm",
    ".ts",
    ".avi",
    ".mp3",
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
)
_REFERENCE_SIGNATURES = {b"#EXTM3U": "an HLS playlist", b"ffconcat": "an ffmpeg concat list"}


class UnsupportedMedia(PipelineError):
    """A local file that is not one of the plain media containers."""

    kind = FailureKind.UNSUPPORTED


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool
    has_video: bool
    container: str = "mov"  # the ffmpeg demuxer that reads it, one of ALLOWED_CONTAINERS


def probe(path: Path) -> MediaInfo:
    """Duration and stream facts, read with PyAV (no ffprobe needed). Only the allowed containers
    are opened, and only from the local file system: UnsupportedMedia for anything else."""
    _refuse_reference_files(path)
    try:
        with av.open(_file_url(path), options=_SAFE_OPEN) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            duration = container.duration / av.time_base if container.duration else 0.0
            if not duration and video is not None and video.duration and video.time_base:
                duration = float(video.duration * video.time_base)
            demuxer = container.format.name.split(",")[0]
            return MediaInfo(
                duration=float(duration),
                width=video.codec_context.width if video else None,
                height=video.codec_context.height if video else None,
                fps=float(video.average_rate) if video and video.average_rate else None,
                has_audio=audio is not None,
                has_video=video is not None,
                container=demuxer,
            )
    except av.error.ArgumentError as exc:  # what a demuxer off the whitelist raises
        raise UnsupportedMedia(_not_allowed(path)) from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise PipelineError(
            f"{Path(path).name} is not a readable video or audio file",
            kind=FailureKind.UNSUPPORTED,
        ) from exc


def check_media_file(path: Path) -> MediaInfo:
    """What an uploaded file must pass before it is queued (and again in the worker)."""
    info = probe(path)
    if info.container not in ALLOWED_CONTAINERS:
        raise UnsupportedMedia(_not_allowed(path))
    if not (info.has_audio or info.has_video):
        raise UnsupportedMedia(f"{Path(path).name} holds no video or audio stream.")
    return info


def ffmpeg_input(path: Path, info: MediaInfo) -> list[str]:
    """ffmpeg's `-i` for a probed local file: its own demuxer forced, local files only, so the
    file cannot pull in another file or a URL."""
    return [
        *("-f", info.container, "-format_whitelist", FORMAT_WHITELIST),
        *("-protocol_whitelist", "file", "-i", _file_url(path)),
    ]


_SAFE_OPEN = {"format_whitelist": FORMAT_WHITELIST, "protocol_whitelist": "file"}


def _file_url(path: Path) -> str:
    """`file:` + the absolute path: a name with a colon is never read as another protocol."""
    return f"file:{Path(path).absolute()}"


def _refuse_reference_files(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise PipelineError(
            f"{Path(path).name} is not a readable video or audio file",
            kind=FailureKind.UNSUPPORTED,
        ) from exc
    for signature, what in _REFERENCE_SIGNATURES.items():
        if head.startswith(signature):
            raise UnsupportedMedia(
                f"{Path(path).name} is {what}, which refers to other files; "
                "upload the video file itself."
            )


def _not_allowed(path: Path) -> str:
    return (
        f"{Path(path).name} is not a plain video or audio file; accepted formats are "
        f"{', '.join(ALLOWED_CONTAINERS.values())} (playlists and files that refer to "
        "other files are refused)."
    )


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
        raise PipelineError(
            f"{media.name} has no audio track to transcribe", kind=FailureKind.UNSUPPORTED
        )
    with atomic_output(out) as tmp:
        run_ffmpeg(
            [*ffmpeg_input(media, info), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"]
            + [str(tmp)],
            info.duration,
            reporter,
        )
        _check_complete(media, info.duration, probe(tmp).duration)
    return out


# A file whose audio decodes to less than this share of its stated length is broken, not quiet.
MIN_DECODED_SHARE = 0.5


class BrokenMedia(PipelineError):
    """The file says it is longer than what can be decoded from it (truncated or corrupt)."""

    kind = FailureKind.UNSUPPORTED


def _check_complete(media: Path, stated: float, decoded: float) -> None:
    if stated > 0 and decoded < stated * MIN_DECODED_SHARE and stated - decoded > 5:
        raise BrokenMedia(
            f"{media.name} is truncated or damaged: its audio stops after {decoded:.0f} s "
            f"although the file says it is {stated:.0f} s long."
        )


def read_frames(
    media: Path, info: MediaInfo, start: float, duration: float, fps: float, width: int
) -> tuple[np.ndarray, list[float]]:
    """Grey frames of `start`..`start + duration`, `fps` a second, scaled to `width`: an array
    (frames, height, width) and each frame's time from `start`."""
    source_w, source_h = info.width or width, info.height or width
    height = max(2, round(width * source_h / source_w / 2) * 2)
    cmd = [
        *(ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error"),
        *("-ss", f"{start:.3f}", *ffmpeg_input(media, info), "-t", f"{duration:.3f}"),
        *("-map", "0:v:0", "-vf", f"fps={fps},scale={width}:{height},format=gray"),
        *("-f", "rawvideo", "pipe:1"),
    ]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        tail = " ".join(result.stderr.decode(errors="replace").strip().splitlines()[-3:])
        raise PipelineError(f"ffmpeg could not read frames of {media.name}: {tail}")
    size = width * height
    count = len(result.stdout) // size
    frames = np.frombuffer(result.stdout[: count * size], dtype=np.uint8)
    return frames.reshape(count, height, width), [i / fps for i in range(count)]


TARGET_LUFS = -14.0
PEAK_CEILING = 0.75  # -2.5 dBFS: room for inter-sample peaks and AAC, true peak under -1 dB
GAIN_GRID = (-12.0, -6.0, 0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 24.0)  # dB tried in one pass


def loudness_filter(media: Path, info: MediaInfo, start: float, duration: float) -> str | None:
    """The audio filter that brings the span to -14 LUFS (EBU R128) with its true peak under
    -1 dB, or None when the span is silent. The gain goes before a peak limiter, which takes some
    loudness back, so one ffmpeg run measures the result of every gain on a grid and the gain
    that reaches -14 LUFS is interpolated between them."""
    levels = _loudness_by_gain(media, info, start, duration)
    if levels[GAIN_GRID.index(0.0)] is None:
        return None
    reached = [
        (gain, level) for gain, level in zip(GAIN_GRID, levels, strict=True) if level is not None
    ]
    gain = float(np.interp(TARGET_LUFS, [r[1] for r in reached], [r[0] for r in reached]))
    return f"aresample=48000,{_loudness_chain(gain)}"


def _loudness_chain(gain: float) -> str:
    return f"volume={gain:.2f}dB,alimiter=limit={PEAK_CEILING}:attack=1:release=60:level=false"


_SUMMARY = re.compile(
    r"\[Parsed_ebur128_(\d+) @ [^\]]*\] Summary:\s*Integrated loudness:\s*I:\s*(\S+) LUFS"
)


def _loudness_by_gain(
    media: Path, info: MediaInfo, start: float, duration: float
) -> list[float | None]:
    """The span's integrated loudness (LUFS) after each gain of the grid and the limiter, from
    one decode; None for a silent result."""
    branches = "".join(f"[s{i}]" for i in range(len(GAIN_GRID)))
    graph = [f"[0:a:0]aresample=48000,asplit={len(GAIN_GRID)}{branches}"]
    graph += [f"[s{i}]{_loudness_chain(g)},ebur128[o{i}]" for i, g in enumerate(GAIN_GRID)]
    outputs = [a for i in range(len(GAIN_GRID)) for a in ("-map", f"[o{i}]", "-f", "null", "-")]
    cmd = [
        *(ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "info"),
        *("-ss", f"{start:.3f}", "-t", f"{duration:.3f}", *ffmpeg_input(media, info)),
        *("-filter_complex", ";".join(graph), *outputs),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # a filter graph set up again (a format change) prints summaries first: the last ones count
    found = {int(n): value for n, value in _SUMMARY.findall(result.stderr)}
    if result.returncode != 0 or len(found) != len(GAIN_GRID):
        raise PipelineError(f"The loudness of {media.name} could not be measured")
    return [_audible(found[n]) for n in sorted(found)]


def _audible(value: str) -> float | None:
    try:
        loudness = float(value)
    except ValueError:
        return None
    return loudness if np.isfinite(loudness) and loudness > -70 else None
