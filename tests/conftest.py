"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests skip with a printed reason when no server answers, unless
PEACEPLAN_REQUIRE_POSTGRES=1 (set by CI), which turns the skip into a failure.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import migrate, seed
from app.db import get_engine, get_session
from app.main import create_app
from tests.databases import BACKENDS, fresh_database

pytest_plugins = ["tests.scripted"]  # the `scripted` change history


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database migrated to head and seeded once per test session."""
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            seed.load(session)
        yield engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose changes, commits included, are rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
        transaction.rollback()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as c:
        yield c


@pytest.fixture
def htmx(client: TestClient) -> TestClient:
    """The same client, sending the headers of an HTMX partial request."""
    client.headers.update({"HX-Request": "true"})
    return client
