"""File routes: a clip's MP4/JPG/SRT/VTT (downloads named from its title), a job's source video,
its transcript lines (what the job page's transcript view shows) and its export ZIP, only to
their owner.

Anything else (no session, someone else's clip, a missing file) is a 404, so ids cannot be
probed. Range requests are answered (206), so players can seek (api/files.py).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import HTTPException
from nicegui import app
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, JSONResponse

from viralclipper.api.files import file_response
from viralclipper.models import clips, jobs
from viralclipper.queue import api
from viralclipper.ui.auth import session_user_id
from viralclipper.ui.io import io_bound

MAX_EXPORT_CLIPS = 200
CLIP_FILES = {  # kind -> (Clip attribute, media type)
    "mp4": ("video_path", "video/mp4"),
    "jpg": ("thumbnail_path", "image/jpeg"),
    "srt": ("subtitles_path", "application/x-subrip"),
    "vtt": ("subtitles_path", "text/vtt"),  # the VTT beside the SRT
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
    path = getattr(clip, attribute)
    if kind == "vtt" and path:
        path = str(Path(path).with_suffix(".vtt"))
    filename = api.download_name(clip.title, kind)
    return file_response(path, media_type, filename, download=download)


def _zip_response(build, name: str) -> FileResponse:
    """`build(path)` writes a ZIP in a private temporary folder, removed once it is sent."""
    folder = Path(tempfile.mkdtemp(prefix="export-"))
    out = build(folder / "clips.zip")
    return FileResponse(
        out,
        media_type="application/zip",
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


async def clips_export(ids: str = "") -> FileResponse:
    """A ZIP of the chosen clips (the gallery's selection), only the owner's."""
    user_id = await _owner()
    chosen = [int(i) for i in ids.split(",") if i.strip().isdigit()][:MAX_EXPORT_CLIPS]
    if not chosen:
        raise HTTPException(status_code=404)
    try:
        return await io_bound(
            _zip_response, lambda out: api.export_clips(chosen, out, user_id), "clips.zip"
        )
    except api.ClipNotFound:
        raise HTTPException(status_code=404) from None


async def job_export(job_id: int) -> FileResponse:
    """The job's ZIP (clips, subtitles, thumbnails, clips.json, transcript), built on request."""
    user_id = await _owner()
    job = await io_bound(jobs.get_job, job_id, user_id)
    if job is None:
        raise HTTPException(status_code=404)
    name = api.download_name(job.title or f"job {job_id}", "zip")
    return await io_bound(_zip_response, lambda out: api.export_job(job_id, out, user_id), name)


async def job_source(job_id: int) -> FileResponse:
    job = await io_bound(jobs.get_job, job_id, await _owner())
    if job is None:
        raise HTTPException(status_code=404)
    return file_response(job.media_path or (job.source_url if job.upload else None), "video/mp4")


async def job_lines(job_id: int) -> JSONResponse:
    """The transcript as [[start, end, text], ...], one sentence a line: fetched by the page
    after it has loaded, so a 2-hour transcript does not weigh on the page itself."""
    job = await io_bound(jobs.get_job, job_id, await _owner())
    if job is None:
        raise HTTPException(status_code=404)
    lines = await io_bound(api.transcript_lines, job)
    return JSONResponse(lines, headers={"Cache-Control": "private, no-cache"})


def register_routes() -> None:
    app.add_api_route(
        "/media/clips/{clip_id}.{kind}", clip_file, methods=["GET", "HEAD"], include_in_schema=False
    )
    app.add_api_route(
        "/media/jobs/{job_id}/source", job_source, methods=["GET", "HEAD"], include_in_schema=False
    )
    app.add_api_route(
        "/media/jobs/{job_id}/lines.json", job_lines, methods=["GET"], include_in_schema=False
    )
    app.add_api_route(
        "/media/jobs/{job_id}/clips.zip", job_export, methods=["GET"], include_in_schema=False
    )
    app.add_api_route("/media/clips.zip", clips_export, methods=["GET"], include_in_schema=False)
