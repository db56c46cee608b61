"""Every row of a filter as CSV, streamed in constant memory, whatever the number of rows.

The rows are read as plain column values, not loaded as ORM objects: one select of the
columns the CSV holds, with the id and name of each row referred to joined in SQL, read
in batches from a server-side cursor (PostgreSQL) or a cursor stepping through the result
(SQLite). Each batch then costs one query for its sources and one per list of rows
referred to (a contingent's sites), and is written out before the next is read.

The values go through the same export getters as the API's records (`Kind.record`), on a
light tuple standing in for the row, so the CSV and the API cannot disagree.
"""

import csv
import io
from collections import defaultdict, namedtuple
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, Select, inspect, select
from sqlalchemy.orm import Session, aliased

from app.browse.queries import conditions, sort_order
from app.plan.filters import BaseFilters
from app.plan.kinds import Kind
from app.plan.models import Citation, Source

#: Rows read, turned into CSV and sent per round; the statements a batch runs do not
#: depend on its size.
BATCH = 1000


# --- What a kind's CSV reads ---


@dataclass(frozen=True)
class _Ref:
    """A reference column: the relationship, the row type it yields, and whether a row
    refers to a list of them."""

    attr: str
    target: Any
    field: str
    many: bool
    row: type  # (id, field) of a row referred to

    def make(self, row_id: Any, name: Any) -> Any:
        return None if row_id is None else self.row(row_id, name)


@dataclass(frozen=True)
class _Shape:
    reads: tuple[str, ...]  # the row's own columns, "id" first
    refs: tuple[_Ref, ...]
    row: type  # the light row: the columns, then each reference
    getters: tuple[Any, ...]  # every exported field after the id, in the CSV's order


_SHAPES: dict[str, _Shape] = {}


def _shape(kind: Kind) -> _Shape:
    if kind.slug not in _SHAPES:
        _SHAPES[kind.slug] = _read_shape(kind)
    return _SHAPES[kind.slug]


def _read_shape(kind: Kind) -> _Shape:
    mapper = inspect(kind.model)
    reads = ["id"]
    for col in kind.columns:
        for name in col.reads:
            if name not in mapper.column_attrs:
                raise LookupError(f"{kind.slug}: column '{col.key}' reads '{name}', "
                                  f"which is not a column of {kind.model.__name__}")
            if name not in reads:
                reads.append(name)
    refs = []
    for col in kind.columns:
        if col.refers:
            rel = mapper.relationships[col.refers[0]]
            refs.append(_Ref(col.refers[0], rel.mapper.class_, col.ref_name, rel.uselist,
                             namedtuple(f"{rel.mapper.class_.__name__}Ref",
                                        ["id", col.ref_name])))
    row = namedtuple(f"{kind.model.__name__}Row", [*reads, *(r.attr for r in refs)])
    getters = tuple(e.get for col in kind.columns for e in col.exports)
    return _Shape(tuple(reads), tuple(refs), row, getters)


def _select(kind: Kind, filters: BaseFilters) -> Select:
    """The rows of the filter in the list's order: their columns, then the id and name of
    each single row they refer to."""
    shape = _shape(kind)
    model = kind.model
    stmt = select(*(getattr(model, name) for name in shape.reads))
    for ref in shape.refs:
        if not ref.many:
            # Aliased: a source refers to the source it was known through.
            other = aliased(ref.target)
            stmt = (stmt.add_columns(other.id, getattr(other, ref.field))
                    .outerjoin(other, getattr(model, ref.attr).of_type(other)))
    return (stmt.where(*conditions(kind, filters))
            .order_by(*sort_order(kind, filters.sort))
            .execution_options(yield_per=BATCH))


def _many(session: Session, kind: Kind, ref: _Ref, ids: Sequence[int]
          ) -> dict[int, list[Any]]:
    """The rows each of `ids` refers to through `ref`, in the relationship's own order."""
    model, target = kind.model, ref.target
    order = getattr(model, ref.attr).property.order_by or ()
    stmt = (select(model.id, target.id, getattr(target, ref.field))
            .join(getattr(model, ref.attr)).where(model.id.in_(ids))
            .order_by(model.id, *order, target.id))
    out: dict[int, list[Any]] = defaultdict(list)
    for row_id, other_id, name in session.execute(stmt):
        out[row_id].append(ref.row(other_id, name))
    return out


# --- CSV ---


def header(kind: Kind) -> list[str]:
    names = ["id", *(e.name for col in kind.columns for e in col.exports)]
    return [*names, "sources"] if kind.cited else names


#: A spreadsheet would run text starting like a formula; a leading quote keeps it text.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as the CSV writes it; called for every field, so the common cases first."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(map(str, value))
    elif not isinstance(value, str):
        return value
    return "'" + value if value.startswith(_FORMULA) else value


def _sources(session: Session, kind: Kind, ids: Sequence[int]) -> dict[int, str]:
    """Each row's sources as the CSV names them, newest first, in one query."""
    stmt = (
        select(Citation.subject_id, Source.publisher, Source.published_on, Source.title,
               Citation.quote)
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.subject_type == kind.subject_type, Citation.subject_id.in_(ids))
        .order_by(Source.published_on.desc().nulls_last(), Source.id, Citation.id)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for row_id, outlet, published, title, quote in session.execute(stmt):
        out[row_id].append(f"{outlet or 'unnamed outlet'}, "
                           f"{published.isoformat() if published else 'undated'}, {title}"
                           + (f': "{quote}"' if quote else ""))
    return {row_id: "; ".join(cites) for row_id, cites in out.items()}


def _id(row: Any) -> int:
    return row.id


def open_rows(session: Session, kind: Kind, filters: BaseFilters) -> Result:
    """Starts reading the rows of a filter: run before the response begins, so that a
    database that cannot answer gets the app's error page, not a cut-off file."""
    return session.execute(_select(kind, filters))


def csv_chunks(session: Session, kind: Kind, result: Result) -> Iterator[str]:
    """The CSV of the rows `open_rows` began to read, a batch at a time."""
    shape = _shape(kind)
    n_reads = len(shape.reads)
    # Where each reference's values come from: two columns of the select (a single row
    # referred to) or a query per batch (a list of them).
    at, columns = n_reads, []
    for ref in shape.refs:
        columns.append(None if ref.many else at)
        at += 0 if ref.many else 2
    getters = (_id, *shape.getters)

    def rows(batch: Sequence[Any]) -> Iterator[list[Any]]:
        ids = [values[0] for values in batch]
        listed = [_many(session, kind, ref, ids) if ref.many else None for ref in shape.refs]
        sources = _sources(session, kind, ids) if kind.cited else None
        for values in batch:
            row = shape.row(*values[:n_reads], *(
                ref.make(values[i], values[i + 1]) if i is not None
                else found.get(values[0], [])
                for ref, i, found in zip(shape.refs, columns, listed, strict=True)))
            out = [cell(get(row)) for get in getters]
            if sources is not None:
                out.append(cell(sources.get(row.id, "")))
            yield out

    try:
        yield from csv_text(header(kind), (rows(batch) for batch in result.partitions()))
    finally:
        result.close()


def csv_text(names: Sequence[str], batches: Iterable[Iterable[Sequence[Any]]]
             ) -> Iterator[str]:
    """CSV text of a header and batches of rows, one piece per batch (the header alone when
    there are none), so that a batch is sent before the next is read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue()
