"""Pipeline benchmark: per-stage seconds on a generated talk, real-time factors, and batched vs
unbatched transcription side by side.

    .venv/bin/python -m bench.pipeline [--minutes 10] [--clips 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.tables import table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clips", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vc-bench-"))
    os.environ["VIRALCLIPPER_DATA_DIR"] = str(work / "data")

    from viralclipper.config import ClipSettings
    from viralclipper.pipeline.media import extract_audio
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
    print(f"generated a {talk.duration:.0f} s talk in {time.perf_counter() - t:.1f} s\n")
    get_model()  # model loading is a once-per-process cost, kept out of the stage figures

    options = ClipSettings(max_clips=args.clips, analyzer="offline")
    seconds: dict[str, float] = {}

    def timed(name: str, fn, *a):
        start = time.perf_counter()
        result = fn(*a)
        seconds[name] = time.perf_counter() - start
        return result

    media = timed(
        "download", lambda: stage_download(str(talk.path), Reporter(), allow_local_files=True)
    )
    audio, transcript = timed("transcribe", stage_transcribe, media.path, Reporter())
    moments = timed("analyze", stage_analyze, transcript, audio, Reporter(), options).moments
    timed(
        "slice", stage_slice, media.path, transcript, moments, work / "clips", Reporter(), options
    )
    total = sum(seconds.values())
    d = talk.duration
    rows = [[n, f"{s:.2f}", f"{s / d:.4f}"] for n, s in seconds.items()]
    rows.append(["total", f"{total:.2f}", f"{total / d:.4f}"])
    print(
        table(
            f"process: {d:.0f} s talk, {len(moments)} clips, 16:9, offline analyzer",
            ["stage", "seconds", "x video duration"],
            rows,
        )
    )
    print(f"\ntarget: total <= 0.25 x duration -> {'met' if total / d <= 0.25 else 'NOT met'}\n")

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
