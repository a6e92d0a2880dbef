"""/api/v1/jobs: create (URL or upload), list, get, cancel, retry, re-analyze, delete, events,
transcript, clips. Another user's job is a 404, like a missing one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile as StarletteUpload

from viralclipper.api.auth import TokenUser
from viralclipper.api.schemas import (
    MAX_ID,
    ClipOut,
    EventOut,
    JobId,
    JobOut,
    JobPage,
    NewJob,
    RunOut,
)
from viralclipper.config import SubmitOptions, validate_settings
from viralclipper.models import clips, jobs
from viralclipper.models.jobs import JobNotFound, JobStatus
from viralclipper.models.tables import Job
from viralclipper.queue import api

router = APIRouter(prefix="/jobs", tags=["jobs"])
QUEUED_LATER = 202  # saved, but the queue was unreachable: it starts when the queue is back


def owned_job(job_id: int, user_id: int) -> Job:
    job = jobs.get_job(job_id, user_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def _created(job: Job, status: int = 201) -> JSONResponse:
    return JSONResponse(
        JobOut.of(job).model_dump(mode="json"),
        status_code=status,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.post("", status_code=201, response_model=JobOut, responses={202: {"model": JobOut}})
def create_job(new: NewJob, user: TokenUser) -> JSONResponse:
    """Queue a job for a video URL (the same checks as the web app: http(s), public addresses)."""
    try:
        return _created(api.submit_job(user.id, new.url, title=new.title, options=new.options))
    except api.QueueUnreachable as exc:
        return _created(exc.job, QUEUED_LATER)


def _save(upload: StarletteUpload, target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1024 * 1024)


MAX_TITLE_CHARS = 500
UPLOAD_BODY = {  # the multipart body, documented by hand: the route reads it itself (below)
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string", "maxLength": MAX_TITLE_CHARS},
                        # the job's own options, as for a URL (SubmitOptions), one field each
                        **SubmitOptions.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload",
    status_code=201,
    response_model=JobOut,
    responses={202: {"model": JobOut}},
    openapi_extra=UPLOAD_BODY,
)
async def upload_job(request: Request, user: TokenUser) -> JSONResponse:
    """Queue a job for an uploaded video or audio file (multipart field `file`, optional
    `title` and the job's own options as fields; at most MAX_UPLOAD_MB; MP4, MOV, MKV, WebM,
    MPEG-TS, AVI or audio).

    The token is checked before a byte of the body is read (the body is parsed here, not by
    FastAPI, which would read it first)."""
    try:
        form = await request.form(max_files=1, max_fields=4 + len(SubmitOptions.model_fields))
    except HTTPException:
        raise
    except Exception as exc:  # the body broke off, or passed MAX_UPLOAD_MB (that is a 413)
        raise HTTPException(400, "The upload could not be read.") from exc
    try:
        file, title = form.get("file"), form.get("title")
        if not isinstance(file, StarletteUpload):
            raise HTTPException(422, "Send the video as the multipart field `file`.")
        if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE_CHARS):
            raise HTTPException(422, f"A title has at most {MAX_TITLE_CHARS} characters.")
        options = validate_settings(
            SubmitOptions, {name: form[name] for name in SubmitOptions.model_fields if name in form}
        )
        name = file.filename or "video"
        target = api.upload_path(name)
        try:
            await run_in_threadpool(_save, file, target)
        except BaseException:  # a part written is not kept
            target.unlink(missing_ok=True)
            raise
    finally:
        await form.close()
    try:
        job = await run_in_threadpool(
            lambda: api.submit_job(
                user.id,
                str(target),
                upload=True,
                title=title or Path(name).stem or None,
                options=options,
            )
        )
    except api.QueueUnreachable as exc:
        return _created(exc.job, QUEUED_LATER)
    except BaseException:  # not a media file we take (or anything else): nothing is kept
        target.unlink(missing_ok=True)
        raise
    return _created(job)


@router.get("", response_model=JobPage)
def list_jobs(
    user: TokenUser,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> JobPage:
    """The user's jobs, newest first."""
    found = jobs.list_jobs(user.id, status=status, limit=limit, offset=offset)
    total = jobs.count_jobs(user.id, status=status)
    return JobPage(items=[JobOut.of(j) for j in found], total=total, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: JobId, user: TokenUser) -> JobOut:
    return JobOut.of(owned_job(job_id, user.id))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: JobId, user: TokenUser) -> JobOut:
    """A pending job is cancelled at once; a running one stops at its next progress report."""
    return JobOut.of(api.cancel_job(job_id, user.id))


@router.post("/{job_id}/retry", response_model=JobOut, responses={409: {}})
def retry_job(job_id: JobId, user: TokenUser) -> JSONResponse:
    """Queue a failed or cancelled job again (409 otherwise); it resumes after its last stage."""
    try:
        return _created(api.retry_job(job_id, user.id), 200)
    except api.QueueUnreachable as exc:
        return _created(exc.job, QUEUED_LATER)


@router.post("/{job_id}/reanalyze", response_model=JobOut, responses={409: {}})
def reanalyze_job(job_id: JobId, user: TokenUser) -> JSONResponse:
    """Analyze and cut again from the transcript with the user's current settings (409 unless
    the job is finished and has its transcript)."""
    try:
        return _created(api.reanalyze_job(job_id, user.id), 200)
    except api.QueueUnreachable as exc:
        return _created(exc.job, QUEUED_LATER)


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: JobId, user: TokenUser) -> Response:
    """Delete the job, its clips, events and files."""
    api.delete_job(job_id, user.id)
    return Response(status_code=204)


@router.get("/{job_id}/events", response_model=list[EventOut])
def job_events(job_id: JobId, user: TokenUser) -> list[EventOut]:
    """The job's event log, oldest first."""
    owned_job(job_id, user.id)
    return [EventOut.of(e) for e in jobs.list_events(job_id)]


@router.get("/{job_id}/clips", response_model=list[ClipOut])
def job_clips(job_id: JobId, user: TokenUser) -> list[ClipOut]:
    """The job's clips, best first."""
    owned_job(job_id, user.id)
    return [ClipOut.of(c) for c in clips.list_clips(job_id, user.id, limit=1000)]


@router.get("/{job_id}/runs", response_model=list[RunOut])
def job_runs(job_id: JobId, user: TokenUser) -> list[RunOut]:
    """The job's analyses, newest first; `current` is the one whose clips the job shows."""
    return [
        RunOut(
            **summary.run.model_dump(include=set(RunOut.model_fields)),
            clip_count=summary.clip_count,
            best_score=summary.best_score,
            edited=summary.edited,
            current=summary.current,
        )
        for summary in api.list_runs(job_id, user.id)
    ]


@router.post("/{job_id}/runs/{run_id}/current", response_model=JobOut)
def switch_run(job_id: JobId, run_id: JobId, user: TokenUser) -> JobOut:
    """Show an earlier completed analysis's clips again (409 while the job runs)."""
    api.switch_run(job_id, run_id, user.id)
    return JobOut.of(owned_job(job_id, user.id))


TRANSCRIPT_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


@router.get(
    "/{job_id}/transcript",
    responses={200: {"content": {t.split(";")[0]: {} for t in TRANSCRIPT_TYPES.values()}}},
)
def job_transcript(
    job_id: JobId, user: TokenUser, format: Literal["json", "txt", "srt", "vtt"] = "json"
) -> Response:
    """The transcript as JSON (segments and timed words), plain text, SRT or WebVTT (one cue a
    sentence). 404 until the job has transcribed."""
    text = api.transcript_as(owned_job(job_id, user.id), format)
    if text is None:
        raise HTTPException(404, "This job has no transcript yet.")
    return Response(text, media_type=TRANSCRIPT_TYPES[format])
