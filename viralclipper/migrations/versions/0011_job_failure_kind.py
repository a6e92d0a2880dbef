"""Jobs: the kind of their failure (whether a retry can help; pipeline.progress.FailureKind).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("failure_kind", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "failure_kind")
