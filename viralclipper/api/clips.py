"""/api/v1/clips: one clip, its MP4, thumbnail and subtitles (SRT or WebVTT). Range requests are
answered (206). Another user's clip is a 404."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response
from starlette.responses import FileResponse

from viralclipper.api.auth import TokenUser
from viralclipper.api.files import file_response
from viralclipper.api.schemas import ClipChanges, ClipId, ClipOut
from viralclipper.models import clips
from viralclipper.models.tables import Clip
from viralclipper.queue import api

router = APIRouter(prefix="/clips", tags=["clips"])


def _file(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a file route."""
    content: dict[str, Any] = {media_type: {} for media_type in media_types}
    return {200: {"description": "The file (206 for a Range request).", "content": content}}


def owned_clip(clip_id: int, user_id: int) -> Clip:
    clip = clips.get_clip(clip_id, user_id)
    if clip is None:
        raise HTTPException(404, "Not found.")
    return clip


def _name(clip: Clip, extension: str) -> str:
    return f"clip-{clip.job_id}-{clip.rank}.{extension}"


@router.get("/{clip_id}", response_model=ClipOut)
def get_clip(clip_id: ClipId, user: TokenUser) -> ClipOut:
    return ClipOut.of(owned_clip(clip_id, user.id))


@router.patch("/{clip_id}", response_model=ClipOut)
def edit_clip(clip_id: ClipId, changes: ClipChanges, user: TokenUser) -> ClipOut:
    """Change a clip's range (anywhere in the source; rendered again, `rendering` until done),
    title, hook or favourite mark; 409 with the reason when the change is not possible."""
    edits = changes.model_dump(exclude_unset=True)
    favourite = edits.pop("favourite", None)
    clip = owned_clip(clip_id, user.id)
    if edits:
        clip = api.edit_clip(clip_id, user.id, **edits)
    if favourite is not None:
        clip = api.favourite_clip(clip_id, favourite, user.id)
    return ClipOut.of(clip)


@router.post("/{clip_id}/undo", response_model=ClipOut)
def undo_edits(clip_id: ClipId, user: TokenUser) -> ClipOut:
    """Back to the analysis's version of the clip."""
    return ClipOut.of(api.undo_clip_edits(clip_id, user.id))


@router.delete("/{clip_id}", status_code=204)
def reject_clip(clip_id: ClipId, user: TokenUser) -> Response:
    """Remove the clip from its job's clips (it stays in its analysis run)."""
    api.reject_clip(clip_id, user.id)
    return Response(status_code=204)


@router.get("/{clip_id}/video", response_class=FileResponse, responses=_file("video/mp4"))
def clip_video(clip_id: ClipId, user: TokenUser, download: bool = False) -> FileResponse:
    """The clip's MP4 (`download=true`: as an attachment)."""
    clip = owned_clip(clip_id, user.id)
    return file_response(clip.video_path, "video/mp4", _name(clip, "mp4"), download=download)


@router.get("/{clip_id}/thumbnail", response_class=FileResponse, responses=_file("image/jpeg"))
def clip_thumbnail(clip_id: ClipId, user: TokenUser) -> FileResponse:
    clip = owned_clip(clip_id, user.id)
    return file_response(clip.thumbnail_path, "image/jpeg", _name(clip, "jpg"))


@router.get("/{clip_id}/subtitles", responses=_file("application/x-subrip", "text/vtt"))
def clip_subtitles(
    clip_id: ClipId, user: TokenUser, format: Literal["srt", "vtt"] = "srt"
) -> Response:
    """The clip's subtitles as SRT or WebVTT."""
    clip = owned_clip(clip_id, user.id)
    if format == "srt":
        return file_response(clip.subtitles_path, "application/x-subrip", _name(clip, "srt"))
    vtt = api.clip_subtitles_vtt(clip)
    if vtt is None:
        raise HTTPException(404, "Not found.")
    return Response(vtt, media_type="text/vtt; charset=utf-8")
