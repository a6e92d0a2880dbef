"""The `viralclipper` command."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from viralclipper.pipeline.progress import PipelineError


class StageProgress:
    """A progress bar per stage on a terminal; plain lines (every 10 %) otherwise."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.stage: str | None = None
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, stage: str, fraction: float, message: str) -> None:
        if stage != self.stage:
            self.finish()
            self.stage, self.started, self.last_tenth = stage, time.monotonic(), -1
        if self.tty:
            filled = int(fraction * 30)
            self.stream.write(f"\r{stage:<11} [{'#' * filled}{'.' * (30 - filled)}] "
                              f"{fraction:4.0%}  {message[:40]:<40}")
        elif int(fraction * 10) > self.last_tenth:
            self.last_tenth = int(fraction * 10)
            self.stream.write(f"{stage}: {fraction:.0%} {message}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.stage is not None:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"{'' if not self.tty else chr(13)}{self.stage:<11} done in "
                              f"{elapsed:.1f}s{' ' * 60 if self.tty else ''}\n")
            self.stage = None


def cmd_process(args: argparse.Namespace) -> int:
    from viralclipper.pipeline.process import ClipOptions, process

    options = ClipOptions.from_settings(
        max_clips=args.max_clips, min_seconds=args.min_seconds, max_seconds=args.max_seconds,
        output_format=args.format, analyzer=args.analyzer, min_score=args.min_score)
    bar = StageProgress()
    clips = process(args.source, Path(args.out), options, progress=bar)
    bar.finish()
    manifest = [c.manifest_entry(Path(args.out)) for c in clips]
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(f"{len(clips)} clips written to {args.out}")
    for clip in manifest:
        print(f"  {clip['index']:>2}. [{clip['score']:5.1f}] {clip['start']:7.1f}s-"
              f"{clip['end']:7.1f}s  {clip['title']}  ({clip['video']})")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from viralclipper.pipeline.sample import default_script, make_sample_talk

    talk = make_sample_talk(Path(args.out), default_script(args.minutes))
    print(f"wrote a {talk.duration:.0f} s sample talk to {talk.path}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from viralclipper.models import upgrade_database

    upgrade_database()
    print("database is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="viralclipper", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("process", help="turn a video (URL or file) into clips, no server")
    p.add_argument("source", help="a video URL (YouTube or any yt-dlp site) or a local file")
    p.add_argument("--out", required=True, help="folder for the clips and clips.json")
    p.add_argument("--max-clips", type=int)
    p.add_argument("--min-seconds", type=float)
    p.add_argument("--max-seconds", type=float)
    p.add_argument("--min-score", type=float)
    p.add_argument("--format", choices=["horizontal", "vertical"])
    p.add_argument("--analyzer", choices=["auto", "llm", "offline"])
    p.add_argument("--json", action="store_true", help="print clips.json to stdout")
    p.set_defaults(func=cmd_process)

    p = commands.add_parser("sample", help="generate a spoken sample talk (needs espeak-ng)")
    p.add_argument("out", help="the MP4 file to write")
    p.add_argument("--minutes", type=float, default=1.0)
    p.set_defaults(func=cmd_sample)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PipelineError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
