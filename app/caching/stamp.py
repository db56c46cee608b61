"""The data version: one row bumped by every write of plan data, whoever makes it.

Caches key on it (see `app.caching.memo`), so a write through any process or any code path
(forms, API, imports, reverts, seeding, bulk inserts) must bump it. Writers do not call
anything: a `before_flush` listener bumps it when the flush holds a new, deleted or really
modified row of plan data, and a `do_orm_execute` listener when a session runs an INSERT,
UPDATE or DELETE statement on a plan-data table. Both are registered on every `Session`.

The bump is one `UPDATE data_stamp SET version = version + 1`, so concurrent writers in
several processes never lose a bump: the row lock orders them, and the new version becomes
visible in the same commit as the data it describes.
"""

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, event, insert, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from app.plan.models import Asset, Deployment, utcnow
from app.plan.records import (
    Alert,
    AlertCursor,
    AlertScan,
    ApiToken,
    DataStamp,
    DeliveryAttempt,
    FeedKey,
    SavedView,
    SavedViewAlias,
    SignInThrottle,
    Subscription,
    User,
    UserSession,
)

#: Tables that are not plan data but are shown on the public pages (saved views, listed
#: on the overview): writing them moves the version number, so no cached page lists them
#: stale, but not the time the data was last edited.
SHOWN = {SavedView.__tablename__, SavedViewAlias.__tablename__}
#: Tables whose rows are not plan data: writing them leaves the data version alone.
#: Account tables belong here (a sign-in must not empty every cache).
NOT_PLAN_DATA = {DataStamp.__tablename__, User.__tablename__, ApiToken.__tablename__,
                 SignInThrottle.__tablename__, UserSession.__tablename__, "alembic_version",
                 *SHOWN}
#: Alerts and their delivery: the alert worker writes them every round, and no cached page
#: shows them (the per-user pages and feeds are never cached).
NOT_PLAN_DATA |= {model.__tablename__ for model in (Subscription, Alert, DeliveryAttempt,
                                                    AlertScan, AlertCursor, FeedKey)}


@dataclass(frozen=True)
class Version:
    """The data version as a cache key. `updated_at` (to the microsecond) tells apart two
    transactions that bumped to the same number when one of them was rolled back."""

    number: int
    updated_at: datetime | None

    @property
    def token(self) -> str:
        stamp = self.updated_at.timestamp() if self.updated_at else 0
        return f"{self.number}.{stamp:.6f}"


def current(session: Session) -> Version:
    """The version this session sees: one primary-key lookup."""
    row = session.execute(
        select(DataStamp.version, DataStamp.updated_at).where(DataStamp.id == 1)
    ).first()
    return Version(*row) if row else Version(0, None)


_SEEN = "data_version"


def seen(session: Session) -> Version:
    """The version this session's transaction sees, read once: the caches of one page ask
    for it many times. A write in the session, or the end of its transaction, forgets it.
    The grouping version (`grouping`) comes with it, in the same statement."""
    version = session.info.get(_SEEN)
    if version is None:
        rows = {row.id: Version(row.version, row.updated_at) for row in session.execute(
            select(DataStamp.id, DataStamp.version, DataStamp.updated_at)
            .where(DataStamp.id.in_((1, GROUPING))))}
        version = session.info[_SEEN] = rows.get(1, Version(0, None))
        # A database without the row (a view of the past, say): the data version, so that
        # nothing is kept longer there.
        session.info[_GROUPING] = (f"g{rows[GROUPING].token}" if GROUPING in rows
                                   else version.token)
    return version


@event.listens_for(Session, "after_transaction_end")
def _forget_on_transaction_end(session: Session, _transaction) -> None:
    session.info.pop(_SEEN, None)


#: The second row of the stamp: bumped with the first by every write except one that only
#: changes figures or words of existing deployments and assets. What is grouped by these
#: columns, and joined to citations (the sources cited per contributor, stage or asset
#: type), stays valid across such an edit: it is cached on this row's version.
GROUPING = 2
GROUP_KEYS = {
    Deployment: ("country_code", "stage", "disputed"),
    Asset: ("country_code", "asset_type", "posture", "stage", "disputed"),
}
_GROUPING = "grouping_version"


def grouping(session: Session) -> str:
    """The grouping version this session sees, as a cache key (read with `seen`)."""
    token = session.info.get(_GROUPING)
    if token is None:
        session.info.pop(_SEEN, None)
        seen(session)
        token = session.info[_GROUPING]
    return token


@event.listens_for(Session, "after_transaction_end")
def _forget_grouping(session: Session, _transaction) -> None:
    session.info.pop(_GROUPING, None)


class Reader:
    """Reads the version on a connection of its own, outside the pool, in autocommit mode:
    each read sees the latest commit, and costs one round trip (tens of microseconds)
    instead of a pooled session's checkout, transaction and reset."""

    SQL = "SELECT version, updated_at FROM data_stamp WHERE id = 1"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection = None
        self._lock = threading.Lock()

    def read(self) -> Version:
        with self._lock:
            try:
                return self._read()
            except Exception:
                # A dropped connection (a database restart): one fresh try.
                self.close()
                return self._read()

    def _read(self) -> Version:
        if self._connection is None:
            connection = self.engine.raw_connection()
            if self.engine.dialect.name == "postgresql":
                connection.driver_connection.autocommit = True
            connection.detach()
            self._connection = connection
        cursor = self._connection.cursor()
        try:
            cursor.execute(self.SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return Version(0, None)
        # SQLite hands back the timestamp as text: the same value, as a token, either way.
        updated_at = row[1]
        if isinstance(updated_at, str):
            updated_at = datetime.fromisoformat(updated_at)
        return Version(row[0], updated_at)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class AsyncReader:
    """PostgreSQL: reads on an async connection, so a worker serves other requests during
    the round trip, and concurrent requests share reads. A request waits for the next read
    that *starts after it arrived*: one round trip serves every request queued behind the
    one in flight, and none sees a version older than the commits made before it arrived.
    """

    def __init__(self, engine: Engine) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._connection = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future | None = None  # the batch the next read will serve
        self._reading = False
        self._task: asyncio.Task | None = None

    async def read(self) -> Version:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a connection belongs to the loop that opened it
            self._loop, self._connection, self._next, self._reading = loop, None, None, False
        if self._next is None:
            self._next = loop.create_future()
        batch = self._next
        if not self._reading:
            self._reading = True
            self._task = loop.create_task(self._serve())  # kept: a task nobody holds may vanish
        return await asyncio.shield(batch)

    async def _serve(self) -> None:
        try:
            while self._next is not None:
                batch, self._next = self._next, None
                try:
                    batch.set_result(await self._read_retrying())
                except Exception as error:
                    batch.set_exception(error)
        finally:
            self._reading = False

    async def _read_retrying(self) -> Version:
        try:
            return await self._read()
        except Exception:
            # A dropped connection (a database restart): one fresh try.
            self._connection = None
            return await self._read()

    async def _read(self) -> Version:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(self.conninfo,
                                                                     autocommit=True)
        async with self._connection.cursor() as cursor:
            await cursor.execute(Reader.SQL)
            row = await cursor.fetchone()
        return Version(*row) if row else Version(0, None)


def bump(session: Session, *, regrouped: bool = True, dated: bool = True) -> None:
    """Record that plan data changed, in the session's transaction; `regrouped`: in a way
    that may move rows between groups (see `grouping`), as any change may unless known
    not to; `dated=False` for what is shown beside the plan data without being part of it."""
    session.info.pop(_SEEN, None)
    session.info.pop(_GROUPING, None)
    connection = session.connection()
    now = utcnow()
    values = {"version": DataStamp.version + 1, **({"updated_at": now} if dated else {})}
    for row_id in (1, GROUPING):
        # Kept as it is where nothing regrouped; made if missing, so that the next such
        # edit keeps it.
        if row_id == GROUPING and not regrouped and connection.scalar(
                select(DataStamp.id).where(DataStamp.id == GROUPING)):
            continue
        result = connection.execute(
            update(DataStamp).where(DataStamp.id == row_id).values(**values))
        if result.rowcount == 0:
            connection.execute(insert(DataStamp).values(id=row_id, version=1, updated_at=now))
    # A stamp object loaded in this session is now stale.
    for obj in session.identity_map.values():
        if isinstance(obj, DataStamp):
            session.expire(obj)


def _is_plan_data(obj: object) -> bool:
    table = getattr(type(obj), "__tablename__", None)
    return table is not None and table not in NOT_PLAN_DATA


def _is_shown(obj: object) -> bool:
    return getattr(type(obj), "__tablename__", None) in SHOWN


def _changed(session: Session, test) -> bool:
    return any(test(o) for o in (*session.new, *session.deleted)) or any(
        test(o) and session.is_modified(o, include_collections=True) for o in session.dirty)


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, _context, _instances) -> None:
    added = any(_is_plan_data(o) for o in (*session.new, *session.deleted))
    modified = [o for o in session.dirty
                if _is_plan_data(o) and session.is_modified(o, include_collections=True)]
    if added or modified:
        bump(session, regrouped=added or not all(map(_keeps_its_group, modified)))
    elif _changed(session, _is_shown):
        bump(session, regrouped=False, dated=False)


def _keeps_its_group(obj: object) -> bool:
    """Whether a modified row stays in the groups it was counted in: a deployment or an
    asset whose grouping columns did not change (its figures, its role)."""
    keys = GROUP_KEYS.get(type(obj))
    if keys is None:
        return False
    attrs = inspect(obj).attrs
    return not any(attrs[key].history.has_changes() for key in keys)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) not in NOT_PLAN_DATA:
        bump(state.session)
