"""Engine and sessions. One engine per database URL, shared by the whole process.

Sessions record every write of plan data in the history and bump the data version through
listeners registered on `Session` by `app.history.record` and `app.caching.stamp`; the entry
points (`app.main`, `app.cli`) import both, so this module depends on no package of the app.
"""

from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: the configured database), one per URL per process."""
    return _engine(url or get_settings().database_url)


#: Set while handling a request that writes (the web layer sets it from the method): its
#: session then takes the database's write lock as it begins, so concurrent writers queue
#: there instead of failing halfway. On SQLite a transaction that read first cannot take
#: the lock later while another writer holds it: it fails at once, whatever the timeout.
WRITING: ContextVar[bool] = ContextVar("writing", default=False)
#: How long a SQLite writer waits for the lock before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 30


@lru_cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers go on while the seed or an editor writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, say where transactions begin: otherwise
    # SAVEPOINTs run outside a transaction and their release commits.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    # Every transaction of a writing request, not only its first (signing in by token
    # commits before the route writes).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if WRITING.get() else "BEGIN")


@lru_cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(_engine(url), expire_on_commit=False)


def new_session() -> Session:
    """A session on the configured database; the caller closes it."""
    return _session_factory(get_settings().database_url)()


def get_session() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
    finally:
        try:
            session.close()
        except DBAPIError as error:
            # The database went away after the route was done: the server has dropped the
            # transaction with the connection, and the answer is already on its way, which
            # raising now would cut off.
            if not error.connection_invalidated:
                raise
