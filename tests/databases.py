"""Throw-away databases for tests: a SQLite file, or a new database on a PostgreSQL server."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import migrate
from app.db import get_engine
from app.loading import seed

POSTGRES_ADMIN_URL = os.environ.get(
    "PEACEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("PEACEPLAN_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def fresh_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a new, empty database, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'peaceplan.db'}"
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason} (PEACEPLAN_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    name = f"peaceplan_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def seeded_database(backend: str, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[str]:
    """The URL of a new database at head, seeded, for tests that run app processes on it."""
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            seed.load(session)
        try:
            yield url
        finally:
            engine.dispose()
