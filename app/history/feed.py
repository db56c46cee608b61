"""The latest changes to the plan, for the Atom feed, optionally narrowed to countries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from app.history.describe import Countries, Names, fields, names_of, noun, title
from app.plan.models import Citation
from app.plan.records import Change, Revision


@dataclass
class Entry:
    change: Change
    lines: list[str]
    more: int  # rows changed beyond those listed
    day: date


def _line(revision: Any, names: Names) -> str:
    verb = {"create": "added", "update": "changed", "delete": "removed"}[revision.action]
    data = revision.after or revision.before or {}
    name = title(revision.subject_type, data, names)
    # A citation's title quotes its source's name already.
    if revision.subject_type != Citation.__tablename__:
        name = f"“{name}”"
    text = f"{noun(revision.subject_type).capitalize()} {name} {verb}"
    changed = fields(revision.subject_type, revision.before, revision.after,
                     ranges_only=revision.action != "update", row_names=names)
    if changed:
        text += ": " + "; ".join(f"{f.label} {f.before} → {f.after}" for f in changed)
    return text


def feed(session: Session, countries: Sequence[str] = (), limit: int = 50,
         lines: int = 20) -> list[Entry]:
    """The latest `limit` changes, newest recorded first, involving `countries` if given,
    each described by up to `lines` rows.

    A change can hold a bulk load's 100,000 rows: only the rows listed are described, and
    without a country filter only those are read."""
    wanted = set(countries)
    out: list[Entry] = []
    last_id: int | None = None
    batch = limit if not wanted else 4 * limit
    while len(out) < limit:
        stmt = (select(Change).options(lazyload(Change.revisions))
                .order_by(Change.id.desc()).limit(batch))
        if last_id is not None:
            stmt = stmt.where(Change.id < last_id)
        found = session.scalars(stmt).all()
        if not found:
            break
        last_id = found[-1].id
        ids = [change.id for change in found]
        rows = (_matching(session, ids, wanted, lines) if wanted
                else _first_rows(session, ids, lines))
        names = names_of(session, ((r.subject_type, state) for shown, _ in rows.values()
                                   for r in shown for state in (r.before, r.after)))
        for change in found:
            if change.id in rows:
                shown, count = rows[change.id]
                out.append(Entry(change, [_line(r, names) for r in shown], count - len(shown),
                                 change.at.date()))
                if len(out) == limit:
                    break
    return out


_ROW = (Revision.change_id, Revision.subject_type, Revision.subject_id, Revision.action,
        Revision.before, Revision.after)


def _first_rows(session: Session, ids: list[int], lines: int) -> dict[int, tuple[list, int]]:
    """The first `lines` revisions of each change, and how many it has."""
    counts = dict(session.execute(
        select(Revision.change_id, func.count()).where(Revision.change_id.in_(ids))
        .group_by(Revision.change_id)).all())
    rank = func.row_number().over(partition_by=Revision.change_id, order_by=Revision.id)
    ranked = select(Revision.id, rank.label("rank")).where(
        Revision.change_id.in_(ids)).subquery()
    first = session.execute(select(*_ROW).join(ranked, ranked.c.id == Revision.id)
                            .where(ranked.c.rank <= lines).order_by(Revision.id)).all()
    out: dict[int, tuple[list, int]] = {i: ([], n) for i, n in counts.items()}
    for row in first:
        out[row.change_id][0].append(row)
    return out


def _matching(session: Session, ids: list[int], wanted: set[str],
              lines: int) -> dict[int, tuple[list, int]]:
    """The first `lines` revisions of each change involving `wanted` countries, and how
    many do; read in parts, so a bulk change never sits in memory whole."""
    places = Countries(session)
    out: dict[int, tuple[list, int]] = {}
    result = session.execute(select(*_ROW).where(Revision.change_id.in_(ids))
                             .order_by(Revision.id).execution_options(yield_per=5000))
    for part in result.partitions():
        for r in part:
            places.remember((r.subject_type, r.subject_id), r.after or r.before)
        places.load_parents(r.after or r.before for r in part
                            if r.subject_type == Citation.__tablename__)
        for r in part:
            if wanted & (places.of(r.subject_type, r.before) | places.of(r.subject_type,
                                                                        r.after)):
                shown, count = out.get(r.change_id, ([], 0))
                if len(shown) < lines:
                    shown.append(r)
                out[r.change_id] = (shown, count + 1)
    return out


def period_of(day: date) -> tuple[date, date]:
    """The compare range that holds the changes of `day`."""
    return day - timedelta(days=1), day
