"""Analysis runs: every analysis of a job keeps its settings, clips and outcome.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

- analysis_runs: one row per analysis of a job (settings snapshot, analyzer, notice, status,
  timings, log).
- jobs.current_run_id: the run whose clips the job shows.
- clips: `run_id` (the run they belong to), the editor's `favourite`, `rejected`, `edited`,
  `original` (the analysis's version, for undo), `render_key` and `rendering`.
Existing clips become run 1 of their job, completed and current.

Columns are added and dropped with plain ALTER TABLE (SQLite 3.35+), never a batch copy: on
SQLite, dropping the old jobs or clips table would cascade to the rows that refer to them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("analyzer", sa.String(), nullable=True),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("stage_seconds", sa.JSON(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_analysis_runs_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_runs")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_analysis_runs_job_id"), "analysis_runs", ["job_id"])

    op.add_column("jobs", sa.Column("current_run_id", sa.Integer(), nullable=True))
    # plain ALTER TABLE, no batch copy: on SQLite, dropping the old clips table would cascade
    # to the rows that refer to clips (publications)
    op.add_column("clips", sa.Column("run_id", sa.Integer(), nullable=True))
    for name in ("favourite", "rejected", "edited", "rendering"):
        op.add_column(
            "clips", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.add_column("clips", sa.Column("original", sa.JSON(), nullable=True))
    op.add_column("clips", sa.Column("render_key", sa.String(), nullable=True))
    op.create_index(op.f("ix_clips_run_id"), "clips", ["run_id"])
    _existing_clips_become_run_one()


def _existing_clips_become_run_one() -> None:
    bind = op.get_bind()
    jobs = sa.table(
        "jobs",
        sa.column("id"),
        sa.column("options", sa.JSON()),
        sa.column("current_run_id"),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    runs = sa.table(
        "analysis_runs",
        *(sa.column(c) for c in ("id", "job_id", "number", "status", "analyzer", "log")),
        sa.column("options", sa.JSON()),
        sa.column("stage_seconds", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )
    clips = sa.table("clips", sa.column("job_id"), sa.column("run_id"))
    with_clips = sa.select(clips.c.job_id).distinct()
    query = sa.select(jobs).where(jobs.c.id.in_(with_clips))
    for job in bind.execute(query).mappings().all():
        run_id = bind.execute(
            runs.insert()
            .values(
                job_id=job["id"],
                number=1,
                status="completed",
                options=job["options"] or {},
                stage_seconds={},
                log="",
                created_at=job["created_at"],
                finished_at=job["finished_at"],
            )
            .returning(runs.c.id)
        ).scalar_one()
        bind.execute(clips.update().where(clips.c.job_id == job["id"]).values(run_id=run_id))
        bind.execute(jobs.update().where(jobs.c.id == job["id"]).values(current_run_id=run_id))


def downgrade() -> None:
    runs = sa.table("analysis_runs", sa.column("id"))
    jobs = sa.table("jobs", sa.column("current_run_id"))
    clips = sa.table("clips", sa.column("run_id"))
    bind = op.get_bind()
    # only the clips of each job's current run stay (the clips table had no runs before)
    current = sa.select(jobs.c.current_run_id).where(jobs.c.current_run_id.is_not(None))
    bind.execute(
        clips.delete().where(sa.or_(clips.c.run_id.is_(None), clips.c.run_id.not_in(current)))
    )
    op.drop_index(op.f("ix_clips_run_id"), table_name="clips")
    for name in (
        "run_id",
        "favourite",
        "rejected",
        "edited",
        "rendering",
        "original",
        "render_key",
    ):
        op.drop_column("clips", name)
    op.drop_column("jobs", "current_run_id")
    bind.execute(runs.delete())
    op.drop_index(op.f("ix_analysis_runs_job_id"), table_name="analysis_runs")
    op.drop_table("analysis_runs")
