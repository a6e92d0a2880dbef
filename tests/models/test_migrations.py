"""The migrations build the schema the models describe, on SQLite and Postgres."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from viralclipper.config import get_settings
from viralclipper.models import current_revision, get_engine, upgrade_database
from viralclipper.models.db import MIGRATIONS_DIR, _alembic_config

TABLES = {"users", "user_settings", "youtube_accounts", "jobs", "job_events", "clips"}


def test_upgrade_creates_every_table_at_head(database: str):
    names = set(inspect(get_engine(database)).get_table_names())
    assert names == TABLES | {"alembic_version"}
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    assert current_revision(database) == head
    job_indexes = {index["name"] for index in inspect(get_engine(database)).get_indexes("jobs")}
    assert {"ix_jobs_user_id_status", "ix_jobs_heartbeat_at"} <= job_indexes


def test_models_and_migrations_agree(database: str):
    with get_engine(database).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_twice_is_harmless_and_downgrade_empties(database: str):
    upgrade_database(database)
    config = _alembic_config()
    with get_engine(database).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(get_engine(database)).get_table_names()) <= {"alembic_version"}
    upgrade_database(database)
    assert set(inspect(get_engine(database)).get_table_names()) >= TABLES


def test_default_database_is_sqlite_in_a_new_data_dir():
    data_dir = get_settings().data_dir
    assert not data_dir.exists()
    url = upgrade_database()
    assert url.startswith("sqlite:///")
    assert (data_dir / "viralclipper.db").is_file()
    assert set(inspect(get_engine()).get_table_names()) >= TABLES


def test_sqlite_connections_use_wal_and_foreign_keys():
    upgrade_database()
    with get_engine().connect() as connection:
        pragma = lambda name: connection.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
        assert pragma("synchronous") == 1  # NORMAL
