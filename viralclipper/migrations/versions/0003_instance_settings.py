"""Clip settings as one JSON shape, instance settings for the admin, a typed upload flag.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

- user_settings: the clip settings move into one JSON column `settings` (config.ClipSettings);
  the LLM base URL and model and the Whisper model leave user rows (they are the admin's now,
  and a copied OPENAI_BASE_URL could carry credentials).
- instance_settings: one row of the admin's LLM endpoint, model and key, and Whisper model.
- jobs: `upload` (may the worker read a local file) becomes a column; the option snapshots keep
  only the clip settings (renamed min_seconds/max_seconds; no LLM URL, model or Whisper model).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite batch mode copies a table into a new one: keep ids of deleted rows from being reused.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}
CLIP_FIELDS = (
    "criteria",
    "min_clip_seconds",
    "max_clip_seconds",
    "min_score",
    "max_clips",
    "analyzer",
    "output_format",
)
OLD_OPTION_NAMES = {"min_seconds": "min_clip_seconds", "max_seconds": "max_clip_seconds"}
OLD_USER_COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "criteria": sa.JSON(),
    "min_clip_seconds": sa.Float(),
    "max_clip_seconds": sa.Float(),
    "min_score": sa.Float(),
    "max_clips": sa.Integer(),
    "analyzer": sa.String(),
    "llm_model": sa.String(),
    "llm_base_url": sa.String(),
    "whisper_model": sa.String(),
    "output_format": sa.String(),
}
OLD_DEFAULTS = {  # the not-null columns, for a downgrade
    "min_clip_seconds": 15.0,
    "max_clip_seconds": 60.0,
    "min_score": 0.0,
    "max_clips": 8,
    "analyzer": "auto",
    "output_format": "horizontal",
}


def _user_settings(*columns: str) -> sa.TableClause:
    types: dict[str, sa.types.TypeEngine[Any]] = {**OLD_USER_COLUMNS, "settings": sa.JSON()}
    return sa.table("user_settings", sa.column("id"), *(sa.column(c, types[c]) for c in columns))


def _jobs() -> sa.TableClause:
    return sa.table(
        "jobs", sa.column("id"), sa.column("options", sa.JSON()), sa.column("upload", sa.Boolean())
    )


def clean_options(options: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """A job's old option snapshot as (the clip settings alone, the upload flag)."""
    old = dict(options or {})
    renamed = {OLD_OPTION_NAMES.get(k, k): v for k, v in old.items()}
    return {k: v for k, v in renamed.items() if k in CLIP_FIELDS}, bool(old.get("upload"))


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_settings")),
    )

    with op.batch_alter_table("user_settings", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=True))
    bind = op.get_bind()
    users = _user_settings("settings", *CLIP_FIELDS)
    for row in bind.execute(sa.select(users)).mappings().all():
        settings = {name: row[name] for name in CLIP_FIELDS}
        bind.execute(users.update().where(users.c.id == row["id"]).values(settings=settings))
    with op.batch_alter_table("user_settings", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.alter_column("settings", existing_type=sa.JSON(), nullable=False)
        for name in OLD_USER_COLUMNS:
            batch.drop_column(name)

    with op.batch_alter_table("jobs", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(
            sa.Column("upload", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    jobs = _jobs()
    for row in bind.execute(sa.select(jobs.c.id, jobs.c.options)).mappings().all():
        options, upload = clean_options(row["options"])
        bind.execute(
            jobs.update().where(jobs.c.id == row["id"]).values(options=options, upload=upload)
        )


def downgrade() -> None:
    bind = op.get_bind()
    jobs = _jobs()
    for row in bind.execute(sa.select(jobs)).mappings().all():
        new_names = {v: k for k, v in OLD_OPTION_NAMES.items()}
        options = {new_names.get(k, k): v for k, v in (row["options"] or {}).items()}
        options["upload"] = bool(row["upload"])
        bind.execute(jobs.update().where(jobs.c.id == row["id"]).values(options=options))
    with op.batch_alter_table("jobs", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("upload")

    with op.batch_alter_table("user_settings", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        for name, type_ in OLD_USER_COLUMNS.items():
            batch.add_column(sa.Column(name, type_, nullable=True))
    users = _user_settings("settings", *CLIP_FIELDS)
    for row in bind.execute(sa.select(users.c.id, users.c.settings)).mappings().all():
        stored = {k: v for k, v in (row["settings"] or {}).items() if k in CLIP_FIELDS}
        values = {**OLD_DEFAULTS, **stored}
        bind.execute(users.update().where(users.c.id == row["id"]).values(**values))
    with op.batch_alter_table("user_settings", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        for name in OLD_DEFAULTS:
            batch.alter_column(name, existing_type=OLD_USER_COLUMNS[name], nullable=False)
        batch.drop_column("settings")
    op.drop_table("instance_settings")
