"""Pipeline benchmark: a generated talk with a real face on screen (scikit-image's astronaut,
drifting slowly, 1280x720) through every stage, once into vertical, face-followed, captioned
1080x1920 clips and once into horizontal clips. Prints the split between transcription,
analysis, framing and encoding, the face analysis and render throughput (clip seconds per wall
second), and the whole `process` against the targets (vertical <= 0.25x the video's duration,
horizontal not slower than 0.08x).

    .venv/bin/python -m bench.pipeline [--minutes 10] [--clips 5] [--transcription-modes]

The machine is shared: say so next to the figures, they were taken under that load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.tables import table


def face_talk(talk: Path, out: Path, work: Path) -> Path:
    """The talk's audio under a 1280x720 picture of a face that drifts left and right."""
    import cv2
    from skimage import data

    from viralclipper.pipeline.media import ffmpeg_binary

    face = work / "face.png"
    cv2.imwrite(str(face), cv2.cvtColor(data.astronaut()[10:250, 130:350], cv2.COLOR_RGB2BGR))
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=0x505a64:s=1280x720:r=25",
        ]
        + ["-loop", "1", "-i", str(face), "-i", str(talk)]
        + ["-filter_complex", "[1]scale=300:300[f];[0][f]overlay=x='490+300*sin(t/5)':y=200"]
        + ["-map", "2:a", "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50"]
        + ["-pix_fmt", "yuv420p", "-c:a", "copy", str(out)],
        check=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clips", type=int, default=5)
    parser.add_argument("--transcription-modes", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vc-bench-"))
    os.environ["VIRALCLIPPER_DATA_DIR"] = str(work / "data")

    from viralclipper.config import ClipSettings
    from viralclipper.pipeline.framing import ANALYSIS_WIDTH, SAMPLE_FPS, crop_path
    from viralclipper.pipeline.media import extract_audio, probe, read_frames
    from viralclipper.pipeline.process import (
        stage_analyze,
        stage_download,
        stage_slice,
        stage_transcribe,
    )
    from viralclipper.pipeline.progress import Reporter
    from viralclipper.pipeline.sample import default_script, make_sample_talk
    from viralclipper.pipeline.transcribe import get_model, transcribe

    t = time.perf_counter()
    talk = make_sample_talk(work / "talk.mp4", default_script(args.minutes))
    video = face_talk(talk.path, work / "face-talk.mp4", work)
    print(f"generated a {talk.duration:.0f} s talk in {time.perf_counter() - t:.1f} s\n")
    get_model()  # model loading is a once-per-process cost, kept out of the stage figures

    seconds: dict[str, float] = {}

    def timed(name: str, fn, *a):
        start = time.perf_counter()
        result = fn(*a)
        seconds[name] = time.perf_counter() - start
        return result

    vertical = ClipSettings(max_clips=args.clips, analyzer="offline", output_format="vertical")
    media = timed(
        "download", lambda: stage_download(str(video), Reporter(), allow_local_files=True)
    )
    audio, transcript = timed("transcribe", stage_transcribe, media.path, Reporter())
    moments = timed("analyze", stage_analyze, transcript, audio, Reporter(), vertical).moments
    timed("slice", stage_slice, media.path, transcript, moments, work / "v", Reporter(), vertical)
    clip_seconds = sum(m.duration for m in moments)

    # the face analysis alone (render_clip runs the same inside "slice")
    info = probe(media.path)
    start = time.perf_counter()
    followed = 0
    for m in moments:
        frames, times = read_frames(
            media.path, info, m.start, m.duration, SAMPLE_FPS, ANALYSIS_WIDTH
        )
        followed += crop_path(frames, times, (info.width or 0, info.height or 0)) is not None
    framing = time.perf_counter() - start

    d = talk.duration
    split = {
        "download (local copy)": seconds["download"],
        "transcription": seconds["transcribe"],
        "analysis": seconds["analyze"],
        "framing (face analysis)": framing,
        "encoding (rest of slice)": seconds["slice"] - framing,
    }
    total = sum(seconds.values())
    rows = [[n, f"{s:.2f}", f"{s / d:.4f}"] for n, s in split.items()]
    rows.append(["total process", f"{total:.2f}", f"{total / d:.4f}"])
    print(
        table(
            f"vertical: {d:.0f} s talk -> {len(moments)} clips ({clip_seconds:.0f} s), 1080x1920, "
            f"face-followed ({followed}/{len(moments)} had a face), bold captions, loudness",
            ["stage", "seconds", "x video duration"],
            rows,
        )
    )
    print(
        f"\nface analysis: {clip_seconds / framing:.1f} clip s per wall s "
        f"({SAMPLE_FPS:g} frames/s at {ANALYSIS_WIDTH} px wide)"
        f"\nrender (framing + encoding): {clip_seconds / seconds['slice']:.2f} clip s per wall s"
        f"\ntarget: total <= 0.25 x duration -> {'met' if total / d <= 0.25 else 'NOT met'}\n"
    )

    shared = seconds["download"] + seconds["transcribe"] + seconds["analyze"]
    rows = []
    for label, loudness in (("loudness normalised", True), ("levels kept (as before)", False)):
        horizontal = vertical.updated(output_format="horizontal", normalize_loudness=loudness)
        name = f"slice {label}"
        timed(
            name, stage_slice, media.path, transcript, moments, work / name, Reporter(), horizontal
        )
        total_h = shared + seconds[name]
        rows.append(
            [
                label,
                f"{seconds[name]:.2f}",
                f"{clip_seconds / seconds[name]:.2f}",
                f"{total_h:.2f}",
                f"{total_h / d:.4f}",
            ]
        )
    print(
        table(
            f"horizontal: the same {len(moments)} clips at the source's 1280x720",
            ["audio", "slice s", "clip s per wall s", "process s", "x video duration"],
            rows,
        )
    )
    print("\ntarget: not slower than 0.08 x duration (measured before this change)\n")

    if not args.transcription_modes:
        return
    wav = extract_audio(talk.path, work / "bench.wav")
    rows = []
    for batched in (False, True):
        start = time.perf_counter()
        tr = transcribe(wav, work / f"tc-{batched}", batched=batched)
        s = time.perf_counter() - start
        rows.append(
            ["batched" if batched else "unbatched", f"{s:.2f}", f"{s / d:.4f}", len(tr.words)]
        )
    print(
        table(
            "transcription, tiny.en int8 on CPU (real-time factor = seconds / audio seconds)",
            ["mode", "seconds", "RTF", "words"],
            rows,
        )
    )
    print("\ntarget: RTF <= 0.10")


if __name__ == "__main__":
    main()
