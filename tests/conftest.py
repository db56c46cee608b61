"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests skip with a printed reason when no server answers, unless
PEACEPLAN_REQUIRE_POSTGRES=1 (set by CI), which turns the skip into a failure.
"""

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack

# Before the app reads its settings: tests sign cookies with a fixed key, not a key file.
os.environ.setdefault("SECRET_KEY", "peaceplan-tests-only-not-secret")

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import migrate
from app.accounts import users
from app.db import get_engine, get_session
from app.loading import seed
from app.main import create_app
from app.plan.vocab import Role
from tests.databases import BACKENDS, fresh_database
from tests.factories import PASSWORD, make_user
from tests.html import soup

APP_HASHER = users._hasher


#: Files whose tests take tens of seconds each, longest first. They are started first, so
#: that on parallel workers (`make test`) none of them is left running alone at the end.
LONG_FIRST = ["test_bench.py", "test_hostile_values.py", "test_multiprocess.py",
              "test_csp.py", "test_concurrency.py", "test_backup.py",
              "test_database_outage.py", "test_schema_fuzz.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)
    items.sort(key=rank)  # stable: the rest keep their order


def pytest_unconfigure(config: pytest.Config) -> None:
    # The suite builds an app per test; left to the interpreter's last collection, the
    # cycles among their routes and models took a minute after the results were printed.
    # Nothing needs collecting at exit.
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _light_password_hashing() -> Iterator[None]:
    """Argon2id still, at small costs: a sign-in takes milliseconds instead of a third of a
    second. The production parameters are checked in test_auth."""
    light = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", lambda: light)
        yield

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


@pytest.fixture(scope="session")
def shared_app() -> FastAPI:
    # One app for the run: FastAPI prepares every route of an app on its first request,
    # which costs more than most tests. Its caches are keyed on the data version, which
    # each test's rolled-back transaction makes unique, so tests cannot see each other's.
    return create_app()


@pytest.fixture
def app(shared_app: FastAPI, session: Session) -> Iterator[FastAPI]:
    shared_app.dependency_overrides[get_session] = lambda: session
    yield shared_app
    shared_app.dependency_overrides.clear()


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Makes clients of the same app, each with its own cookies."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(TestClient(app))


@pytest.fixture
def client(new_client) -> TestClient:
    return new_client()


# --- Signed-in clients ---


def csrf_token_of(client: TestClient) -> str:
    """The CSRF token of the client's session, read from the sign-in form."""
    return soup(client.get("/login")).select_one("input[name=csrf_token]")["value"]


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the real form. The client then sends the new session's CSRF token
    in the X-CSRF-Token header of every request (also kept as `client.csrf_token`, for
    posting it as the `csrf_token` form field instead); returns it."""
    client.headers.pop("X-CSRF-Token", None)
    response = client.post("/login", follow_redirects=False, data={
        "username": username, "password": password, "csrf_token": csrf_token_of(client)})
    assert response.status_code == 303, response.text
    token = csrf_token_of(client)
    client.headers["X-CSRF-Token"] = token
    client.csrf_token = token
    return token


def _signed_in(new_client, session: Session, role: Role) -> TestClient:
    make_user(session, role.value, role=role)
    client = new_client()
    sign_in(client, role.value)
    return client


@pytest.fixture
def viewer_client(new_client, session: Session) -> TestClient:
    """Signed in as `viewer` (role viewer), password `factories.PASSWORD`."""
    return _signed_in(new_client, session, Role.VIEWER)


@pytest.fixture
def editor_client(new_client, session: Session) -> TestClient:
    """Signed in as `editor` (role editor)."""
    return _signed_in(new_client, session, Role.EDITOR)


@pytest.fixture
def admin_client(new_client, session: Session) -> TestClient:
    """Signed in as `admin` (role admin)."""
    return _signed_in(new_client, session, Role.ADMIN)


@pytest.fixture
def htmx(client: TestClient) -> TestClient:
    """The same client, sending the headers of an HTMX partial request."""
    client.headers.update({"HX-Request": "true"})
    return client
