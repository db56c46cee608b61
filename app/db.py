"""Engine and sessions. One engine per database URL, shared by the whole process.

Sessions record every write of plan data in the history and bump the data version through
listeners registered on `Session` by `app.history.record` and `app.caching.stamp`; the entry
points (`app.main`, `app.cli`) import both, so this module depends on no package of the app.
"""

from contextvars import ContextVar
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

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
#: SQLite connections kept open, and as many more opened when needed (15 before).
SQLITE_POOL = 8
#: Each SQLite connection's page cache, in KiB.
SQLITE_CACHE_KB = 256


@lru_cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Connections kept for as many requests as usually run at once: one opened past
        # the pool is closed when given back, and opening one (with its pragmas) cost a
        # cold page more than its queries.
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT},
                               pool_size=SQLITE_POOL, max_overflow=SQLITE_POOL, pool_use_lifo=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers go on while the seed or an editor writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # A small page cache per connection: the operating system caches the file once for
    # every connection and process, where each connection's own 2 MB default, times the
    # connections a busy worker keeps, made most of its resident memory.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
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


#: Where a request keeps the sessions it opened, for `close_request_sessions`.
_OPENED = "db_sessions"


async def get_session(request: Request) -> Session:
    """A request's session, made on the event loop (a session connects only when first
    used, so a request that reads nothing never waits for a thread) and closed by
    `close_request_sessions` once the response is sent. One per request, however often
    asked for: "who is asking" (`app.web.middleware.WhoIsAskingMiddleware`) and the route
    read through the same session, so a signed-in user is an instance of the route's. A
    plain function rather than a generator: FastAPI's machinery for a dependency's exit
    cost an anonymous request more than the rest of its dependencies."""
    opened = request.scope.setdefault(_OPENED, [])
    if not opened:
        opened.append(new_session())
    return opened[0]


async def close_request_sessions(scope: dict) -> None:
    """Closes what `get_session` opened for this request; one that read gives its
    connection back from a thread, as rolling back is blocking work."""
    for session in scope.pop(_OPENED, ()):
        if session.in_transaction():
            await run_in_threadpool(_close, session)
        else:
            session.close()


def _close(session: Session) -> None:
    try:
        session.close()
    except DBAPIError as error:
        # The database went away after the route was done: the server has dropped the
        # transaction with the connection, and the answer is already on its way, which
        # raising now would cut off.
        if not error.connection_invalidated:
            raise
