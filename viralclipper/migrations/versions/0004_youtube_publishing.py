"""Publishing to YouTube: connect flows in progress, publications, the channel's avatar.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

- youtube_oauth_states: a Connect YouTube flow's state and PKCE verifier, kept server-side.
- youtube_publications: one clip to one channel (a clip may go to several): what was sent,
  the upload's progress and resumable session, the video's id, the error.
- youtube_accounts: the channel's avatar, and whether its consent must be given again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("youtube_accounts", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("channel_thumbnail", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("needs_reconnect", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "youtube_oauth_states",
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_youtube_oauth_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_youtube_oauth_states")),
    )
    op.create_index(
        op.f("ix_youtube_oauth_states_user_id"), "youtube_oauth_states", ["user_id"], unique=False
    )
    op.create_table(
        "youtube_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("channel_title", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("privacy", sa.String(), nullable=False),
        _when("publish_at"),
        sa.Column("made_for_kids", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("upload_session", sa.Text(), nullable=True),
        sa.Column("youtube_id", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("published_at"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["youtube_accounts.id"],
            name=op.f("fk_youtube_publications_account_id_youtube_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["clip_id"],
            ["clips.id"],
            name=op.f("fk_youtube_publications_clip_id_clips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_youtube_publications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youtube_publications")),
        sqlite_autoincrement=True,
    )
    for column in ("clip_id", "user_id", "created_at"):
        op.create_index(
            op.f(f"ix_youtube_publications_{column}"),
            "youtube_publications",
            [column],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("youtube_publications")
    op.drop_table("youtube_oauth_states")
    with op.batch_alter_table("youtube_accounts", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("needs_reconnect")
        batch.drop_column("channel_thumbnail")
