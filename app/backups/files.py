"""The two kinds of backup file: writing them, and opening either for a restore.

A dump is gzip'd JSON Lines: a header (format, version, the Alembic revision, when, from
which backend), then per table a line naming it and its columns with the kind of value each
holds, then its rows as JSON arrays, and a last line with the totals, so that a file cut short
is refused. A SQLite copy is the database file itself, made with SQLite's online backup.
"""

import gzip
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, func, select

from app.backups.reading import (
    BATCH,
    BackupError,
    Dumped,
    Item,
    Report,
    read,
    revision,
    snapshot,
    tables,
)
from app.db import SQLITE_BUSY_TIMEOUT

FORMAT = "peaceplan-dump"
VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
#: What a damaged gzip or JSON file raises on the way.
DAMAGED = (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, IndexError)


class Format(StrEnum):
    PORTABLE = "portable"  # the dump, for either backend
    SQLITE = "sqlite"  # a copy of a SQLite database file


def write(engine: Engine, path: Path, kind: Format = Format.PORTABLE) -> Report:
    """Back up the database to `path`, a new file, as a dump or as a SQLite copy."""
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").is_file():
        # Connecting would make an empty database there.
        raise BackupError(f"There is no SQLite database at {engine.url.database}.")
    return copy_sqlite(engine, path) if kind == Format.SQLITE else write_dump(engine, path)


def _part(path: Path) -> Path:
    """Where to write before the file is whole: `path` appears complete or not at all."""
    if path.exists():
        raise BackupError(f"{path} already exists: back up to a new file.")
    return path.with_name(f".{path.name}.{os.getpid()}.part")


def _line(item) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_dump(engine: Engine, path: Path) -> Report:
    """Write the portable dump of the database to `path`, a new file."""
    part = _part(path)
    tables_written = rows = 0
    try:
        with snapshot(engine) as connection, gzip.open(
                part, "wt", encoding="utf-8", compresslevel=6) as out:
            at = revision(connection, "The database")
            out.write(_line({"format": FORMAT, "version": VERSION, "revision": at,
                             "created_at": datetime.now(UTC).isoformat(),
                             "backend": connection.dialect.name}))
            for item in read(connection):
                if isinstance(item, Dumped):
                    tables_written += 1
                    out.write(_line({"table": item.name, "columns": item.columns}))
                else:
                    rows += len(item)
                    out.writelines(_line(row) for row in item)
            out.write(_line({"end": {"tables": tables_written, "rows": rows}}))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return Report(tables_written, rows, path.stat().st_size, at)


def copy_sqlite(engine: Engine, path: Path) -> Report:
    """Copy a SQLite database to `path`, a new file, while a server may be writing to it."""
    source = engine.url.database
    if engine.dialect.name != "sqlite" or not source or source == ":memory:":
        raise BackupError("Only a SQLite database file can be copied as SQLite: use the "
                          "portable dump for this one.")
    part = _part(path)
    try:
        with (closing(sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT)) as live,
              closing(sqlite3.connect(part)) as copy):
            # All pages in one step, so a write meanwhile cannot restart the copy: the step
            # is one read transaction, which WAL lets writers go on past.
            live.backup(copy, pages=-1)
            # One self-contained file, with no -wal or -shm beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        reader = sqlite_reader(part)
        try:
            with snapshot(reader) as connection:
                at = revision(connection, "The database")
                counts = [connection.scalar(select(func.count()).select_from(table))
                          for table in tables(connection)]
        finally:
            reader.dispose()
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return Report(len(counts), sum(counts), path.stat().st_size, at)


# --- Opening a backup ---


def sqlite_reader(path: Path) -> Engine:
    """An engine that only reads the SQLite file at `path`, in transactions of its own."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.isolation_level = None  # transactions begin where SQLAlchemy says
        return connection

    engine = create_engine("sqlite://", creator=connect)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    return engine


def _read_dump(path: Path, lines: Iterator[str]) -> Iterator[Item]:
    seen_tables = rows = 0
    batch: list[list] = []
    try:
        for line in lines:
            item = json.loads(line)
            if isinstance(item, list):
                if not seen_tables:
                    raise ValueError("rows before any table")
                batch.append(item)
                if len(batch) < BATCH:
                    continue
            if batch:
                rows += len(batch)
                yield batch
                batch = []
            if isinstance(item, list):
                continue
            if "end" in item:
                if item["end"] != {"tables": seen_tables, "rows": rows}:
                    raise BackupError(f"{path} does not hold the rows its last line counts: "
                                      f"nothing was restored.")
                return
            seen_tables += 1
            yield Dumped(item["table"], [(name, kind) for name, kind in item["columns"]])
    except DAMAGED as error:
        raise BackupError(f"{path} is damaged ({error}): nothing was restored.") from None
    raise BackupError(f"{path} ends before its last line, cut short: nothing was restored.")


@contextmanager
def opened(path: Path) -> Iterator[tuple[str, Iterator[Item]]]:
    """The revision a backup is at, and its tables and rows, whichever kind of file it is."""
    try:
        with path.open("rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if magic.startswith(GZIP_MAGIC):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            try:
                header = json.loads(next(lines))
            except (*DAMAGED, StopIteration):
                header = None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise BackupError(f"{path} is a gzip file but not a Peaceplan dump.")
            if header.get("version") != VERSION:
                raise BackupError(f"{path} is a dump of format version {header.get('version')}"
                                  f", which this version of Peaceplan cannot read.")
            yield header["revision"], _read_dump(path, lines)
    elif magic == SQLITE_MAGIC:
        reader = sqlite_reader(path)
        try:
            with snapshot(reader) as connection:
                yield revision(connection, str(path)), read(connection)
        finally:
            reader.dispose()
    else:
        raise BackupError(f"{path} is neither a Peaceplan dump nor a SQLite database.")
