"""Test data through the models API: jobs in any state, clips with real files on disk."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.lifecycle import run_to
from viralclipper.config import get_settings
from viralclipper.models import clips, jobs
from viralclipper.models.jobs import JobStatus
from viralclipper.models.tables import Job
from viralclipper.pipeline.media import ffmpeg_binary

YOUTUBE_URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def make_job(
    user_id: int,
    title: str = "A talk",
    status: JobStatus = JobStatus.PENDING,
    url: str = YOUTUBE_URL,
    **fields,
) -> Job:
    """A job moved through the real lifecycle up to `status` (by `tests.lifecycle.WORKER`)."""
    job = jobs.create_job(user_id, url, {"analyzer": "offline"})
    jobs.update_job(job.id, title=title, **fields)
    run_to(job.id, status)
    return jobs.get_job(job.id)


def write_file(path: Path, size: int = 1000) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    return str(path)


def make_completed_job(
    user_id: int, title: str = "A finished talk", scores: tuple[float, ...] = (88, 35)
) -> Job:
    """A completed job with stage durations, events, a transcript, and clips with files."""
    folder = get_settings().data_dir / "jobs" / "test" / title.replace(" ", "_")
    transcript = folder / "transcript.json"
    transcript.parent.mkdir(parents=True, exist_ok=True)
    transcript.write_text(
        json.dumps(
            {
                "language": "en",
                "duration": 64.0,
                "segments": [
                    {"start": 0.0, "end": 4.2, "text": " Welcome to the show.", "words": []},
                    {
                        "start": 12.5,
                        "end": 17.0,
                        "text": " Nobody tells you this secret.",
                        "words": [],
                    },
                ],
            }
        )
    )
    job = make_job(
        user_id,
        title,
        JobStatus.COMPLETED,
        duration=64.0,
        video_id="dQw4w9WgXcQ",
        media_path=write_file(folder / "source.mp4", 5000),
        transcript_path=str(transcript),
    )
    for stage, seconds in (
        ("download", 1.5),
        ("transcribe", 4.25),
        ("analyze", 0.5),
        ("slice", 3.0),
    ):
        jobs.record_stage(job.id, stage, seconds)
    jobs.add_event(job.id, "info", "downloaded 12 MB")
    clips.replace_clips(
        job.id,
        [
            {
                "start": 10.0 * i,
                "end": 10.0 * i + 20,
                "score": score,
                "title": f"{title} clip {i}",
                "hook": f"Hook number {i}",
                "reasoning": f"Reason {i}: a question opens it.",
                "criteria": ["viral_hooks", "humor"],
                "quote": "Nobody tells you this secret.",
                "video_path": write_file(folder / f"clip{i}.mp4"),
                "thumbnail_path": write_file(folder / f"clip{i}.jpg", 300),
                "subtitles_path": write_file(folder / f"clip{i}.srt", 200),
            }
            for i, score in enumerate(scores, start=1)
        ],
    )
    return jobs.get_job(job.id)


TOPICS = ("the launch", "hiring", "pricing", "the first customer", "burnout", "the pivot")


def long_transcript(seconds: float, every: float = 4.0) -> dict:
    """A transcript as Whisper's batched mode writes it (~30 s segments of timed words), one
    numbered sentence `every` seconds (3 or more): "Point 1799 is about the pivot." is unique."""
    segments, words = [], []
    per_segment = max(1, int(30 // every))
    for index in range(int(seconds // every)):
        text = f" Point {index} is about {TOPICS[index % len(TOPICS)]}."
        parts = text.split(" ")[1:]
        for i, part in enumerate(parts):
            at = index * every + i * 0.5
            words.append({"start": at, "end": at + 0.4, "text": " " + part})
        if index % per_segment == per_segment - 1 or (index + 1) * every >= seconds:
            segments.append(
                {
                    "start": words[0]["start"],
                    "end": words[-1]["end"],
                    "text": "".join(w["text"] for w in words),
                    "words": words,
                }
            )
            words = []
    return {"language": "en", "duration": seconds, "segments": segments}


def make_video(path: Path, seconds: float, size: str = "320x180") -> str:
    """A real, playable MP4 (a test pattern and silence, H.264 + AAC) of `seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10"]
        + ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", str(seconds)]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True,
    )
    return str(path)
