"""What changed in the plan: rows added, removed and changed between two dates, and the
latest changes for the Atom feed, described in the words and formats of the tables.

Both read the change history directly: a row's state on a date is its latest revision by
then (`asof.state_at`), so no snapshot database is needed to compare two dates.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.sql.sqltypes import Date
from sqlalchemy.sql.sqltypes import Enum as EnumType

from app import history
from app.asof import FOREVER, Subject, end_of, state_at, today
from app.filters import country_name
from app.kinds import KINDS, NAV, Kind
from app.models import Change, Citation, Revision, Stakeholder
from app.quantities import format_date, format_range

#: Kinds by the subject type their revisions carry.
BY_TYPE: dict[str, Kind] = {kind.subject_type: kind for kind in KINDS.values()}
LONG_TEXT = 160

# --- Describing one row's state ---


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def title(subject_type: str, data: dict[str, Any]) -> str:
    """A short name for a row from its recorded fields: its kind's own title where that
    needs no other row, else its first naming field."""
    if subject_type == Citation.__tablename__:
        return (f"source #{data.get('source_id')} cited for "
                f"{noun(str(data.get('subject_type')))} #{data.get('subject_id')}")
    kind = BY_TYPE.get(subject_type)
    if kind is not None:
        columns = kind.model.__table__.columns
        try:
            row = kind.model(**history.restore_values(
                kind.model, {k: v for k, v in data.items() if k in columns}, None))
            return _short(kind.title(row))
        except (AttributeError, TypeError, ValueError):
            pass  # the title names a related row (a stance's stakeholder), not loaded here
    for key in ("name", "title", "role", "subject", "key"):
        if data.get(key):
            return _short(str(data[key]))
    return f"{subject_type.replace('_', ' ')} {data.get('id', '')}".strip()


def noun(subject_type: str) -> str:
    kind = BY_TYPE.get(subject_type)
    return kind.singular if kind else subject_type.replace("_", " ")


def _short(text: str) -> str:
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1].rstrip() + "…"


@cache
def _labels(subject_type: str) -> dict[str, str]:
    kind = BY_TYPE.get(subject_type)
    return {col.key: col.label for col in kind.columns} if kind else {}


def _label(subject_type: str, name: str) -> str:
    labels = _labels(subject_type)
    for key in (name, name.removesuffix("_code"), name.removesuffix("_id")):
        if key in labels:
            return labels[key]
    return name.replace("_", " ").capitalize()


def _show(model: Any, name: str, value: Any) -> str:
    if value is None or value == []:
        return "—"
    column = model.__table__.columns.get(name) if model is not None else None
    if isinstance(value, list):
        return ", ".join(f"#{v}" for v in value)
    if column is not None:
        if isinstance(column.type, EnumType) and column.type.enum_class:
            return column.type.enum_class(value).label
        if isinstance(column.type, Date):
            return format_date(date.fromisoformat(value))
        if any(fk.column.table.name == "country" for fk in column.foreign_keys):
            return f"{country_name(value)} ({value})"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if not name.endswith("id") else str(value)
    return _short(str(value))


def fields(subject_type: str, before: dict | None, after: dict | None,
           ranges_only: bool = False) -> list[FieldChange]:
    """The fields that differ between two states of a row; a figure's low and high show
    as one range, the way the tables show it. `ranges_only`: only the figures."""
    model = history.TRACKED.get(subject_type)
    before, after = before or {}, after or {}
    names = [n for n in dict.fromkeys([*before, *after]) if n != "id"]
    out: list[FieldChange] = []
    for name in names:
        if name.endswith("_high") and f"{name.removesuffix('_high')}_low" in names:
            continue
        if name.endswith("_low") and (pair := f"{name.removesuffix('_low')}_high") in names:
            old = (before.get(name), before.get(pair))
            new = (after.get(name), after.get(pair))
            if old != new:
                out.append(FieldChange(_label(subject_type, name.removesuffix("_low")),
                                       format_range(*old) if before else "—",
                                       format_range(*new) if after else "—"))
        elif not ranges_only and before.get(name) != after.get(name):
            out.append(FieldChange(_label(subject_type, name),
                                   _show(model, name, before.get(name)),
                                   _show(model, name, after.get(name))))
    return out


# --- Which countries a row involves ---


@cache
def _country_fields(subject_type: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(fields holding country codes, fields holding stakeholder ids) that make up the
    row's `country` filter: its column, or for a filter through other rows (stances,
    demands, events), its own country columns and the stakeholders it names."""
    kind = BY_TYPE.get(subject_type)
    dim = next((d for d in kind.dims if d.param == "country"), None) if kind else None
    if dim is None:
        return (), ()
    if dim.column is not None:
        return (dim.column.key,), ()
    columns = kind.model.__table__.columns
    own = tuple(c.key for c in columns if _refers_to(c, "country"))
    people = [c.key for c in columns if _refers_to(c, Stakeholder.__tablename__)]
    people += [key for key in history.COLLECTIONS.get(kind.model, ())
               if getattr(kind.model, key).property.mapper.class_ is Stakeholder]
    return own, tuple(people)


def _refers_to(column: Any, table: str) -> bool:
    return any(fk.column.table.name == table for fk in column.foreign_keys)


class Countries:
    """Answers "which countries does this state of a row involve?", loading what it needs
    (stakeholders' countries, the rows citations belong to) once."""

    def __init__(self, session: Session):
        self.session = session
        self._people: dict[int, str | None] | None = None
        self._parents: dict[Subject, dict] = {}

    def of(self, subject_type: str, data: dict | None) -> set[str]:
        data = data or {}
        if subject_type == Citation.__tablename__:
            parent = (data.get("subject_type"), data.get("subject_id"))
            return self.of(parent[0], self._parents.get(parent)) if parent[0] else set()
        own, people = _country_fields(subject_type)
        out = {data[k] for k in own if data.get(k)}
        if people:
            countries = self.people()
            for key in people:
                ids = data.get(key)
                for person in ids if isinstance(ids, list) else [ids]:
                    if countries.get(person):
                        out.add(countries[person])
        return out

    def people(self) -> dict[int, str | None]:
        if self._people is None:
            self._people = dict(self.session.execute(
                select(Stakeholder.id, Stakeholder.country_code)).all())
        return self._people

    def remember(self, subject: Subject, data: dict | None) -> None:
        """A row's state seen while reading, so citations of it need not look it up."""
        if data is not None:
            self._parents[subject] = data

    def load_parents(self, citations: Iterable[dict | None]) -> None:
        """Load the rows these citations belong to, as they stand last."""
        wanted = {(c.get("subject_type"), c.get("subject_id")) for c in citations if c}
        missing = wanted - self._parents.keys()
        if not missing:
            return
        rows = select(Revision.subject_type, Revision.subject_id).where(
            Revision.subject_id.in_({i for _, i in missing})).distinct().subquery()
        latest = state_at(self.session, FOREVER, rows)
        self._parents.update({k: v for k, v in latest.items() if k in missing})


# --- Comparing two dates ---


@dataclass
class RowChange:
    subject_type: str
    subject_id: int
    action: str  # added, removed, changed
    title: str
    href: str | None
    fields: list[FieldChange]
    changes: list[Change]


@dataclass
class Group:
    label: str
    rows: dict[str, list[RowChange]]  # by action, in the order added, removed, changed
    totals: dict[str, int]  # by action: more than `rows` holds where the list is cut

    @property
    def count(self) -> int:
        return sum(self.totals.values())


@dataclass
class Comparison:
    start: date
    end: date
    groups: list[Group] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    sizes: dict[int, int] = field(default_factory=dict)  # rows each change touched


ACTIONS = ("added", "removed", "changed")


def href(subject_type: str, subject_id: int, data: dict | None, on: date) -> str | None:
    """The page of a row (a citation: of the row it belongs to) as it stood on `on`."""
    if subject_type == Citation.__tablename__:
        if not data or data.get("subject_type") not in BY_TYPE:
            return None
        subject_type, subject_id = data["subject_type"], data["subject_id"]
    kind = BY_TYPE.get(subject_type)
    if kind is None:
        return None
    return f"/{kind.slug}/{subject_id}" + ("" if on >= today() else f"?as_of={on}")


def compare(session: Session, start: date, end: date, countries: Sequence[str] = (),
            listed: int = 200) -> Comparison:
    """Rows added, removed and changed between the end of `start` and the end of `end`,
    each with the changes that made it; `countries` keeps the rows involving them. Each
    kind lists up to `listed` rows per action (a bulk load adds thousands)."""
    since, until = end_of(start), end_of(end)
    period = (Change.at >= since) & (Change.at < until)
    changes = session.scalars(select(Change).options(lazyload(Change.revisions))
                              .where(period).order_by(Change.at, Change.id)).all()
    made = (select(Revision.subject_type, Revision.subject_id, Revision.change_id)
            .join(Change, Change.id == Revision.change_id).where(period))
    by_subject: dict[Subject, list[int]] = defaultdict(list)
    for subject_type, subject_id, change_id in session.execute(made):
        by_subject[(subject_type, subject_id)].append(change_id)
    touched = made.with_only_columns(Revision.subject_type, Revision.subject_id).distinct()
    old = state_at(session, since, touched.subquery())
    new = state_at(session, until, touched.subquery())
    places, wanted = Countries(session), set(countries)
    if wanted:
        places.load_parents(d for (t, _), d in [*old.items(), *new.items()]
                            if t == Citation.__tablename__)
    # Classify every row first; describe only the rows listed.
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for subject, change_ids in by_subject.items():
        before, after = old.get(subject), new.get(subject)
        if before == after:  # created and deleted, or changed and changed back, in between
            continue
        if wanted and not wanted & (places.of(subject[0], before)
                                    | places.of(subject[0], after)):
            continue
        action = "added" if before is None else "removed" if after is None else "changed"
        found[subject[0]][action].append((subject, before, after, change_ids))
    by_id = {change.id: change for change in changes}
    kept = {i for actions in found.values() for rows in actions.values()
            for *_, change_ids in rows for i in change_ids}

    def described(subject, before, after, change_ids) -> RowChange:
        action = "added" if before is None else "removed" if after is None else "changed"
        return RowChange(subject[0], subject[1], action, title(subject[0], after or before),
                         href(*subject, after or before, start if after is None else end),
                         fields(subject[0], before, after, ranges_only=action != "changed"),
                         [by_id[i] for i in dict.fromkeys(change_ids)])

    def listing(rows: list) -> list[RowChange]:
        # By name; a list too long to show whole is cut in id order, so that only the
        # rows shown are described.
        if len(rows) > listed:
            return [described(*row) for row in sorted(rows, key=lambda r: r[0])[:listed]]
        return sorted((described(*row) for row in rows), key=lambda r: r.title.lower())

    order = [KINDS[slug].subject_type for slug in NAV]
    groups = [
        Group(BY_TYPE[t].plural if t in BY_TYPE else "Citations",
              {a: listing(found[t][a]) for a in ACTIONS if found[t][a]},
              {a: len(found[t][a]) for a in ACTIONS if found[t][a]})
        for t in sorted(found, key=lambda t: order.index(t) if t in order else len(order))
    ]
    sizes = dict(session.execute(
        select(Revision.change_id, func.count()).where(Revision.change_id.in_(kept))
        .group_by(Revision.change_id)).all()) if kept else {}
    return Comparison(start, end, groups, [c for c in changes if c.id in kept], sizes)


# --- The feed ---


@dataclass
class Entry:
    change: Change
    lines: list[str]
    more: int  # rows changed beyond those listed
    day: date


def _line(revision: Any) -> str:
    verb = {"create": "added", "update": "changed", "delete": "removed"}[revision.action]
    data = revision.after or revision.before or {}
    name = title(revision.subject_type, data)
    text = f"{noun(revision.subject_type).capitalize()} “{name}” {verb}"
    changed = fields(revision.subject_type, revision.before, revision.after,
                     ranges_only=revision.action != "update")
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
        for change in found:
            if change.id in rows:
                shown, count = rows[change.id]
                out.append(Entry(change, [_line(r) for r in shown], count - len(shown),
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


def first_change_at():
    """When the history begins."""
    return select(func.min(Change.at))
