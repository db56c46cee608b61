"""Writing a data package: a zip of `datapackage.json` and one CSV per table, made as it is
sent.

Every table is read in one snapshot of the database (`app.backups.reading.snapshot`; a
view of a past date is a snapshot already), as plain column values in batches, and each
batch is written into the zip and handed on before the next is read: the CSV machinery
is the lists' export's (`app.browse.export`), and memory does not grow with the rows.

Values are written as stored, for programs to read back exactly: numbers in full, times
in UTC (ISO 8601), booleans as true/false, a missing value as an empty cell. Unlike the
lists' CSV exports, made for spreadsheets, no text is prefixed to keep it from being read
as a formula.
"""

import json
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from app.backups.reading import snapshot
from app.browse.export import BATCH, csv_text
from app.config import get_settings
from app.packaging import schema
from app.packaging.selection import Choice, Chosen, rows
from app.plan.models import Source, as_utc, utcnow
from app.plan.records import Change, DataStamp


@dataclass(frozen=True)
class Licence:
    name: str
    path: str
    title: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "title": self.title}


def configured_licence() -> Licence:
    """The licence the settings name (PACKAGE_LICENSE, its title and URL)."""
    settings = get_settings()
    return Licence(settings.package_license, settings.package_license_url,
                   settings.package_license_title)


def cell(value: Any) -> Any:
    if value is None:
        return schema.MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return as_utc(value).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    return value


class _Sink:
    """Where the zip is written: bytes collected until taken. It cannot seek, so the zip
    gives each file's sizes after its data, and a file is sent while it is written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def _state_at(connection: Connection) -> datetime | None:
    """When the state packaged took effect: the newest change it holds (a view of a past
    date holds no history, but is stamped with its newest change)."""
    newest = connection.scalar(select(func.max(Change.at)))
    if newest is None:
        newest = connection.scalar(select(DataStamp.updated_at).where(DataStamp.id == 1))
    return as_utc(newest) if newest is not None else None


def _sources(connection: Connection, chosen: Chosen | None) -> list[dict[str, Any]]:
    table = Source.__table__
    stmt = (select(table.c.title, table.c.publisher, table.c.published_on, table.c.url)
            .order_by(table.c.published_on.desc().nulls_last(), table.c.id))
    if chosen is not None:
        stmt = stmt.where(chosen.where(table))
    return [schema.source_entry(*row) for row in connection.execute(stmt)]


def describe(connection: Connection, choice: Choice, *, as_of: date | None,
             licence: Licence, homepage: str | None = None) -> dict[str, Any]:
    """The package's `datapackage.json` for a filter, read in the same snapshot as its rows."""
    chosen = None if choice.everything else Chosen(choice)
    filtered = "" if choice.everything else " (filtered)"
    day = f" as of {as_of.isoformat()}" if as_of else ""
    state_at = _state_at(connection)
    properties: dict[str, Any] = {
        "as_of": as_of.isoformat() if as_of else None,
        "state_at": state_at.isoformat() if state_at else None,
        "data_version": connection.scalar(
            select(DataStamp.version).where(DataStamp.id == 1)) or 0,
        "filter": choice.query,
        "rows": "every row" if choice.everything else
                "the rows of each kind matching the filter as its list does, and every row "
                "they refer to (plans, sites, stakeholders, demands, citations and claims, "
                "sources, countries)",
    }
    out = schema.descriptor(
        name="peaceplan" + ("-filtered" if chosen else "") + (f"-{as_of}" if as_of else ""),
        title=f"Peaceplan: the proposed peacekeeping plan as data{day}{filtered}",
        description=(
            "Troop contributions, assets, sites, stakeholders and their stances, demands, "
            "events and force levels of the plan, each row with its citations: the sources "
            "behind it and the quoted words; figures are ranges (low, high, and a best "
            "estimate only where a source gives one), missing where unknown. Quoted words "
            "and the texts of sources remain their publishers'."),
        created=utcnow().isoformat(),
        licence=licence.as_dict(),
        sources=_sources(connection, chosen),
        properties=properties,
    )
    if homepage:
        out["homepage"] = homepage
    return out


def table_csv(connection: Connection, table: Any, chosen: Chosen | None) -> Iterator[str]:
    """A table's CSV, a batch at a time."""
    # On the statement, not the connection, whose options would outlive the read.
    result = connection.execute(rows(table, chosen).execution_options(yield_per=BATCH))
    names = [f.name for f in schema.fields(table)]
    try:
        yield from csv_text(names, ([[cell(v) for v in row] for row in batch]
                                    for batch in result.partitions()))
    finally:
        result.close()


def zip_chunks(connection: Connection, choice: Choice, descriptor: Mapping[str, Any]
               ) -> Iterator[bytes]:
    """The package as a zip, in pieces as they are made."""
    chosen = None if choice.everything else Chosen(choice)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(descriptor, indent=2,
                                                        ensure_ascii=False) + "\n")
        yield sink.take()
        for table in schema.TABLES:
            with archive.open(f"{table.name}.csv", "w") as member:
                for text in table_csv(connection, table, chosen):
                    member.write(text.encode("utf-8"))
                    if part := sink.take():
                        yield part
            yield sink.take()
    yield sink.take()


def package(bind: Engine | Connection, choice: Choice, *, as_of: date | None,
            licence: Licence, homepage: str | None = None) -> Iterator[bytes]:
    """The package of `choice`, read in one snapshot of `bind`'s database (a connection
    is read in the transaction its owner began). The descriptor is read at once, so that a
    database that cannot answer fails the call rather than cutting off the file; the rows
    are read as the pieces are taken."""
    stack = ExitStack()
    reading = nullcontext(bind) if isinstance(bind, Connection) else snapshot(bind)
    connection = stack.enter_context(reading)
    try:
        descriptor = describe(connection, choice, as_of=as_of, licence=licence,
                              homepage=homepage)
    except BaseException:
        stack.close()
        raise

    def pieces() -> Iterator[bytes]:
        with stack:
            yield from zip_chunks(connection, choice, descriptor)

    return pieces()
