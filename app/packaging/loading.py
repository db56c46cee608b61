"""Reloading a data package into an empty database at head: every row with its id, its
citations and claims, recorded as one change in the history, all in one transaction.

Rows go in as plain values in batches (no model objects), each table after those it refers
to; a source known through another gets that link once every source is in. The history
then records every row as created by one change, dated when the packaged state took
effect, so that a view of a past date on the new database shows the plan from then on.
The search index is made again and, on PostgreSQL, id sequences move past the ids loaded.
"""

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Table,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.backups.restoring import reset_sequences
from app.caching import stamp
from app.history import record
from app.packaging import schema
from app.plan.models import utcnow
from app.plan.records import Change, Revision
from app.search import index as search_index

#: Rows inserted, and recorded in the history, at a time.
BATCH = 1000
IMPORTER = record.Actor("data package")
_TRUE, _FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}


class PackageError(ValueError):
    """A package that cannot be loaded, or a database it cannot be loaded into."""


@dataclass
class Report:
    tables: int
    rows: int
    change_id: int | None

    def __str__(self) -> str:
        return f"{self.rows:,} rows in {self.tables} tables"


# --- Values ---


def _boolean(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{text}' is not true or false")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reader(column: Column) -> Callable[[str], Any]:
    sql = column.type
    if isinstance(sql, Boolean):
        return _boolean
    if isinstance(sql, Integer):
        return int
    if isinstance(sql, Float):
        return float
    if isinstance(sql, DateTime):
        return _moment
    if isinstance(sql, Date):
        return date.fromisoformat
    if isinstance(sql, Enum) and sql.enum_class is not None:
        enum = sql.enum_class

        def member(text: str) -> Any:
            try:
                return enum(text)
            except ValueError:
                raise ValueError(f"'{text}' is not one of {', '.join(sql.enums)}") from None

        return member
    return str


# --- Reading the package ---


def _descriptor(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        descriptor = json.loads(archive.read("datapackage.json"))
    except KeyError:
        raise PackageError("The file has no datapackage.json.") from None
    except ValueError as error:
        raise PackageError(f"datapackage.json is not JSON: {error}.") from None
    resources = {r.get("name"): r for r in descriptor.get("resources") or []
                 if isinstance(r, dict)}
    for table in schema.TABLES:
        found = resources.get(table.name)
        if found is None:
            raise PackageError(f"The package has no table {table.name}.")
        names = [f.get("name") for f in (found.get("schema") or {}).get("fields", [])]
        expected = [f.name for f in schema.fields(table)]
        if names != expected:
            raise PackageError(f"Table {table.name} has the columns {', '.join(map(str, names))}"
                               f"; this version reads {', '.join(expected)}.")
    return descriptor


def _rows(archive: zipfile.ZipFile, table: Table) -> Iterator[list[dict[str, Any]]]:
    """The table's rows as column values, in batches."""
    fields = schema.fields(table)
    readers = [_reader(f.column) for f in fields]
    path = f"{table.name}.csv"
    try:
        member = archive.open(path)
    except KeyError:
        raise PackageError(f"The package has no {path}.") from None
    with member, io.TextIOWrapper(member, encoding="utf-8", newline="") as text:
        lines = csv.reader(text)
        header = next(lines, None)
        if header != [f.name for f in fields]:
            raise PackageError(f"{path}: the header is not {', '.join(f.name for f in fields)}.")
        batch: list[dict[str, Any]] = []
        for values in lines:
            batch.append(_row(table, fields, readers, values, path, lines.line_num))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _row(table: Table, fields: list[schema.Field], readers: list[Callable],
         values: list[str], path: str, line: int) -> dict[str, Any]:
    if len(values) != len(fields):
        raise PackageError(f"{path}, line {line}: {len(values)} values for {len(fields)} "
                           f"columns.")
    row: dict[str, Any] = {}
    for f, read, text in zip(fields, readers, values, strict=True):
        try:
            value = None if text == schema.MISSING else read(text)
        except ValueError as error:
            raise PackageError(f"{path}, line {line}, {f.name}: {error}.") from None
        if f.cites is None:
            row[f.name] = value
        elif f.cites == row["subject_type"]:
            row["subject_id"] = value
        elif value is not None:
            raise PackageError(f"{path}, line {line}: {f.name} is set, but the citation is "
                               f"for a {row['subject_type']}.")
    if table is schema.CITATION and row.get("subject_id") is None:
        raise PackageError(f"{path}, line {line}: the {row['subject_type']}_id cited for is "
                           f"missing.")
    return row


# --- Loading ---


def _holding_data(session: Session) -> str | None:
    for table in [*schema.TABLES, Change.__table__]:
        if session.scalar(select(exists().select_from(table))):
            return table.name
    return None


def _insert(session: Session, archive: zipfile.ZipFile, table: Table) -> int:
    # A link to a row of the same table waits until the whole table is in.
    later = [column for column in table.columns if schema.refers_to(column, table.name)]
    deferred: list[dict[str, Any]] = []
    count = 0
    for batch in _rows(archive, table):
        for row in batch:
            links = {c.name: row[c.name] for c in later if row[c.name] is not None}
            if links:
                deferred.append({"id": row["id"], **links})
                row.update(dict.fromkeys(links))
        session.execute(insert(table), batch)
        count += len(batch)
    for links in deferred:
        session.execute(update(table).where(table.c.id == links["id"])
                        .values({k: v for k, v in links.items() if k != "id"}))
    return count


def _recorded_at(descriptor: dict[str, Any]) -> datetime:
    """When the loaded state takes effect in the history: when it did where it was packaged
    (never later than now)."""
    now = utcnow()
    text = (descriptor.get("peaceplan") or {}).get("state_at")
    try:
        at = _moment(text) if isinstance(text, str) else now
    except ValueError:
        at = now
    return min(at, now)


def _record(session: Session, name: str, at: datetime) -> int:
    """One change creating every row loaded, with a revision per row."""
    change_id = session.execute(insert(Change).values(
        at=at, recorded_at=utcnow(), actor=IMPORTER.name, action="import",
        summary=f"Loaded from the data package {name}"[:300]).returning(Change.id)).scalar_one()
    for model in record.TRACKED.values():
        table = model.__table__
        collections = {key: getattr(model, key).property
                       for key in record.COLLECTIONS.get(model, ())}
        result = session.execute(select(table).order_by(table.c.id)
                                 .execution_options(yield_per=BATCH))
        for batch in result.partitions():
            ids = [row.id for row in batch]
            links: dict[int, dict[str, list[int]]] = defaultdict(dict)
            for key, relationship in collections.items():
                link = relationship.secondary
                ((_, own),) = relationship.synchronize_pairs
                ((_, other),) = relationship.secondary_synchronize_pairs
                for row_id, linked in session.execute(
                        select(link.c[own.name], link.c[other.name])
                        .where(link.c[own.name].in_(ids))):
                    links[row_id].setdefault(key, []).append(linked)
            session.execute(insert(Revision), [
                record.created(change_id, model, row._mapping, row._mapping.get("version"),
                               links.get(row.id)) for row in batch])
    return change_id


def load(session: Session, path: Path) -> Report:
    """Load the package at `path` into the empty database of `session` (at head): all of
    it, committed as one change, or nothing."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise PackageError(f"{path} is not a data package zip: {error}.") from None
    with archive:
        descriptor = _descriptor(archive)
        if holder := _holding_data(session):
            raise PackageError(f"The database already holds data (table {holder} has rows): "
                               f"load a package into an empty one.")
        try:
            rows = sum(_insert(session, archive, table) for table in schema.TABLES)
            change_id = _record(session, path.name, _recorded_at(descriptor))
            search_index.rebuild(session)
            stamp.bump(session)
            reset_sequences(session.connection())
            session.commit()
        except DBAPIError as error:
            session.rollback()
            refusal = str(getattr(error, "orig", error)).strip().splitlines()[0]
            raise PackageError(f"Nothing was loaded: the database refused it ({refusal})."
                               ) from None
        except BaseException:
            session.rollback()
            raise
    return Report(len(schema.TABLES), rows, change_id)
