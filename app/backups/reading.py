"""A database read for a backup: every table in one snapshot, in dependency order, its rows
in batches of values a dump can carry.

Tables are read from the database itself, not from the models: a backup holds every table at
whatever revision the database is, and a restore fills the tables that revision built.
"""

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    cast,
    inspect,
    select,
)

#: Rows read, written and inserted at a time: memory stays flat whatever a table's size.
BATCH = 1000


class BackupError(Exception):
    """A backup or restore refused or failed; the message is one sentence for the console."""


@dataclass
class Report:
    tables: int
    rows: int
    bytes: int
    revision: str

    def __str__(self) -> str:
        return f"{self.tables} tables, {self.rows:,} rows ({self.bytes:,} bytes)"


@dataclass
class Dumped:
    """A table as a backup holds it: its name and its columns with their kinds of value."""

    name: str
    columns: list[tuple[str, str]]


Item = Dumped | list[list]  # a table, then batches of its rows


# --- Values ---

# Most specific first: Float is a Numeric, Text a String.
KINDS: list[tuple[type, str]] = [
    (Boolean, "bool"), (Integer, "int"), (Float, "float"), (Numeric, "decimal"),
    (DateTime, "datetime"), (Date, "date"), (Time, "time"), (JSON, "json"),
    (LargeBinary, "bytes"), (String, "str"),
]


def kind(table: Table, column: Column) -> str:
    for sql_type, name in KINDS:
        if isinstance(column.type, sql_type):
            return name
    raise BackupError(f"Column {table.name}.{column.name} has a type ({column.type!r}) "
                      f"that a dump cannot carry.")


def _moment(value: datetime) -> str:
    # Zoned times are written in UTC. Times without a zone are UTC already, by the app's
    # convention, and stay as they are: SQLite gives every time back without one.
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat()


#: Kinds whose values JSON cannot hold as they come (the others: as they come). JSON
#: columns are read as their text, so that JSON null and SQL NULL stay apart.
ENCODE: dict[str, Callable] = {
    "datetime": _moment, "date": date.isoformat, "time": time.isoformat, "decimal": str,
    "bytes": lambda value: base64.b64encode(value).decode("ascii"),
}


# --- The database ---


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every table as of one moment while a server may be writing
    (on SQLite, WAL lets writers go on past a reader)."""
    options = ({"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
               if engine.dialect.name == "postgresql" else {})
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def tables(connection: Connection) -> list[Table]:
    """The database's tables in dependency order, Alembic's own aside."""
    names = set(inspect(connection).get_table_names())
    if connection.dialect.name == "sqlite":
        # Virtual tables (full-text indexes) and their shadow tables are derived from the
        # others, and would not take their rows back.
        names &= set(connection.exec_driver_sql(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
        ).scalars())
    metadata = MetaData()
    metadata.reflect(connection, only=sorted(names - {"alembic_version"}))
    return metadata.sorted_tables


def columns(table: Table) -> list[Column]:
    """The columns that hold values of their own (generated ones are computed again)."""
    return [column for column in table.columns if column.computed is None]


def revision(connection: Connection, what: str) -> str:
    # Alembic is loaded here, not with the module: the data package's routes read
    # snapshots too, and a server process need not hold Alembic for them.
    from app import migrate

    if found := migrate.current(connection):
        return found
    raise BackupError(f"{what} has no Peaceplan schema (no Alembic revision): there is "
                      f"nothing to back up.")


def read(connection: Connection) -> Iterator[Item]:
    """Each table as a `Dumped`, then its rows in batches, in primary key order."""
    for table in tables(connection):
        chosen = columns(table)
        kinds = [kind(table, column) for column in chosen]
        yield Dumped(table.name, [(c.name, k) for c, k in zip(chosen, kinds, strict=True)])
        encoders = [ENCODE.get(k) for k in kinds]
        query = select(*(cast(c, Text).label(c.name) if k == "json" else c
                         for c, k in zip(chosen, kinds, strict=True)))
        result = connection.execution_options(yield_per=BATCH).execute(
            query.order_by(*table.primary_key.columns))
        for rows in result.partitions():
            yield [[v if v is None or e is None else e(v)
                    for e, v in zip(encoders, row, strict=True)] for row in rows]
