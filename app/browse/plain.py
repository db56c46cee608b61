"""A page of a table's rows as plain values: what its cells print, without ORM instances.

Part of the queries (`app.browse.queries.list_rows` takes `reads`): for a table that only
prints its rows, an ORM instance per row (state, identity map, loaders) cost more than the
row's SQL.
"""

from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.plan.kinds import Kind


@dataclass(frozen=True)
class Reads:
    """What a results table reads of each row: its own columns, and the id and name of
    the row (`one`) or rows (`many`) each reference column points to, as (relationship,
    name attribute) pairs."""

    own: tuple[str, ...]
    one: tuple[tuple[str, str], ...] = ()
    many: tuple[tuple[str, str], ...] = ()


def plain_rows(session: Session, kind: Kind, stmt: Select, reads: Reads) -> list[Any]:
    """A page of rows as plain objects of the values a table shows: no ORM instances,
    identity map or loader machinery for rows that are only printed. `stmt`: the page's
    select of the kind's rows (its filter, order, limit and offset)."""
    model = kind.model
    stmt = stmt.with_only_columns(*(getattr(model, key).label(key) for key in ("id", *reads.own)))
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
