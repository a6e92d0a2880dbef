"""The Postgres on 127.0.0.1 for tests: throwaway databases, so parallel runs cannot collide."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _admin_connection(timeout: int = 10) -> psycopg.Connection:
    url = make_url(POSTGRES_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        dbname=url.database,
        autocommit=True,
        connect_timeout=timeout,
    )


def postgres_login_error() -> str | None:
    """Why the tests cannot log in to the Postgres on 127.0.0.1, or None when they can."""
    try:
        with _admin_connection(timeout=2):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


@contextmanager
def throwaway_database(prefix: str = "vc_test") -> Iterator[str]:
    """Create an empty, uniquely named database; yield its SQLAlchemy URL; drop it afterwards
    (closing this process's pooled connections to it first)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        from viralclipper.models.db import dispose_engines

        dispose_engines()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
