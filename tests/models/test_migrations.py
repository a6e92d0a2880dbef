"""The migrations build the schema the models describe, on SQLite and Postgres."""

from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from viralclipper.config import get_settings
from viralclipper.models import current_revision, get_engine, get_job, upgrade_database
from viralclipper.models.db import MIGRATIONS_DIR, _alembic_config
from viralclipper.models.settings import get_user_settings

TABLES = {
    "users",
    "user_settings",
    "instance_settings",
    "youtube_accounts",
    "youtube_oauth_states",
    "youtube_publications",
    "jobs",
    "job_events",
    "clips",
    "api_tokens",
    "worker_beats",
    "webhooks",
    "analysis_runs",
}
SECRET_URL = "https://alice:s3cret@llm.example/v1?token=abc"


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


def _downgrade(database: str, revision: str) -> None:
    config = _alembic_config()
    with get_engine(database).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0003_cleans_llm_urls_and_whisper_models_out_of_user_rows_and_job_snapshots(database: str):
    _downgrade(database, "0002")
    old_options = (
        '{"min_seconds": 20, "max_seconds": 40, "min_score": 0, "max_clips": 3, '
        '"output_format": "vertical", "analyzer": "llm", "whisper_model": "/etc", '
        f'"llm_model": "gpt-x", "llm_base_url": "{SECRET_URL}", "upload": true}}'
    )
    statements = [
        "INSERT INTO users (id, email, password_hash, is_admin, created_at) "
        "VALUES (1, 'ann@example.com', 'x', false, CURRENT_TIMESTAMP)",
        "INSERT INTO user_settings (id, user_id, criteria, min_clip_seconds, max_clip_seconds, "
        "min_score, max_clips, analyzer, llm_model, llm_base_url, whisper_model, output_format, "
        "updated_at) VALUES (1, 1, :criteria, 20, 45, 10, 4, 'offline', 'gpt-x', :url, '/etc', "
        "'vertical', CURRENT_TIMESTAMP)",
        "INSERT INTO jobs (id, user_id, source_url, status, progress, created_at, updated_at, "
        "stage_seconds, cancel_requested, attempts, options) VALUES (1, 1, '/data/up.mp4', "
        "'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, 0, :options)",
    ]
    criteria = '[{"key": "humor", "title": "Humor", "text": "Funny", "enabled": false}]'
    with get_engine(database).begin() as connection:
        for statement in statements:
            values = {"criteria": criteria, "url": SECRET_URL, "options": old_options}
            connection.execute(
                text(statement), {k: v for k, v in values.items() if f":{k}" in statement}
            )

    upgrade_database(database)

    settings = get_user_settings(1)
    assert (settings.min_clip_seconds, settings.max_clip_seconds, settings.max_clips) == (20, 45, 4)
    assert (settings.analyzer, settings.output_format, settings.min_score) == (
        "offline",
        "vertical",
        10,
    )
    assert [(c.key, c.enabled) for c in settings.criteria] == [("humor", False)]
    job = get_job(1)
    assert job.upload is True
    assert job.options == {
        "min_clip_seconds": 20,
        "max_clip_seconds": 40,
        "min_score": 0,
        "max_clips": 3,
        "output_format": "vertical",
        "analyzer": "llm",
    }
    columns = {c["name"] for c in inspect(get_engine(database)).get_columns("user_settings")}
    assert not columns & {"llm_base_url", "llm_model", "whisper_model"}
    with get_engine(database).connect() as connection:
        rows = [
            str(row)
            for table in ("user_settings", "jobs")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        ]
    assert not [row for row in rows if "s3cret" in row or "llm.example" in row or "/etc" in row]

    _downgrade(database, "0002")  # and back: the flag returns into the options
    with get_engine(database).connect() as connection:
        options = connection.execute(text("SELECT options FROM jobs")).scalar()
    assert (json.loads(options) if isinstance(options, str) else options)["upload"] is True
    upgrade_database(database)  # the Postgres database is shared by the session's tests


def test_0006_makes_existing_clips_run_one_of_their_job(database: str):
    _downgrade(database, "0005")
    statements = [
        "INSERT INTO users (id, email, password_hash, is_admin, created_at) "
        "VALUES (7, 'bo@example.com', 'x', false, CURRENT_TIMESTAMP)",
        "INSERT INTO jobs (id, user_id, source_url, status, progress, created_at, updated_at, "
        "stage_seconds, cancel_requested, attempts, options, upload) VALUES (7, 7, 'x', "
        "'completed', 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, 0, "
        "'{\"max_clips\": 2}', false)",
        'INSERT INTO clips (job_id, rank, start, "end", score, title, criteria, created_at) '
        "VALUES (7, 1, 1.0, 9.0, 80, 'kept', '[]', CURRENT_TIMESTAMP)",
    ]
    with get_engine(database).begin() as connection:
        for statement in statements:
            connection.execute(text(statement))

    upgrade_database(database)

    from viralclipper.models import clips, runs

    [summary] = runs.list_runs(7)
    assert (summary.run.number, summary.run.status, summary.clip_count) == (1, "completed", 1)
    assert summary.current and summary.run.options == {"max_clips": 2}
    assert [c.title for c in clips.list_clips(job_id=7)] == ["kept"]

    _downgrade(database, "0005")  # and back: the current run's clips stay
    with get_engine(database).connect() as connection:
        assert connection.execute(text("SELECT title FROM clips")).scalars().all() == ["kept"]
    upgrade_database(database)
