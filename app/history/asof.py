"""The plan as it stood on a past date, rebuilt from the change history.

The state at the end of a day (UTC) is, for every row ever recorded, the `after` of its
latest revision whose change took effect by then (absent when that revision is a delete).
Rather than answer every page's query again in Python, that state is written into a
throw-away SQLite database with the app's own schema, and the app's ordinary queries,
pages, exports and API then run against it unchanged.

The schema comes from the Alembic migrations, run once per process into an in-memory
template that each snapshot copies with SQLite's backup API (migrating takes about 0.1 s,
a copy next to nothing). Snapshots are cached by database and date, and by the
newest change they include, so a repeated view costs one small query.
"""

import re
import sqlite3
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app.history import record
from app.plan.models import Country, utcnow
from app.plan.records import Change, DataStamp, Revision
from app.search import index as search_index

#: How many snapshots stay in memory; the least recently used goes first.
CACHE_SIZE = 8

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A moment to the second in UTC, as a permalink pins it: 2025-02-21T18:30:00Z.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def parse_day(value: str) -> date:
    """A date written YYYY-MM-DD, or ValueError saying what is wrong."""
    value = value.strip()
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"'{value}' is not a date: write it as YYYY-MM-DD, e.g. 2025-02-21")


def parse_when(value: str) -> date | datetime:
    """A day (YYYY-MM-DD) or a moment in UTC (YYYY-MM-DDTHH:MM:SSZ), or ValueError."""
    value = value.strip()
    if _MOMENT.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        raise ValueError(f"'{value}' is not a time: write it as YYYY-MM-DDTHH:MM:SSZ (UTC), "
                         f"e.g. 2025-02-21T18:30:00Z")
    try:
        return parse_day(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a date: write it as YYYY-MM-DD, e.g. 2025-02-21, "
                         f"or a time in UTC as YYYY-MM-DDTHH:MM:SSZ") from None


def moment_param(moment: datetime) -> str:
    """How `as_of` writes a moment (UTC, to the second)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    return utcnow().date()


#: Later than any change.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): changes before it are part of that day's state."""
    if day >= FOREVER.date():  # the calendar's last days have no day after them
        return FOREVER
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


# --- Reading states from revisions ---

Subject = tuple[str, int]


def latest_revisions(until: datetime, subjects: Any = None, upto: int | None = None) -> Any:
    """The latest revision of each row among changes that took effect before `until`:
    a select of (subject_type, subject_id, after), optionally limited to the rows of
    `subjects`, a subquery of (subject_type, subject_id), and to changes recorded up to
    change `upto`."""
    rank = func.row_number().over(
        partition_by=(Revision.subject_type, Revision.subject_id),
        order_by=(Change.at.desc(), Change.id.desc(), Revision.id.desc()),
    ).label("rank")
    stmt = (
        select(Revision.subject_type, Revision.subject_id, Revision.after, rank)
        .join(Change, Change.id == Revision.change_id)
        .where(Change.at < until)
    )
    if upto is not None:
        stmt = stmt.where(Change.id <= upto)
    if subjects is not None:
        stmt = stmt.join(subjects, (subjects.c.subject_type == Revision.subject_type)
                         & (subjects.c.subject_id == Revision.subject_id))
    ranked = stmt.subquery()
    return select(ranked.c.subject_type, ranked.c.subject_id, ranked.c.after).where(
        ranked.c.rank == 1)


def state_at(session: Session, until: datetime, subjects: Any = None,
             upto: int | None = None) -> dict[Subject, dict]:
    """Every row as it stood just before `until` (by change `upto`, when given), by
    (subject type, id); deleted rows and rows not yet created are absent."""
    return {
        (kind, row_id): after
        for kind, row_id, after in session.execute(latest_revisions(until, subjects, upto))
        if after is not None
    }


# --- Snapshot databases ---


@dataclass(frozen=True)
class AsOf:
    """A view of the plan as it stood at the end of `day`, or just before the moment
    `until` when `as_of` named one, pinned to change `change` when the address named it."""

    day: date
    first_recorded: datetime | None  # when the history begins: nothing is known before it
    until: datetime | None = None
    #: The address's `as_of`, as links on the page carry it on.
    param: str = ""
    #: The newest change the view reflects (None before any).
    newest_change: int | None = None
    #: The change the address pinned the view to, when it names one that fits `as_of`.
    change: int | None = None
    #: Why the change the address named was not followed ("unknown", "later").
    mismatch: str | None = None
    asked_change: int | None = None

    @property
    def before_records(self) -> bool:
        return self.first_recorded is None or self.end <= self.first_recorded

    @property
    def end(self) -> datetime:
        return self.until or end_of(self.day)

    @property
    def moment(self) -> bool:
        """Whether `as_of` named a moment rather than a whole day."""
        return self.until is not None

    @property
    def query(self) -> str:
        """The query that shows this same view: `as_of`, and the change it is pinned to."""
        return f"as_of={self.param}" + (f"&change={self.change}" if self.change else "")


@dataclass(frozen=True)
class _Key:
    database: str
    until: datetime
    newest_change: int | None
    recorded_at: datetime | None


class _Snapshots:
    """Built snapshot engines by key, least recently used first out."""

    def __init__(self, size: int):
        self.size = size
        self.engines: OrderedDict[_Key, Engine] = OrderedDict()
        self.lock = threading.Lock()  # guards the dictionaries, never held while building
        self.building: dict[_Key, threading.Lock] = {}
        self.template: sqlite3.Connection | None = None
        self.builds = 0  # how many snapshots were built, for tests and measurements

    def engine(self, key: _Key, build: Callable[[sqlite3.Connection], Engine]) -> Engine:
        # Two requests for the same new date build it once; other dates do not wait.
        with self.lock:
            engine = self._get(key)
            if engine is not None:
                return engine
            pending = self.building.setdefault(key, threading.Lock())
        with pending:
            with self.lock:
                engine = self._get(key)
                if engine is not None:
                    return engine
                if self.template is None:
                    self.template = _migrated_template()
                copy = sqlite3.connect(":memory:", check_same_thread=False)
                self.template.backup(copy)
            engine = build(copy)
            with self.lock:
                self.builds += 1
                self.engines[key] = engine
                self.building.pop(key, None)
                while len(self.engines) > self.size:
                    # Dropped, not disposed: a request may still be reading it.
                    self.engines.popitem(last=False)
            return engine

    def _get(self, key: _Key) -> Engine | None:
        engine = self.engines.get(key)
        if engine is not None:
            self.engines.move_to_end(key)
        return engine


def _migrated_template() -> sqlite3.Connection:
    # Alembic is loaded only by a worker that shows the past.
    from app import migrate

    raw = sqlite3.connect(":memory:", check_same_thread=False)
    engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
    migrate.upgrade(engine)
    return raw


SNAPSHOTS = _Snapshots(CACHE_SIZE)


def view(live: Session, when: date | datetime,
         change: int | None = None) -> tuple[AsOf, Session] | None:
    """A read-only session on the plan as it stood at the end of day `when`, or just
    before the moment `when`; or None when that is now or later: then the present is the
    answer.

    `change` pins the view to the changes recorded up to that one, so that an address
    made when it was the newest shows the same plan after any later change, one dated
    back before `when` included. A `change` that does not fit `when` (no such change, or
    one that took effect after it) is not followed: the view shows `when` as recorded now
    and says why (`AsOf.mismatch`)."""
    moment = when if isinstance(when, datetime) else None
    until = moment or end_of(when)
    day = moment.date() if moment else when
    if change is None and (until > utcnow() if moment else day >= today()):
        return None
    asked, mismatch = change, None
    if change is not None:
        at = live.scalar(select(Change.at).where(Change.id == change))
        if at is None or _aware(at) >= until:
            change, mismatch = None, "unknown" if at is None else "later"
    newest = select(Change.id, Change.recorded_at, Change.at).where(Change.at < until)
    if change is not None:
        newest = newest.where(Change.id <= change)
    newest = newest.order_by(Change.id.desc()).limit(1).subquery()
    first, newest_id, recorded_at, newest_at = live.execute(select(
        select(func.min(Change.at)).scalar_subquery(),
        *(select(column).scalar_subquery() for column in newest.c),
    )).one()
    key = _Key(str(live.get_bind().engine.url), until, newest_id, recorded_at)
    stamp = {"id": 1, "version": newest_id or 0, "updated_at": newest_at or until}
    engine = SNAPSHOTS.engine(key, lambda raw: _build(raw, live, until, stamp, change))
    param = moment_param(moment) if moment else day.isoformat()
    return AsOf(day, _aware(first), until=moment, param=param, newest_change=newest_id,
                change=change, mismatch=mismatch, asked_change=asked), Session(engine)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time in the history is UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _build(raw: sqlite3.Connection, live: Session, until: datetime, stamp: dict,
           upto: int | None = None) -> Engine:
    engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool,
                           pool_reset_on_return=None)
    state = state_at(live, until, upto=upto)
    countries = [{c.key: getattr(country, c.key) for c in Country.__table__.columns}
                 for country in live.scalars(select(Country))]
    with engine.begin() as connection:
        if countries:
            connection.execute(insert(Country), countries)
        # Straight to the driver: at 100,000 rows the ORM's type handling would take
        # most of the time.
        cursor = connection.connection.driver_connection.cursor()
        for table, rows in _rows(state, engine.dialect):
            if rows:
                names = ", ".join(f'"{c.name}"' for c in table.columns)
                marks = ", ".join("?" for _ in table.columns)
                cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                                   rows)
        # "Data last updated" then tells when the state shown last changed; the version
        # is the newest change it holds, so it changes whenever the state can.
        # (The migrations create the row.)
        connection.execute(delete(DataStamp))
        connection.execute(insert(DataStamp).values(**stamp))
    with Session(engine) as session:
        # Rows went in past the ORM, so past the listeners that index them.
        search_index.rebuild(session)
        session.commit()
    with engine.connect() as connection:
        # Views of the past are read-only, down to the database.
        connection.exec_driver_sql("PRAGMA query_only = ON")
    return engine


def _stored(column: Any, dialect: Any, now: datetime) -> tuple[Callable, Any]:
    """How a recorded value of `column` is stored in SQLite, and the value of a column the
    record lacks (one added since, or one history leaves out, like `created_at`)."""
    process = column.type.bind_processor(dialect) or (lambda value: value)
    default = column.default.arg if column.default is not None else None
    if callable(default):
        default = now if isinstance(column.type, DateTime) else None
    if isinstance(column.type, DateTime):
        return (lambda value: None if value is None else process(datetime.fromisoformat(value)),
                process(default))
    if isinstance(column.type, JSON):
        return process, process(default)
    # Text, numbers, booleans, ISO dates and vocabulary slugs: stored as recorded.
    return (lambda value: value), process(default)


def _rows(state: dict[Subject, dict], dialect: Any) -> Iterable[tuple[Table, list[tuple]]]:
    """Rows to insert, as tuples in column order, table by table, links to other rows
    included.

    Foreign keys are not enforced in a snapshot, so tables go in any order; a link to a
    row that did not exist on that date is left out rather than shown dangling.
    """
    by_type: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for (subject_type, row_id), data in state.items():
        by_type[subject_type].append((row_id, data))
    now = utcnow()
    for subject_type, items in by_type.items():
        model = record.TRACKED.get(subject_type)
        if model is None:
            continue
        table = model.__table__
        stored = [(c.key, *_stored(c, dialect, now)) for c in table.columns]
        rows = [tuple(convert(data[key]) if key in data else default
                      for key, convert, default in stored)
                for _, data in items]
        yield table, rows
        for key in record.COLLECTIONS.get(model, ()):
            relationship = getattr(model, key).property
            target = relationship.mapper.class_.__tablename__
            ((_, own),) = relationship.synchronize_pairs
            ((_, other),) = relationship.secondary_synchronize_pairs
            secondary = relationship.secondary
            order = [c.key for c in secondary.columns]
            links = [{own.key: row_id, other.key: linked}
                     for row_id, data in items for linked in data.get(key) or ()
                     if (target, linked) in state]
            yield secondary, [tuple(link[k] for k in order) for link in links]


def change_days(session: Session, subject_types: Iterable[str],
                up_to: int | None = None) -> list[date]:
    """The days (UTC) on which some change touched a row of these types, oldest first:
    the days on which their figures can have moved; of the changes up to `up_to` when a
    permalink pins one."""
    stmt = (select(Change.at).join(Revision, Revision.change_id == Change.id)
            .where(Revision.subject_type.in_(list(subject_types))).distinct())
    if up_to is not None:
        stmt = stmt.where(Change.id <= up_to)
    return sorted({_aware(at).date() for at in session.scalars(stmt)})


def pin_on(session: Session, day: date, pin: int) -> int | None:
    """A permalink's pin carried to another day: the newest change up to `pin` that took
    effect by the end of `day`, so that the plan of that day reads as recorded when the
    permalink was made (None: nothing recorded by then)."""
    return session.scalar(select(func.max(Change.id)).where(
        Change.id <= pin, Change.at < end_of(day)))
