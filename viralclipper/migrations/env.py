"""Alembic environment for Viral Clipper.

Run programmatically by `viralclipper.models.upgrade_database()` (which hands over a connection in
`config.attributes["connection"]`), or from the command line for new revisions:

    alembic -c viralclipper/migrations/alembic.ini revision --autogenerate -m "what changed"

which uses `DATABASE_URL` (default: the SQLite file in the data dir).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from viralclipper.models import tables
from viralclipper.models.db import get_engine

target_metadata = SQLModel.metadata


def render_item(type_: str, obj, autogen_context):
    """Render our column types as plain SQLAlchemy ones, so migrations do not import the app."""
    if type_ != "type":
        return False
    if isinstance(obj, tables.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if obj.__class__.__name__ == "AutoString":
        return "sa.String()"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    with get_engine(context.config.get_main_option("sqlalchemy.url") or None).connect() as conn:
        run_migrations(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
