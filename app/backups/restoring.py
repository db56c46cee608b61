"""Restoring a backup into an empty database: brought to the backup's revision, filled in
dependency order, its id sequences moved past the restored ids, then upgraded to the latest
revision, all in one transaction."""

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import Column, Connection, Dialect, Engine, Table, exists, select, text
from sqlalchemy.exc import DBAPIError

from app import migrate
from app.backups.files import opened
from app.backups.reading import BackupError, Dumped, Item, Report, columns, tables
from app.db import WRITING

#: Tables whose rows a migration writes by itself: they are there before anyone used the
#: database, so they do not make it hold data.
MIGRATION_ROWS = {"alembic_version", "data_stamp"}

PARSE: dict[str, Callable] = {
    "date": date.fromisoformat, "time": time.fromisoformat, "decimal": Decimal,
    "bytes": base64.b64decode,
}


def _moment(column: Column) -> Callable[[str], datetime]:
    zoned = getattr(column.type, "timezone", False)

    def parse(value: str) -> datetime:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment if zoned else moment.astimezone(UTC).replace(tzinfo=None)

    return parse


def _decoder(kind: str, column: Column, dialect: Dialect) -> Callable | None:
    """From a dumped value to what the driver sends for `column` (None: the value as it is).
    A JSON document stays the text it was, on either backend: its null is not SQL's NULL."""
    if kind == "json":
        return None
    parse = _moment(column) if kind == "datetime" else PARSE.get(kind)
    if dialect.name == "postgresql":
        return parse  # psycopg sends Python values as PostgreSQL reads them
    store = column.type.dialect_impl(dialect).bind_processor(dialect)
    if parse and store:
        return lambda value: store(parse(value))
    return parse or store


class _Loader:
    """Inserts one table's batches straight through the driver (COPY on PostgreSQL): per-row
    work in SQLAlchemy cost more than the inserts. A foreign key to a row not inserted yet,
    of the table itself or of a later one, is set at the end: PostgreSQL checks references as
    each batch's statement ends (SQLite, once the restore is done)."""

    def __init__(self, connection: Connection, table: Table, dumped: Dumped, later: set[str]):
        names = [name for name, _ in dumped.columns]
        expected = sorted(column.name for column in columns(table))
        if sorted(names) != expected:
            raise BackupError(f"Table {table.name} has the columns {', '.join(expected)} at "
                              f"this revision, but the backup has {', '.join(names)}.")
        self.connection, self.table, self.names = connection, table, names
        self.decoders = [_decoder(kind, table.c[name], connection.dialect)
                         for name, kind in dumped.columns]
        self.keys = [names.index(column.name) for column in table.primary_key.columns]
        self.deferred = [names.index(fk.parent.name) for fk in table.foreign_keys
                         if fk.column.table.name in later and fk.parent.nullable
                         ] if self.keys else []
        self.pending: dict[int, list[tuple]] = {i: [] for i in self.deferred}
        self.quote = connection.dialect.identifier_preparer.quote
        self.driver = connection.connection.driver_connection

    def insert(self, batch: list[list]) -> None:
        rows = []
        for encoded in batch:
            row = [v if v is None or d is None else d(v)
                   for d, v in zip(self.decoders, encoded, strict=True)]
            for i in self.deferred:
                if row[i] is not None:
                    self.pending[i].append((row[i], *(row[k] for k in self.keys)))
                    row[i] = None
            rows.append(row)
        into = f"{self.quote(self.table.name)} ({', '.join(map(self.quote, self.names))})"
        if self.connection.dialect.name == "postgresql":
            with self.driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.names))
            self.driver.executemany(f"INSERT INTO {into} VALUES ({marks})", rows)

    def finish(self) -> None:
        mark = "%s" if self.connection.dialect.name == "postgresql" else "?"
        where = " AND ".join(f"{self.quote(self.names[k])} = {mark}" for k in self.keys)
        for i, values in self.pending.items():
            if values:
                self.driver.cursor().executemany(
                    f"UPDATE {self.quote(self.table.name)} SET {self.quote(self.names[i])} "
                    f"= {mark} WHERE {where}", values)


def _holding_data(connection: Connection) -> str | None:
    """The first table holding a row, if any."""
    for table in tables(connection):
        if table.name not in MIGRATION_ROWS and connection.scalar(
                select(exists().select_from(table))):
            return table.name
    return None


def _load(connection: Connection, revision: str, items: Iterator[Item]) -> tuple[int, int]:
    """Bring the empty database to the backup's revision and insert the backup's rows."""
    if holder := _holding_data(connection):
        raise BackupError(f"The database at {connection.engine.url.render_as_string()} "
                          f"already holds data (table {holder} has rows): restore into an "
                          f"empty one.")
    migrate.move(connection, revision)
    targets = {table.name: table for table in tables(connection)}
    for table in reversed(targets.values()):
        connection.execute(table.delete())
    loaders: list[_Loader] = []
    rows = 0
    for item in items:
        if isinstance(item, list):
            rows += len(item)
            loaders[-1].insert(item)
            continue
        if item.name not in targets:
            raise BackupError(f"The backup holds a table {item.name} that revision {revision}"
                              f" does not have.")
        done = {loader.table.name for loader in loaders}
        loaders.append(_Loader(connection, targets[item.name], item, set(targets) - done))
    if missing := set(targets) - {loader.table.name for loader in loaders}:
        raise BackupError(f"The backup lacks tables that revision {revision} has: "
                          f"{', '.join(sorted(missing))}.")
    for loader in loaders:
        loader.finish()
    return len(loaders), rows


def reset_sequences(connection: Connection) -> None:
    """On PostgreSQL, let new rows take ids after the restored ones (SQLite does so itself)."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    found = connection.execute(text(
        "SELECT table_name, column_name, seq FROM (SELECT table_name, column_name, "
        "pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq "
        "FROM information_schema.columns WHERE table_schema = current_schema()) AS s "
        "WHERE seq IS NOT NULL")).all()
    for table, column, sequence in found:
        connection.execute(text(
            f"SELECT setval(:sequence, coalesce((SELECT max({quote(column)}) "
            f"FROM {quote(table)}), 0) + 1, false)"), {"sequence": sequence})


def restore(engine: Engine, path: Path) -> Report:
    """Restore the backup at `path` into the empty database of `engine`, then bring it to
    the latest revision: all of it, in one transaction, or nothing."""
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise BackupError("Backups restore into SQLite or PostgreSQL only.")
    token = WRITING.set(True)  # on SQLite, take the write lock from the start
    try:
        with opened(path) as (revision, items):
            if not migrate.is_known(revision):
                raise BackupError(f"The backup is at revision {revision}, which this version "
                                  f"of Peaceplan does not know: restore it with a version "
                                  f"that does.")
            with migrate.migrating(engine) as connection:
                restored, rows = _load(connection, revision, items)
                reset_sequences(connection)
                migrate.move(connection, "head")
                revision = migrate.current(connection)
    except (DBAPIError, engine.dialect.loaded_dbapi.Error) as error:
        # Batches go to the driver itself, whose errors SQLAlchemy has not wrapped.
        refusal = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise BackupError(f"Nothing was restored: the database refused it ({refusal})."
                          ) from None
    except CommandError as error:
        raise BackupError(f"Nothing was restored: {error}.") from None
    except RuntimeError as error:  # the rows break SQLite's foreign keys
        raise BackupError(f"Nothing was restored: {error}.") from None
    finally:
        WRITING.reset(token)
    return Report(restored, rows, path.stat().st_size, revision)


