"""The tables. Column types work on SQLite and Postgres alike; timestamps are timezone-aware UTC.

Change a table here, then add a migration (see viralclipper/migrations/README).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from viralclipper.config import ClipSettings

# Named constraints, so later migrations (batch mode on SQLite) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite would otherwise reuse the id of a deleted row (a stale link or a file named by id could
# then point at a new job or clip); Postgres sequences never reuse ids.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def primary_key() -> Any:
    """An id column. Typed `int`: every row the code handles has been written, and its id read
    back; it is None only between building a row and flushing it."""
    return Field(default=None, primary_key=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zone type (SQLAlchemy stores the text without the offset), so values are
    converted to UTC before they are written and marked UTC when read; on Postgres this is
    `timestamp with time zone`. Naive datetimes are refused: they are always a bug here.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _timestamp(*, nullable: bool = True, index: bool = False) -> Any:
    """A UTC timestamp column; `nullable=False` ones default to now."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def _json(default_factory=None, *, nullable: bool = True) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON, nullable=nullable)


def _text(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=sa.Text, nullable=nullable)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    email: str = Field(unique=True, index=True)  # always lower-cased by models.users
    password_hash: str
    is_admin: bool = False
    created_at: datetime = _timestamp(nullable=False)
    # Bumped when the user logs out or changes the password: sessions that carry an older value
    # are over, on every browser.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ApiToken(SQLModel, table=True):
    """A personal API token: only the SHA-256 of its secret is kept (models/tokens.py)."""

    __tablename__ = "api_tokens"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    name: str
    token_hash: str = Field(unique=True, index=True)
    prefix: str  # the secret's first characters, to tell tokens apart in the list
    created_at: datetime = _timestamp(nullable=False)
    last_used_at: datetime | None = _timestamp()
    revoked_at: datetime | None = _timestamp()


class Webhook(SQLModel, table=True):
    """A URL of the user's that hears `job.completed` and `job.failed`, signed with `secret`."""

    __tablename__ = "webhooks"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    url: str = Field(sa_type=sa.Text)
    secret: str  # the HMAC key, shown to the user when the webhook is made
    created_at: datetime = _timestamp(nullable=False)


class WorkerBeat(SQLModel, table=True):
    """A running worker process and when it last reported (what /health and /metrics show)."""

    __tablename__ = "worker_beats"

    name: str = Field(primary_key=True)  # host:pid
    started_at: datetime = _timestamp(nullable=False)
    beat_at: datetime = _timestamp(nullable=False, index=True)


class UserSettings(SQLModel, table=True):
    """One row per user: their `config.ClipSettings` as JSON, created on first read."""

    __tablename__ = "user_settings"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", unique=True)
    settings: dict[str, Any] = _json(dict, nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class InstanceSettingsRow(SQLModel, table=True):
    """The admin's `config.InstanceSettings` as JSON: one row (id 1), absent until first saved."""

    __tablename__ = "instance_settings"

    id: int | None = Field(default=None, primary_key=True)
    settings: dict[str, Any] = _json(dict, nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class YouTubeAccount(SQLModel, table=True):
    __tablename__ = "youtube_accounts"
    __table_args__ = (sa.UniqueConstraint("user_id", "channel_id"), NEVER_REUSE_IDS)

    id: int = primary_key()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    channel_id: str
    channel_title: str | None = None
    token_encrypted: str = Field(sa_type=sa.Text)  # OAuth tokens, encrypted at rest
    created_at: datetime = _timestamp(nullable=False)
    channel_thumbnail: str | None = _text()  # the channel's avatar URL
    # Google refused the refresh token (revoked or expired consent): connect the channel again
    needs_reconnect: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class YouTubeOAuthState(SQLModel, table=True):
    """A Connect YouTube flow in progress: its state and PKCE verifier, for the user who started
    it; used (deleted) by the one callback that carries the state."""

    __tablename__ = "youtube_oauth_states"

    state: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    code_verifier: str = Field(sa_type=sa.Text)
    created_at: datetime = _timestamp(nullable=False)


class YouTubePublication(SQLModel, table=True):
    """One clip published (or being published) to one channel."""

    __tablename__ = "youtube_publications"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    clip_id: int = Field(foreign_key="clips.id", ondelete="CASCADE", index=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    account_id: int | None = Field(
        default=None, foreign_key="youtube_accounts.id", ondelete="SET NULL"
    )
    channel_id: str
    channel_title: str | None = None
    title: str = Field(sa_type=sa.Text)
    description: str = Field(default="", sa_type=sa.Text)
    tags: list[str] = _json(list, nullable=False)
    privacy: str = "private"  # 'private' | 'unlisted' | 'public'
    publish_at: datetime | None = _timestamp()  # scheduled (with privacy 'private')
    made_for_kids: bool = False
    status: str = "queued"  # 'queued' | 'uploading' | 'published' | 'failed'
    progress: float = 0.0  # 0-100
    upload_session: str | None = _text()  # the resumable upload's URI, to resume after a restart
    youtube_id: str | None = None
    error: str | None = _text()
    created_at: datetime = _timestamp(nullable=False, index=True)
    updated_at: datetime = _timestamp(nullable=False)
    published_at: datetime | None = _timestamp()

    @property
    def url(self) -> str | None:
        return f"https://youtube.com/shorts/{self.youtube_id}" if self.youtube_id else None


class Job(SQLModel, table=True):
    """One video through the pipeline. `status` holds a `JobStatus` value (see models.jobs)."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_user_id_status", "user_id", "status"), NEVER_REUSE_IDS)

    id: int = primary_key()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    source_url: str = Field(sa_type=sa.Text)
    title: str | None = None
    video_id: str | None = None
    uploader: str | None = None
    thumbnail_url: str | None = Field(default=None, sa_type=sa.Text)
    duration: float | None = None  # seconds

    status: str = "pending"
    current_step: str | None = None
    progress: float = 0.0  # 0-100 over the whole job
    error_message: str | None = _text()
    # why it failed, a pipeline.progress.FailureKind value: whether a retry can help
    failure_kind: str | None = None

    created_at: datetime = _timestamp(nullable=False, index=True)
    started_at: datetime | None = _timestamp()
    finished_at: datetime | None = _timestamp()
    updated_at: datetime = _timestamp(nullable=False)

    media_path: str | None = _text()
    audio_path: str | None = _text()
    transcript_path: str | None = _text()
    last_completed_stage: str | None = None  # None or one of models.jobs.STAGES
    stage_seconds: dict[str, float] = _json(dict, nullable=False)

    cancel_requested: bool = False
    worker_id: str | None = None
    heartbeat_at: datetime | None = _timestamp(index=True)
    attempts: int = 0
    options: dict[str, Any] = _json(dict, nullable=False)  # its ClipSettings (config.py) snapshot
    upload: bool = False  # the source is a file uploaded to the data dir (which a worker may read)
    # the analysis run whose clips the job shows (None until its first run completed)
    current_run_id: int | None = None

    @property
    def clip_settings(self) -> ClipSettings:
        return ClipSettings.model_validate(self.options)


class JobEvent(SQLModel, table=True):
    __tablename__ = "job_events"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    job_id: int = Field(foreign_key="jobs.id", ondelete="CASCADE", index=True)
    created_at: datetime = _timestamp(nullable=False)
    level: str = "info"  # 'info' | 'warning' | 'error'
    message: str = Field(sa_type=sa.Text)


class AnalysisRun(SQLModel, table=True):
    """One analysis of a job (its first, and every re-analysis): the settings it ran with, its
    clips, how it went. A job shows the clips of its current run (`Job.current_run_id`)."""

    __tablename__ = "analysis_runs"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    job_id: int = Field(foreign_key="jobs.id", ondelete="CASCADE", index=True)
    number: int  # 1 = the job's first analysis
    status: str = "running"  # models.runs.RunStatus
    options: dict[str, Any] = _json(dict, nullable=False)  # its ClipSettings snapshot
    analyzer: str | None = None  # which analyzer ranked the moments: 'llm' or 'offline'
    notice: str | None = _text()  # what the user should know, e.g. the LLM was unavailable
    error_message: str | None = _text()
    stage_seconds: dict[str, float] = _json(dict, nullable=False)
    log: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _timestamp(nullable=False)
    finished_at: datetime | None = _timestamp()

    @property
    def clip_settings(self) -> ClipSettings:
        return ClipSettings.model_validate(self.options)


class Clip(SQLModel, table=True):
    __tablename__ = "clips"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int = primary_key()
    job_id: int = Field(foreign_key="jobs.id", ondelete="CASCADE", index=True)
    # its analysis run (models.runs); no foreign key: runs go only with their job, which takes
    # its clips along, and SQLite could add one only by copying the table
    run_id: int | None = Field(default=None, index=True)
    rank: int  # 1 = the best clip of its job
    start: float
    end: float
    score: float
    title: str = Field(sa_type=sa.Text)
    hook: str | None = _text()
    reasoning: str | None = _text()
    criteria: list[str] = _json(list, nullable=False)
    quote: str | None = _text()
    video_path: str | None = _text()
    thumbnail_path: str | None = _text()
    subtitles_path: str | None = _text()
    created_at: datetime = _timestamp(nullable=False)
    publish_status: str | None = None  # None | 'uploading' | 'published' | 'failed'
    youtube_id: str | None = None
    publish_error: str | None = _text()
    favourite: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    rejected: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    edited: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # the user's fixes of misheard caption words: the word's start (seconds, "%.3f") -> its text
    word_fixes: dict[str, str] = Field(
        default_factory=dict,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": "{}"},
    )
    # the clip's own render settings (output_format, layout, captions) over its job's
    render_options: dict[str, Any] = Field(
        default_factory=dict,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": "{}"},
    )
    # the analysis's version (start, end, title, hook, word fixes), kept at the first edit: undo
    original: dict[str, Any] | None = _json()
    render_key: str | None = None  # the range and render settings its files were made with
    rendering: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    render_progress: float | None = None  # 0..100 while it is rendered again

    @property
    def duration(self) -> float:
        return self.end - self.start
