"""A page of a table's rows as plain values: what its cells print, without ORM instances.

Part of the queries (`app.browse.queries.list_rows` takes `reads`): for a table that only
prints its rows, an ORM instance per row (state, identity map, loaders) cost more than the
row's SQL.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.plan.kinds import Kind
from app.plan.models import Citation, Source


@dataclass(frozen=True)
class Reads:
    """What a results table reads of each row: its own columns, and the id and name of
    the row (`one`) or rows (`many`) each reference column points to, as (relationship,
    name attribute) pairs."""

    own: tuple[str, ...]
    one: tuple[tuple[str, str], ...] = ()
    many: tuple[tuple[str, str], ...] = ()


def plain_rows(session: Session, kind: Kind, ids: Select, order: Sequence[ColumnElement],
               reads: Reads) -> list[Any]:
    """A page of rows as plain objects of the values a table shows: no ORM instances,
    identity map or loader machinery for rows that are only printed. `ids`: the select of
    the page's ids (its filter, order, limit and offset); `order`: its order."""
    model = kind.model
    stmt = (select(*(getattr(model, key).label(key) for key in ("id", *reads.own)))
            .where(model.id.in_(ids)).order_by(*order))
    rows = [SimpleNamespace(**row._mapping) for row in session.execute(stmt)]
    for rel, name in reads.one:
        prop = getattr(model, rel).property
        target, fk = prop.mapper.class_, next(iter(prop.local_columns)).key
        wanted = {getattr(r, fk) for r in rows} - {None}
        found = {i: SimpleNamespace(id=i, **{name: n}) for i, n in session.execute(
            select(target.id, getattr(target, name)).where(target.id.in_(wanted)))} \
            if wanted else {}
        for r in rows:
            setattr(r, rel, found.get(getattr(r, fk)))
    for rel, name in reads.many:
        prop = getattr(model, rel).property
        target = prop.mapper.class_
        lists: dict[int, list[Any]] = defaultdict(list)
        if rows:
            order = [*(prop.order_by or ()), target.id]
            for owner, i, n in session.execute(
                    select(model.id, target.id, getattr(target, name))
                    .join(getattr(model, rel)).where(model.id.in_([r.id for r in rows]))
                    .order_by(*order)):
                lists[owner].append(SimpleNamespace(id=i, **{name: n}))
        for r in rows:
            setattr(r, rel, lists.get(r.id, []))
    return rows


def citing_rows(stmt: Select, kind: Kind, ids: Sequence[int]) -> Select:
    """`stmt`, a select of citations, narrowed to those of `kind`'s rows `ids`, joined to
    their sources, the newest source first: the order a row's Sources cell lists them."""
    return (stmt.join(Citation.source)
            .where(Citation.subject_type == kind.subject_type, Citation.subject_id.in_(ids))
            .order_by(Source.published_on.desc().nulls_last(), Source.id))


def plain_citations(session: Session, kind: Kind, ids: list[int]) -> dict[int, list[Any]]:
    """A page's citations as `queries.citations` finds them (same rows, same order), as
    plain values: what a table's Sources cell prints of each (its id, quote and source's
    outlet, date and title), without an ORM instance per citation and per source."""
    out: dict[int, list[Any]] = defaultdict(list)
    if not kind.cited or not ids:
        return out
    columns = (Citation.id, Citation.subject_id, Citation.source_id, Citation.quote,
               Source.publisher, Source.published_on, Source.title)
    stmt = citing_rows(select(*columns), kind, ids)
    sources: dict[int, SimpleNamespace] = {}
    for cid, subject, source_id, quote, publisher, published_on, title in session.execute(stmt):
        source = sources.get(source_id)
        if source is None:
            source = sources[source_id] = SimpleNamespace(
                id=source_id, publisher=publisher, published_on=published_on, title=title)
            # The model's own wording of who published it.
            source.outlet = Source.outlet.fget(source)
        out[subject].append(SimpleNamespace(id=cid, source_id=source_id, quote=quote,
                                            source=source))
    return out
