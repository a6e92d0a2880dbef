"""Render: cut a clip out of the source as a browser-ready MP4, plus its thumbnail.

Cuts are frame-accurate because the clip is always re-encoded (`-c copy` starts at the previous
keyframe). `-ss` before `-i` is fast, and with re-encoding ffmpeg still discards the frames before
the requested time. Every output is written to a temporary file next to its target and renamed at
the end, so a cancelled or failed render leaves nothing half-done.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from viralclipper.config import ClipSettings, get_settings
from viralclipper.pipeline.captions import FONTS_DIR, caption_style, write_ass
from viralclipper.pipeline.files import atomic_output
from viralclipper.pipeline.framing import (
    ANALYSIS_WIDTH,
    SAMPLE_FPS,
    Box,
    CropPath,
    crop_path,
    split_windows,
)
from viralclipper.pipeline.media import (
    MediaInfo,
    ffmpeg_binary,
    ffmpeg_encoders,
    ffmpeg_input,
    loudness_filter,
    probe,
    read_frames,
    run_ffmpeg,
)
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.transcript import Word

MAX_HORIZONTAL_SIZE = (1920, 1080)  # the long and the short side: the source's frame up to 1080p
THUMBNAIL_LONG_SIDE = 720
AUDIO_BITRATE = "128k"
AUDIO_RATE = "48000"
FIT_BLUR_SCALE = 8  # the blurred background of `fit` is made at 1/8 of the size, then scaled up

# The centre 9:16 window. Expressions work on the frame as decoded (after rotation).
_CENTRE_CROP = "crop=w='min(iw,ih*9/16)':h='min(ih,iw*16/9)'"

ENCODER_ARGS = {
    "h264_nvenc": ["-c:v", "h264_nvenc", "-preset", "p4", "-rc", "vbr", "-cq", "21", "-b:v", "0"],
    # measured here on 720p: ~4x real time on 2 cores, files half the size of superfast's
    "libx264": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"],
}
# A 1080x1920 frame has 2.25x the pixels of 720p and is mostly a small crop scaled up (smooth):
# bench/render.py measured ultrafast (with CABAC back on, for 20% smaller files) at 0.63x the
# CPU-seconds of superfast, SSIM 0.9992 vs 0.9994 against a lossless encode, files 1.2x bigger;
# the first re-rendered clip is what the user waits for, and the platforms re-encode anyway.
LARGE_FRAME_PIXELS = 1920 * 1080
LARGE_FRAME_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20"]
LARGE_FRAME_X264 += ["-x264-params", "cabac=1"]


class RenderError(PipelineError):
    """A clip, thumbnail or subtitle file could not be made."""


def render_clip(
    media: Path,
    start: float,
    end: float,
    out: Path,
    options: ClipSettings | None = None,
    *,
    words: list[Word] | None = None,
    reporter: Reporter | None = None,
) -> Path:
    """Cut `start`..`end` (seconds) of `media` into an H.264/AAC MP4 at `out`, shaped by
    `options` (format, 9:16 layout and size, captions burned in from `words`, loudness)."""
    options = options or get_settings().clip_defaults()
    reporter = reporter or Reporter()
    info = _video_info(media)
    start, end = _clip_bounds(media, info, start, end)
    duration = end - start
    seek = ["-ss", f"{start:.3f}", *ffmpeg_input(media, info), "-t", f"{duration:.3f}"]
    # "0:a:0?" maps the audio only when there is some: silent sources still render
    streams = ["-map", "0:v:0", "-map", "0:a:0?", "-map_chapters", "-1", "-sn", "-dn"]
    loudness = (
        loudness_filter(media, info, start, duration)
        if options.normalize_loudness and info.has_audio
        else None
    )
    audio = [*(["-af", loudness] if loudness else []), "-ar", AUDIO_RATE, "-ac", "2"]
    audio += ["-c:a", "aac", "-b:a", AUDIO_BITRATE]
    container = ["-movflags", "+faststart", "-f", "mp4"]
    with tempfile.TemporaryDirectory(prefix="viralclipper-render-") as work:
        size, frame = _framing(media, info, start, duration, options, reporter)
        style = caption_style(options.captions, options.output_format)
        if style and words:
            ass = write_ass(words, start, end, Path(work) / "captions.ass", style=style, size=size)
            frame += f",subtitles=filename={_filter_path(ass)}:fontsdir={_filter_path(FONTS_DIR)}"
        video = ["-vf", frame, "-pix_fmt", "yuv420p"]
        with atomic_output(out) as tmp:
            _encode_video(
                [*seek, *streams],
                [*video, *audio, *container],
                tmp,
                duration,
                reporter.scaled(0.1, 1.0),
                large_frame=size[0] * size[1] >= LARGE_FRAME_PIXELS,
            )
    reporter(1.0, "clip rendered")
    return out


def _framing(
    media: Path,
    info: MediaInfo,
    start: float,
    duration: float,
    options: ClipSettings,
    reporter: Reporter,
) -> tuple[tuple[int, int], str]:
    """The output size and the filters that frame the picture into it."""
    if options.output_format == "horizontal":
        return _horizontal_size(info), _fit_filter(MAX_HORIZONTAL_SIZE)
    size = options.vertical_size
    layout = options.layout
    path: CropPath | None = None
    if layout in ("auto", "split"):
        reporter(0.0, "finding the speaker")
        frames, times = read_frames(media, info, start, duration, SAMPLE_FPS, ANALYSIS_WIDTH)
        source = (info.width or 0, info.height or 0)
        windows = split_windows(frames, source) if layout == "split" else None
        if windows is not None:
            return size, _stacked(windows, size)
        path = crop_path(frames, times, source)  # split without two faces: as auto
        reporter(0.1, "framing found")
        layout = "fit" if path is None and _wider_than_9_16(info) else "center"
    if path is not None:
        crop = f"crop=w={path.width}:h={path.height}:x='{path.expression()}':y=0"
        return size, f"{crop},{_exact_scale(size)}"
    if layout == "fit":
        return size, _fit_over_blur(size)
    return size, f"{_CENTRE_CROP},{_exact_scale(size)}"


def _stacked(windows: tuple[Box, Box], size: tuple[int, int]) -> str:
    """`split`: the first window over the second, each filling half of the frame."""
    w, h = size
    half = f"scale={w}:{h // 2},setsar=1"
    (x1, y1, w1, h1), (x2, y2, w2, h2) = windows
    return (
        "split[first][second];"
        f"[first]crop={w1}:{h1}:{x1}:{y1},{half}[top];"
        f"[second]crop={w2}:{h2}:{x2}:{y2},{half}[bottom];"
        "[top][bottom]vstack"
    )


def _wider_than_9_16(info: MediaInfo) -> bool:
    return bool(info.width and info.height and info.width * 16 > info.height * 9 + 16)


def _exact_scale(size: tuple[int, int]) -> str:
    return f"scale={size[0]}:{size[1]},setsar=1"


def _fit_over_blur(size: tuple[int, int]) -> str:
    """The whole frame, fitted to the width, over a blurred zoomed copy that fills the rest."""
    w, h = size
    small = f"{w // FIT_BLUR_SCALE // 2 * 2}:{h // FIT_BLUR_SCALE // 2 * 2}"
    return (
        "split[bg][fg];"
        f"[bg]scale={small}:force_original_aspect_ratio=increase,crop={small},"
        f"boxblur=10:2,scale={w}:{h},setsar=1[blurred];"
        f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[sharp];"
        "[blurred][sharp]overlay=(W-w)/2:(H-h)/2"
    )


def _horizontal_size(info: MediaInfo) -> tuple[int, int]:
    """The source's size fitted (never enlarged) to 1920x1080, or 1080x1920 for a tall source."""
    w, h = info.width or MAX_HORIZONTAL_SIZE[0], info.height or MAX_HORIZONTAL_SIZE[1]
    long_side, short_side = MAX_HORIZONTAL_SIZE
    box = (long_side, short_side) if w >= h else (short_side, long_side)
    factor = min(1.0, box[0] / w, box[1] / h)
    return int(w * factor) // 2 * 2, int(h * factor) // 2 * 2


def _filter_path(path: Path) -> str:
    """A path as a filter option's value inside a filter graph, escaped for both levels."""
    return _escaped(_escaped(str(Path(path).absolute()), "\\':"), "\\'[],;")


def _escaped(text: str, special: str) -> str:
    return "".join(f"\\{c}" if c in special else c for c in text)


def make_thumbnail(video: Path, at: float, out: Path) -> Path:
    """A JPEG of the rendered clip's frame at `at` s, at most 720 px on its long side, so it is
    framed (and captioned) like the clip."""
    info = _video_info(video)
    # a seek past the last frame yields no picture at all
    at = min(max(at, 0.0), max(info.duration - 0.5, 0.0))
    fit = _fit_filter((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE))
    with atomic_output(out) as tmp:
        seek = ["-ss", f"{at:.3f}", *ffmpeg_input(video, info), "-frames:v", "1"]
        jpeg = ["-vf", fit, "-c:v", "mjpeg", "-q:v", "3"]
        run_ffmpeg([*seek, *jpeg, "-f", "image2", "-update", "1", str(tmp)], 0.0)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise RenderError(f"No frame could be read from {video.name} at {at:.1f} s")
    return out


def video_encoders() -> list[str]:
    """The H.264 encoders to try, best first: NVENC when it really works here, then libx264."""
    return ["h264_nvenc", "libx264"] if nvenc_works() else ["libx264"]


@lru_cache
def nvenc_works() -> bool:
    """ffmpeg builds list h264_nvenc even on machines with no NVIDIA GPU: try a tiny encode."""
    if "h264_nvenc" not in ffmpeg_encoders():
        return False
    test_encode = ["-f", "lavfi", "-i", "color=black:s=256x256:d=0.2", "-c:v", "h264_nvenc"]
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", *test_encode, "-f", "null", "-"]
    try:
        result = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _encode_video(
    input_args: list[str],
    output_args: list[str],
    tmp: Path,
    duration: float,
    reporter: Reporter,
    encoders: list[str] | None = None,
    *,
    large_frame: bool = False,
) -> None:
    """Encode with the first encoder that works; a failing GPU encoder falls back to the next."""
    encoders = encoders or video_encoders()
    for i, encoder in enumerate(encoders):
        try:
            codec = ENCODER_ARGS.get(encoder, ["-c:v", encoder])
            if large_frame and encoder == "libx264":
                codec = LARGE_FRAME_X264
            run_ffmpeg([*input_args, *codec, *output_args, str(tmp)], duration, reporter)
            return
        except PipelineError:
            if i == len(encoders) - 1:
                raise


def _fit_filter(box: tuple[int, int]) -> str:
    """Scale down to fit the box (its long side along the frame's), never up, keeping the
    aspect, with even sides."""
    long_side, short_side = box
    return (
        f"scale=w='if(gte(iw,ih),min(iw,{long_side}),min(iw,{short_side}))'"
        f":h='if(gte(iw,ih),min(ih,{short_side}),min(ih,{long_side}))'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )


def _video_info(media: Path) -> MediaInfo:
    info = probe(media)
    if not info.has_video:
        raise RenderError(f"{media.name} has no video stream to cut clips from")
    return info


def _clip_bounds(media: Path, info: MediaInfo, start: float, end: float) -> tuple[float, float]:
    """The requested span, with an end slightly past the source's end cut back to it."""
    if info.duration > 0:
        end = min(end, info.duration)
    if start < 0 or end - start <= 0:
        raise RenderError(
            f"Cannot cut {start:.2f}-{end:.2f} s from {media.name} ({info.duration:.1f} s long)"
        )
    return start, end
