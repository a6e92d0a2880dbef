"""Every model test runs on SQLite (a fresh file) and on Postgres (one throwaway database per
test session, emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from tests.pg import throwaway_database
from viralclipper.config import get_settings
from viralclipper.models import User, dispose_engines, get_engine, session, upgrade_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_database("vc_models") as url:
        upgrade_database(url)
        yield url


def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with get_engine(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """A migrated, empty database, configured as DATABASE_URL; yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'viralclipper.db'}"
        upgrade_database(url)
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    dispose_engines()  # close the SQLite file; the Postgres pool reconnects on next use


def add_user(email: str = "owner@example.com", is_admin: bool = False) -> User:
    """A user row without the cost of bcrypt, for tests about other things than passwords."""
    with session() as db:
        user = User(email=email, password_hash="not-a-real-hash", is_admin=is_admin)
        db.add(user)
        db.flush()
        db.refresh(user)
    return user


@pytest.fixture
def owner(database: str) -> User:
    return add_user()
