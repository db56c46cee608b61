"""The tables of the data package and their Table Schemas, read from the models, so a new
column is in the package without code of its own.

One resource per table of plan data, named after the table, in dependency order (a table
comes after those it refers to). Lists of rows referred to (a contingent's sites, an event's
participants, a demand's other raisers) are link tables of their own. A citation refers to a
row of any kind by `subject_type` and `subject_id` in the database; in the package the id
is in one column per kind it can cite (`deployment_id`, `asset_id`, ...), so that each is a
foreign key that validators check like any other.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    String,
    Table,
    Text,
)

from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import (
    Base,
    Citation,
    Country,
    Source,
    demand_raiser,
    deployment_site,
    event_participant,
)

#: Written for a value that is missing: unknown, not reported, or no row referred to.
MISSING = ""

CITATION = Citation.__table__


#: Link tables, by the table whose rows own the links.
LINKS: dict[str, Table] = {"demand": demand_raiser, "deployment": deployment_site,
                           "event": event_participant}


def owner_key(link: Table) -> Column:
    """The column of a link table naming the row that owns the link."""
    owner = next(name for name, table in LINKS.items() if table is link)
    return next(fk.parent for fk in link.foreign_keys if fk.column.table.name == owner)


def refers_to(column: Column, table: str) -> bool:
    return any(fk.column.table.name == table for fk in column.foreign_keys)


def _tables() -> list[Table]:
    wanted = {Country.__tablename__, *record.TRACKED, *(t.name for t in LINKS.values())}
    # Citations last: they refer to rows of every kind (in the package, not the database).
    return [table for table in Base.metadata.sorted_tables
            if table.name in wanted and table is not CITATION] + [CITATION]


#: Every table of the package, each after the tables it refers to.
TABLES: list[Table] = _tables()
BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}
#: The tables a citation can be about, in dependency order.
CITABLE: tuple[str, ...] = tuple(
    table.name for table in TABLES
    if table.name in record.TRACKED and table.name not in (Source.__tablename__, CITATION.name))
KIND_OF: dict[str, Kind] = {kind.subject_type: kind for kind in KINDS.values()}

_TITLES = {
    "country": ("Countries", "ISO 3166-1 countries with their NATO and EU membership as "
                "recorded."),
    "citation": ("Citations and claims", "Each row's sources with the quoted words, anchored "
                 "in the source's text by the words either side. A citation naming a `field` "
                 "is a claim about that figure: a range (low, high, best) or a stage, dated, "
                 "graded 1-6 for credibility and ranked; the figure a row shows is worked out "
                 "from its claims."),
    "demand_raiser": ("Others raising each demand", "Links demands to the stakeholders "
                      "raising them with the first."),
    "deployment_site": ("Sites of each deployment", "Links troop contingents to their sites."),
    "event_participant": ("Participants of each event", "Links events to stakeholders."),
}

_DESCRIBED = {
    "id": "The row's id, which other tables refer to.",
    "key": "A stable key for the row (a seeded row's key in seeds/).",
    "version": "Goes up by one with every saved change of the row.",
    "created_at": "When the row was created (UTC).",
    "updated_at": "When the row last changed (UTC).",
    "certainty": "How sure the reporting is.",
    "verified_on": "When the row was last checked against its sources.",
    "disputed": "Whether claims about its figures that are not deprecated give ranges that "
                "cannot both be true.",
    "claim_count": "How many claims its figures rest on.",
    "subject_type": "The table of the row cited for; its id is in that table's column "
                    "(`<table>_id`), the only one of those set.",
    "field": "The figure a claim is about (troops, quantity, stage); missing for a citation "
             "that is not a claim.",
}
_PARTS = {
    "low": "Lower bound of the range; missing where none is reported ('up to', or unknown).",
    "high": "Upper bound of the range; missing where it is open ('at least', or unknown).",
    "best": "A best estimate, only where a source gives one.",
}


@dataclass(frozen=True)
class Field:
    """A column of a resource's CSV: the database column it holds, and for a citation's
    subject, the kind whose id it holds."""

    name: str
    column: Column
    cites: str | None = None


def fields(table: Table) -> list[Field]:
    out = []
    for column in table.columns:
        if table is CITATION and column.name == "subject_id":
            out.extend(Field(f"{name}_id", column, cites=name) for name in CITABLE)
        else:
            out.append(Field(column.name, column))
    return out


def _type(column: Column) -> dict[str, Any]:
    """The Table Schema type of a column, with the constraints its SQL type carries."""
    sql = column.type
    if isinstance(sql, Boolean):
        return {"type": "boolean"}
    if isinstance(sql, Integer):
        return {"type": "integer"}
    if isinstance(sql, Float):
        return {"type": "number"}
    if isinstance(sql, DateTime):
        return {"type": "datetime"}
    if isinstance(sql, Date):
        return {"type": "date"}
    if isinstance(sql, Enum):
        return {"type": "string", "constraints": {"enum": list(sql.enums)}}
    if isinstance(sql, String) and not isinstance(sql, Text) and sql.length:
        return {"type": "string", "constraints": {"maxLength": sql.length}}
    return {"type": "string"}


def _titles(kind: Kind | None) -> dict[str, str]:
    """Column titles from the labels a kind's pages show."""
    out: dict[str, str] = {}
    for col in kind.columns if kind else ():
        if col.numeric and len(col.reads) == len(_PARTS):  # a range: low, high, best
            for name, part in zip(col.reads, _PARTS, strict=True):
                out.setdefault(name, f"{col.label} ({part})")
        elif col.reads and col.reads[0] not in _DESCRIBED:
            out.setdefault(col.reads[0], col.label)
        if col.refers and not col.refers[0].endswith("s"):
            out.setdefault(f"{col.refers[0]}_id", col.label)
    return out


def field_descriptor(table: Table, field: Field, titles: dict[str, str]) -> dict[str, Any]:
    column = field.column
    out: dict[str, Any] = {"name": field.name, **_type(column)}
    constraints = dict(out.pop("constraints", {}))
    if field.cites:
        out["description"] = f"The {KIND_OF[field.cites].singular} cited for, when it is one."
    else:
        if not column.nullable:
            constraints["required"] = True
        if column.unique:
            constraints["unique"] = True
        if title := titles.get(field.name):
            out["title"] = title
        part = field.name.rsplit("_", 1)[-1]
        if field.name in _DESCRIBED:
            out["description"] = _DESCRIBED[field.name]
        elif part in _PARTS and isinstance(column.type, Integer):
            out["description"] = _PARTS[part]
        elif any(fk.column.table is Country.__table__ for fk in column.foreign_keys):
            out["description"] = "An ISO 3166-1 alpha-2 code; missing where none is named."
    if constraints:
        out["constraints"] = constraints
    return out


def _foreign_keys(table: Table) -> list[dict[str, Any]]:
    out = []
    for field in fields(table):
        if field.cites:
            targets = [(field.cites, "id")]
        else:
            targets = [(fk.column.table.name, fk.column.name)
                       for fk in field.column.foreign_keys]
        for target, key in targets:
            out.append({"fields": [field.name], "reference": {
                # An empty name is the resource itself (a source known through another).
                "resource": "" if target == table.name else target, "fields": [key]}})
    return out


def resource(table: Table) -> dict[str, Any]:
    """A resource descriptor: the table's CSV with its Table Schema."""
    kind = KIND_OF.get(table.name)
    title, description = _TITLES.get(table.name) or (kind.plural, kind.description)
    titles = _titles(kind)
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [field_descriptor(table, f, titles) for f in fields(table)],
            "missingValues": [MISSING],
            "primaryKey": [column.name for column in table.primary_key.columns],
            "foreignKeys": _foreign_keys(table),
        },
    }


def source_entry(title: str, outlet: str | None, published: Any, url: str | None
                 ) -> dict[str, Any]:
    """A document behind the data, as the package's `sources` list names it: by outlet
    and date, never a bare date."""
    when = published.isoformat() if published else "undated"
    entry: dict[str, Any] = {"title": f"{outlet or 'unnamed outlet'}, {when}: {title}"}
    if url:
        entry["path"] = url
    return entry


def descriptor(*, name: str, title: str, description: str, created: str,
               licence: dict[str, str], sources: Sequence[dict[str, Any]],
               properties: dict[str, Any]) -> dict[str, Any]:
    """`datapackage.json`: what the package holds, under which licence, from which
    documents, with every table's schema. `properties` are Peaceplan's own (`peaceplan`)."""
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "description": description,
        "created": created,
        "licenses": [licence],
        "sources": list(sources),
        "peaceplan": properties,
        "resources": [resource(table) for table in TABLES],
    }
