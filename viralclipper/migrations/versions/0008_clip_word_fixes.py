"""Clips: the user's fixes of misheard caption words.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy, which would cascade to rows that refer to clips)
    op.add_column("clips", sa.Column("word_fixes", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("clips", "word_fixes")
