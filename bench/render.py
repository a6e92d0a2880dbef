"""Render benchmark: the CPU-seconds (user+sys of the ffmpeg child) of one 9:16 1080x1920 clip,
per ffmpeg graph and x264 setting, with size and SSIM against a lossless encode of the graph.

    .venv/bin/python -m bench.render [--seconds 20]

CPU-seconds are robust on a shared box; wall time is printed too but depends on the load.
The source is the generated 640x360 talk (as bench/reanalysis.py), centre-cropped to 9:16.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from bench.tables import table

CROP = "crop=w='min(iw,ih*9/16)':h='min(ih,iw*16/9)'"
CURRENT = ["-c:v", "libx264", "-preset", "superfast", "-crf", "20"]
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "current: superfast crf20": (f"{CROP},scale=1080:1920,setsar=1", CURRENT),
    "veryfast crf20": (
        f"{CROP},scale=1080:1920,setsar=1",
        ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"],
    ),
    "ultrafast crf20": (
        f"{CROP},scale=1080:1920,setsar=1",
        ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20"],
    ),
    "ultrafast crf20 cabac": (
        f"{CROP},scale=1080:1920,setsar=1",
        ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-x264-params", "cabac=1"],
    ),
    "superfast crf23": (
        f"{CROP},scale=1080:1920,setsar=1",
        ["-c:v", "libx264", "-preset", "superfast", "-crf", "23"],
    ),
    "superfast crf20 fastdecode": (
        f"{CROP},scale=1080:1920,setsar=1",
        [*CURRENT, "-tune", "fastdecode"],
    ),
    "superfast crf20 bilinear": (f"{CROP},scale=1080:1920:flags=bilinear,setsar=1", CURRENT),
    "superfast crf20 yuv420p before scale": (
        f"{CROP},format=yuv420p,scale=1080:1920,setsar=1",
        CURRENT,
    ),
}
AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]


def _run(args: list[str]) -> tuple[float, float, str]:
    """CPU-seconds (user+sys of the child), wall seconds, stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-y", *args], capture_output=True, text=True
    )
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stderr


def _ssim(out: Path, reference: Path) -> str:
    _, _, err = _run(["-i", str(out), "-i", str(reference), "-lavfi", "ssim", "-f", "null", "-"])
    found = re.search(r"All:(\S+)", err)
    return found.group(1) if found else "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vc-bench-render-"))
    source = args.source
    if source is None:
        from viralclipper.pipeline.sample import default_script, make_sample_talk

        source = make_sample_talk(work / "talk.mp4", default_script(0.5)).path
    cut = ["-ss", "5", "-i", str(source), "-t", f"{args.seconds}"]
    reference = work / "reference.mkv"
    graph = VARIANTS["current: superfast crf20"][0]
    _run([*cut, "-vf", f"{graph},format=yuv420p", "-c:v", "ffv1", "-an", str(reference)])
    rows = []
    base_cpu = 0.0
    for name, (graph, codec) in VARIANTS.items():
        out = work / f"{len(rows)}.mp4"
        video = ["-vf", f"{graph},format=yuv420p", *codec]
        cpu, wall, _ = _run([*cut, *video, *AUDIO, "-movflags", "+faststart", str(out)])
        base_cpu = base_cpu or cpu
        size = out.stat().st_size / 1e6
        rows.append(
            [name, f"{cpu:.1f}", f"{wall:.1f}", f"{size:.1f}", _ssim(out, reference)]
            + [f"{cpu / base_cpu:.2f}"]
        )
    header = ["variant", "CPU-s", "wall s", "MB", "SSIM", "CPU vs current"]
    print(table(f"One {args.seconds:.0f} s 9:16 clip, 1080x1920", header, rows))


if __name__ == "__main__":
    main()
