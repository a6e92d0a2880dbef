"""Initial schema: users, their settings and YouTube accounts, jobs with their events, clips.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Generated with `alembic revision --autogenerate` against an empty SQLite database, then laid out
by hand. Timestamps are timezone-aware (UTC); JSON columns are `sa.JSON` (json on Postgres, text
on SQLite); SQLite tables use AUTOINCREMENT so ids of deleted rows are never reused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _owner(column: str, table: str, owner: str) -> sa.ForeignKeyConstraint:
    """A foreign key whose rows go away with their owner."""
    return sa.ForeignKeyConstraint(
        [column], [f"{owner}.id"], name=op.f(f"fk_{table}_{column}_{owner}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=True)

    op.create_table(
        "user_settings",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=True),
        sa.Column("min_clip_seconds", sa.Float(), nullable=False),
        sa.Column("max_clip_seconds", sa.Float(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("max_clips", sa.Integer(), nullable=False),
        sa.Column("analyzer", sa.String(), nullable=False),
        sa.Column("llm_model", sa.String(), nullable=True),
        sa.Column("llm_base_url", sa.String(), nullable=True),
        sa.Column("whisper_model", sa.String(), nullable=True),
        sa.Column("output_format", sa.String(), nullable=False),
        _timestamp("updated_at"),
        _owner("user_id", "user_settings", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_settings")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_settings_user_id")),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "youtube_accounts",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("channel_title", sa.String(), nullable=True),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _owner("user_id", "youtube_accounts", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youtube_accounts")),
        sa.UniqueConstraint(
            "user_id", "channel_id", name=op.f("uq_youtube_accounts_user_id_channel_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_youtube_accounts_user_id"), "youtube_accounts", ["user_id"])

    op.create_table(
        "jobs",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("video_id", sa.String(), nullable=True),
        sa.Column("uploader", sa.String(), nullable=True),
        sa.Column("thumbnail_url", sa.Text(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        # lifecycle
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("current_step", sa.String(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("updated_at"),
        # stage outputs, for resuming
        sa.Column("media_path", sa.Text(), nullable=True),
        sa.Column("audio_path", sa.Text(), nullable=True),
        sa.Column("transcript_path", sa.Text(), nullable=True),
        sa.Column("last_completed_stage", sa.String(), nullable=True),
        sa.Column("stage_seconds", sa.JSON(), nullable=False),
        # workers
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=True),
        _timestamp("heartbeat_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        _owner("user_id", "jobs", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_user_id_status", "jobs", ["user_id", "status"])
    op.create_index(op.f("ix_jobs_created_at"), "jobs", ["created_at"])
    op.create_index(op.f("ix_jobs_heartbeat_at"), "jobs", ["heartbeat_at"])

    op.create_table(
        "job_events",
        _id(),
        sa.Column("job_id", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _owner("job_id", "job_events", "jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_job_events_job_id"), "job_events", ["job_id"])

    op.create_table(
        "clips",
        _id(),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("hook", sa.Text(), nullable=True),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("video_path", sa.Text(), nullable=True),
        sa.Column("thumbnail_path", sa.Text(), nullable=True),
        sa.Column("subtitles_path", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.Column("publish_status", sa.String(), nullable=True),
        sa.Column("youtube_id", sa.String(), nullable=True),
        sa.Column("publish_error", sa.Text(), nullable=True),
        _owner("job_id", "clips", "jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clips")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_clips_job_id"), "clips", ["job_id"])


def downgrade() -> None:
    for table in ("clips", "job_events", "jobs", "youtube_accounts", "user_settings", "users"):
        op.drop_table(table)
