"""File routes: a clip's MP4/JPG/SRT and a job's source video, only to their owner.

Anything else (no session, someone else's clip, a missing file) is a 404, so ids cannot be
probed. Range requests are answered (206), so players can seek (api/files.py).
"""

from __future__ import annotations

from fastapi import HTTPException
from nicegui import app
from starlette.responses import FileResponse

from viralclipper.api.files import file_response
from viralclipper.models import clips, jobs
from viralclipper.ui.auth import session_user_id
from viralclipper.ui.io import io_bound

CLIP_FILES = {  # kind -> (Clip attribute, media type)
    "mp4": ("video_path", "video/mp4"),
    "jpg": ("thumbnail_path", "image/jpeg"),
    "srt": ("subtitles_path", "application/x-subrip"),
}


async def _owner() -> int:
    user_id = await session_user_id()
    if user_id is None:
        raise HTTPException(status_code=404)
    return user_id


async def clip_file(clip_id: int, kind: str, download: bool = False) -> FileResponse:
    if kind not in CLIP_FILES:
        raise HTTPException(status_code=404)
    clip = await io_bound(clips.get_clip, clip_id, await _owner())
    if clip is None:
        raise HTTPException(status_code=404)
    attribute, media_type = CLIP_FILES[kind]
    filename = f"clip-{clip.job_id}-{clip.rank}.{kind}"
    return file_response(getattr(clip, attribute), media_type, filename, download=download)


async def job_source(job_id: int) -> FileResponse:
    job = await io_bound(jobs.get_job, job_id, await _owner())
    if job is None:
        raise HTTPException(status_code=404)
    return file_response(job.media_path or (job.source_url if job.upload else None), "video/mp4")


def register_routes() -> None:
    app.add_api_route(
        "/media/clips/{clip_id}.{kind}", clip_file, methods=["GET", "HEAD"], include_in_schema=False
    )
    app.add_api_route(
        "/media/jobs/{job_id}/source", job_source, methods=["GET", "HEAD"], include_in_schema=False
    )
