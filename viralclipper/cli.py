"""The `viralclipper` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, get_args

from viralclipper.config import (
    Analyzer,
    Captions,
    Layout,
    OutputFormat,
    SettingsError,
    VerticalResolution,
    get_settings,
)
from viralclipper.models.jobs import JobActionError, JobStatus
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
            self.stream.write(
                f"\r{stage:<11} [{'#' * filled}{'.' * (30 - filled)}] "
                f"{fraction:4.0%}  {message[:40]:<40}"
            )
        elif int(fraction * 10) > self.last_tenth:
            self.last_tenth = int(fraction * 10)
            self.stream.write(f"{stage}: {fraction:.0%} {message}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.stage is not None:
            elapsed = time.monotonic() - self.started
            if self.tty:
                self.stream.write(f"\r{self.stage:<11} done in {elapsed:.1f}s{' ' * 70}\n")
            else:
                self.stream.write(f"{self.stage}: done in {elapsed:.1f}s\n")
            self.stage = None


def cmd_process(args: argparse.Namespace) -> int:
    from viralclipper.pipeline.process import process

    overrides = {
        "max_clips": args.max_clips,
        "min_clip_seconds": args.min_seconds,
        "max_clip_seconds": args.max_seconds,
        "output_format": args.format,
        "analyzer": args.analyzer,
        "min_score": args.min_score,
        "layout": args.layout,
        "captions": args.captions,
        "vertical_resolution": args.resolution,
        "normalize_loudness": args.normalize_loudness,
    }
    options = (
        get_settings()
        .clip_defaults()
        .updated(**{name: value for name, value in overrides.items() if value is not None})
    )
    bar = StageProgress()
    notices: list[str] = []
    clips = process(
        args.source,
        Path(args.out),
        options,
        progress=bar,
        on_notice=notices.append,
    )
    bar.finish()
    for notice in notices:  # after the progress lines, where it is not overwritten
        print(f"notice: {notice}", file=sys.stderr)
    manifest = [c.manifest_entry(Path(args.out)) for c in clips]
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(f"{len(clips)} clips written to {args.out}")
    for clip in manifest:
        print(
            f"  {clip['index']:>2}. [{clip['score']:5.1f}] {clip['start']:7.1f}s-"
            f"{clip['end']:7.1f}s  {clip['title']}  ({clip['video']})"
        )
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


def cmd_worker(args: argparse.Namespace) -> int:
    from viralclipper.queue.consumer import run_worker

    run_worker(args.workers, args.worker_type)
    return 0


def _read_password(prompt: str = "Password: ") -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(prompt)
        if getpass.getpass("Repeat: ") != first:
            raise SystemExit("error: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_user_create(args: argparse.Namespace) -> int:
    from viralclipper.models import upgrade_database
    from viralclipper.models.users import create_user, set_admin

    upgrade_database()
    try:
        user = create_user(args.email, _read_password(), is_admin=args.admin)
    except ValueError as exc:
        raise PipelineError(str(exc)) from exc
    if args.admin and not user.is_admin:
        set_admin(user.id, True)
    role = ", admin" if args.admin or user.is_admin else ""
    print(f"created user {user.email} (id {user.id}{role})")
    return 0


def _job_summary(job) -> dict:
    from viralclipper.models.clips import list_clips

    clips = list_clips(job_id=job.id)
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "current_step": job.current_step,
        "title": job.title,
        "source": job.source_url,
        "error": job.error_message,
        "created_at": job.created_at.isoformat(),
        "stage_seconds": job.stage_seconds,
        "clips": [
            {
                "rank": c.rank,
                "score": c.score,
                "start": c.start,
                "end": c.end,
                "title": c.title,
                "video": c.video_path,
            }
            for c in clips
        ],
    }


def _user_id(email: str) -> int:
    from viralclipper.models.users import get_user_by_email

    user = get_user_by_email(email)
    if user is None:
        raise PipelineError(f"there is no user {email}; create one with `viralclipper user create`")
    return user.id


def cmd_jobs(args: argparse.Namespace) -> int:
    from viralclipper.models import upgrade_database
    from viralclipper.queue import api

    # the user reads one sentence; the warnings behind it (Redis down...) are for server logs
    logging.basicConfig(level=logging.ERROR)
    upgrade_database()
    try:
        return _jobs_command(args)
    except api.QueueUnreachable as exc:  # saved: it starts when the queue is back
        print(exc.job.id if args.jobs_command == "add" else exc.job.status)
        print(exc, file=sys.stderr)
        return 0


def _jobs_command(args: argparse.Namespace) -> int:
    from viralclipper.models import jobs
    from viralclipper.queue import api

    if args.jobs_command == "add":
        print(api.submit_job(_user_id(args.user), args.source).id)
        return 0
    if args.jobs_command == "list":
        rows = jobs.list_jobs(status=args.status, limit=args.limit)
        if args.json:
            print(json.dumps([_job_summary(j) for j in rows], indent=2))
        for j in [] if args.json else rows:
            name = (j.title or j.source_url)[:60]
            print(f"{j.id:>5}  {j.status:<12} {j.progress:5.1f}%  {name}")
        return 0
    job = jobs.get_job(args.id)
    if job is None:
        raise jobs.JobNotFound(args.id)
    if args.jobs_command == "show":
        summary = _job_summary(job)
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            _print_job(summary)
    elif args.jobs_command == "cancel":
        print(api.cancel_job(args.id).status)
    elif args.jobs_command == "retry":
        print(api.retry_job(args.id).status)
    elif args.jobs_command == "reanalyze":
        print(api.reanalyze_job(args.id).status)
    elif args.jobs_command == "export":
        print(api.export_job(args.id, Path(args.out)))
    elif args.jobs_command == "delete":
        api.delete_job(args.id)
        print(f"deleted job {args.id}")
    return 0


def _clip_summary(clip) -> dict:
    return {
        "id": clip.id,
        "rank": clip.rank,
        "score": clip.score,
        "start": clip.start,
        "end": clip.end,
        "title": clip.title,
        "hook": clip.hook,
        "edited": clip.edited,
        "favourite": clip.favourite,
        "video": clip.video_path,
    }


def cmd_clips(args: argparse.Namespace) -> int:
    from viralclipper.models import clips, jobs, upgrade_database
    from viralclipper.queue import api

    logging.basicConfig(level=logging.ERROR)
    upgrade_database()
    if args.clips_command == "list":
        if jobs.get_job(args.job) is None:
            raise jobs.JobNotFound(args.job)
        rows = [_clip_summary(c) for c in clips.list_clips(job_id=args.job, limit=1000)]
        if args.json:
            print(json.dumps(rows, indent=2))
        for c in [] if args.json else rows:
            span = f"{c['start']:7.1f}-{c['end']:7.1f}s"
            print(f"{c['id']:>5}  [{c['score']:3.0f}] {span}  {c['title']}")
        return 0
    if args.clips_command == "publish":
        return _publish_clip(args)
    clip = api.edit_clip(
        args.clip, start=args.start, end=args.end, title=args.title, in_background=False
    )
    print(f"clip {clip.id}: {clip.start:.1f}-{clip.end:.1f}s {clip.title} -> {clip.video_path}")
    return 0


def _publish_clip(args: argparse.Namespace) -> int:
    from viralclipper.models.youtube import get_publication
    from viralclipper.queue import youtube

    publish_at = None
    if args.at:
        try:
            publish_at = datetime.fromisoformat(args.at)
        except ValueError:
            raise PipelineError(
                f"--at {args.at!r} is not an ISO time (2026-12-24T18:00Z)"
            ) from None
        publish_at = publish_at if publish_at.tzinfo else publish_at.replace(tzinfo=UTC)
    publication = youtube.publish_to_channel(
        args.clip, args.channel, args.privacy, publish_at, args.made_for_kids
    )
    print(f"publication {publication.id}: queued for {publication.channel_title}")
    while args.wait and publication.status not in ("published", "failed"):
        time.sleep(1.0)
        publication = get_publication(publication.id) or publication
        print(f"  {publication.status} {publication.progress:.0f}%", file=sys.stderr)
    if publication.status == "failed":
        raise PipelineError(publication.error or "the upload failed")
    if publication.url:
        print(publication.url)
    return 0


def _print_job(summary: dict) -> None:
    print(
        f"job {summary['id']}: {summary['status']} {summary['progress']:.0f}%  "
        f"{summary['current_step'] or ''}"
    )
    print(f"  source: {summary['source']}")
    if summary["title"]:
        print(f"  title:  {summary['title']}")
    if summary["error"]:
        print(f"  error:  {summary['error']}")
    for clip in summary["clips"]:
        print(
            f"  clip {clip['rank']}: [{clip['score']:.0f}] {clip['start']:.1f}-{clip['end']:.1f}s "
            f"{clip['title']}"
        )


def cmd_serve(args: argparse.Namespace) -> int:
    from viralclipper.logs import configure_logging
    from viralclipper.ui.app import run

    configure_logging()

    run(args.host, args.port)
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
    p.add_argument("--format", choices=get_args(OutputFormat))
    p.add_argument("--analyzer", choices=get_args(Analyzer))
    p.add_argument("--layout", choices=get_args(Layout), help="9:16 framing")
    p.add_argument("--captions", choices=get_args(Captions), help="burned-in caption preset")
    p.add_argument("--resolution", choices=get_args(VerticalResolution), help="vertical size")
    p.add_argument(
        "--no-loudness",
        dest="normalize_loudness",
        action="store_false",
        default=None,
        help="keep the source's audio levels",
    )
    p.add_argument("--json", action="store_true", help="print clips.json to stdout")
    p.set_defaults(func=cmd_process)

    p = commands.add_parser("serve", help="run the web app (and, without Redis, a worker)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = commands.add_parser("sample", help="generate a spoken sample talk (needs espeak-ng)")
    p.add_argument("out", help="the MP4 file to write")
    p.add_argument("--minutes", type=float, default=1.0)
    p.set_defaults(func=cmd_sample)

    p = commands.add_parser("worker", help="run a queue worker (any number, on any machine)")
    p.add_argument("--workers", type=int, help="concurrent jobs (default WORKER_COUNT)")
    p.add_argument("--worker-type", choices=["thread", "process"])
    p.set_defaults(func=cmd_worker)

    users = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True
    )
    p = users.add_parser("create", help="create a user (password from stdin or a prompt)")
    p.add_argument("email")
    p.add_argument("--admin", action="store_true")
    p.set_defaults(func=cmd_user_create)

    jobs = commands.add_parser("jobs", help="queue and inspect jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    p = jobs.add_parser("add", help="queue a video URL for a user")
    p.add_argument("source")
    p.add_argument("--user", required=True, help="the owner's email")
    p = jobs.add_parser("list", help="list jobs, newest first")
    p.add_argument("--status", choices=[status.value for status in JobStatus])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    for name in ("show", "cancel", "retry", "reanalyze", "delete"):
        p = jobs.add_parser(name, help=f"{name} a job")
        p.add_argument("id", type=int)
        if name == "show":
            p.add_argument("--json", action="store_true")
    p = jobs.add_parser("export", help="write a ZIP of a job's clips, subtitles and transcript")
    p.add_argument("id", type=int)
    p.add_argument("--out", required=True, help="the ZIP file to write")
    for p in jobs.choices.values():
        p.set_defaults(func=cmd_jobs)

    clips = commands.add_parser("clips", help="list, edit and publish clips").add_subparsers(
        dest="clips_command", required=True
    )
    p = clips.add_parser("list", help="a job's clips, best first")
    p.add_argument("job", type=int)
    p.add_argument("--json", action="store_true")
    p = clips.add_parser("edit", help="change a clip's range or title and render it again")
    p.add_argument("clip", type=int)
    p.add_argument("--start", type=float, help="seconds into the source")
    p.add_argument("--end", type=float, help="seconds into the source")
    p.add_argument("--title")
    p = clips.add_parser("publish", help="upload a clip to a connected YouTube channel")
    p.add_argument("clip", type=int)
    p.add_argument("--channel", required=True, help="the channel's title or id")
    p.add_argument("--privacy", choices=["private", "unlisted", "public"], default="private")
    p.add_argument("--at", help="publish at this ISO time (UTC unless it says); needs private")
    p.add_argument("--made-for-kids", action="store_true", help="the video is made for kids")
    p.add_argument("--wait", action="store_true", help="wait for the upload and show progress")
    for p in clips.choices.values():
        p.set_defaults(func=cmd_clips)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)
    return parser


# Commands that write into the data dir: it and everything they create there is private.
DATA_DIR_COMMANDS = {"process", "serve", "worker", "user", "jobs", "clips", "db"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in DATA_DIR_COMMANDS:
        from viralclipper.config import get_settings
        from viralclipper.pipeline.files import make_private

        make_private(get_settings().data_dir)
    try:
        return args.func(args)
    except (PipelineError, JobActionError, SettingsError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
