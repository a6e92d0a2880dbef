"""What the API answers: the public fields of jobs, clips and events (never a server path)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from viralclipper.config import SubmitOptions
from viralclipper.models.jobs import JobStatus, failed_stage
from viralclipper.models.tables import Clip, Job, JobEvent

MAX_ID = 2**31 - 1  # ids are 32-bit integers on Postgres
JobId = Annotated[int, Path(ge=1, le=MAX_ID)]
ClipId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorOut(BaseModel):
    """Every error: one sentence; a 422 lists the problems too."""

    detail: str
    errors: list[dict] | None = None


ERRORS: dict[int | str, dict] = {
    "default": {
        "model": ErrorOut,
        "description": "An error (400, 401, 404, 409, 413, 422, 429): one sentence in `detail`.",
    }
}


class JobOut(BaseModel):
    id: int
    status: JobStatus
    progress: float
    current_step: str | None
    error_message: str | None
    title: str | None
    source_url: str | None = Field(description="The submitted URL; null for an uploaded file.")
    upload: bool
    duration: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    last_completed_stage: str | None
    stage_seconds: dict[str, float]
    cancel_requested: bool
    failure_kind: str | None = Field(
        description="Why a failed job failed: error (a retry may help), source_gone, private, "
        "unsupported or too_long (it cannot)."
    )
    failed_stage: str | None = Field(description="The stage a failed job failed in.")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            **job.model_dump(exclude={"source_url", "status"}),
            status=JobStatus(job.status),
            source_url=None if job.upload else job.source_url,
            failed_stage=failed_stage(job),
        )


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    limit: int
    offset: int


class NewJob(BaseModel):
    url: str = Field(min_length=1, max_length=4096, description="The video's http(s) URL.")
    title: str | None = Field(None, max_length=500)
    options: SubmitOptions | None = Field(
        None, description="This job's own clip settings over the user's (those left out)."
    )


class EventOut(BaseModel):
    id: int
    created_at: datetime
    level: str
    message: str

    @classmethod
    def of(cls, event: JobEvent) -> EventOut:
        return cls.model_validate(event, from_attributes=True)


class ClipOut(BaseModel):
    id: int
    job_id: int
    rank: int
    start: float
    end: float
    duration: float
    score: float
    title: str
    hook: str | None
    reasoning: str | None
    criteria: list[str]
    quote: str | None
    created_at: datetime
    publish_status: str | None
    youtube_id: str | None
    favourite: bool
    edited: bool
    rendering: bool = Field(description="A new render after an edit is on its way.")
    render_progress: float | None = Field(
        None, description="How far that render has come (0 to 100); null when none runs."
    )
    video_url: str | None
    thumbnail_url: str | None
    subtitles_url: str | None

    @classmethod
    def of(cls, clip: Clip) -> ClipOut:
        base = f"/api/v1/clips/{clip.id}"
        return cls(
            **clip.model_dump(exclude={"video_path", "thumbnail_path", "subtitles_path"}),
            duration=clip.duration,
            video_url=f"{base}/video" if clip.video_path else None,
            thumbnail_url=f"{base}/thumbnail" if clip.thumbnail_path else None,
            subtitles_url=f"{base}/subtitles" if clip.subtitles_path else None,
        )


class ClipChanges(BaseModel):
    """What an edit changes; left out: unchanged. A new range is rendered again."""

    model_config = ConfigDict(extra="forbid")

    start: float | None = Field(None, ge=0, le=86400)
    end: float | None = Field(None, ge=0, le=86400)
    title: str | None = Field(None, max_length=500)
    hook: str | None = Field(None, max_length=2000)
    favourite: bool | None = None


class RunOut(BaseModel):
    id: int
    number: int
    status: str
    analyzer: str | None
    notice: str | None
    error_message: str | None
    created_at: datetime
    finished_at: datetime | None
    clip_count: int
    best_score: float | None
    edited: int
    current: bool
