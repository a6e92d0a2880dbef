"""Engine, sessions and migrations: SQLite (WAL, foreign keys) or Postgres (psycopg 3) alike.

The URL comes from `get_settings().database` unless a caller passes one. Engines are cached per URL
so every data-access function shares one connection pool per database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from viralclipper.config import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=5000",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def database_url(url: str | None = None) -> str:
    return url or get_settings().database


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _create_engine(url: str) -> Engine:
    if is_sqlite(url):
        # Worker threads share the pool; each connection is used by one thread at a time.
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for `url` (default: the configured database)."""
    url = database_url(url)
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (after a fork, or before dropping a
    database in tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A short unit of work: commits when the block ends, rolls back on an exception.

    Objects stay loaded after the commit (`expire_on_commit=False`), so they can be returned
    detached to callers outside the session.
    """
    with Session(get_engine(url), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(url: str | None = None) -> str:
    """Create or upgrade the schema to the newest migration; returns the URL it upgraded.

    For SQLite the data dir (the database file's folder) is created first. This is what
    `viralclipper db upgrade` runs, and what start-up runs before anything touches the database.
    """
    url = database_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    config = _alembic_config()
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return url


def current_revision(url: str | None = None) -> str | None:
    """The migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
