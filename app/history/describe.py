"""Describing recorded rows in the words and formats of the tables: a row's name, the
fields that differ between two of its states, the countries it involves. Shared by the
compare view (`compare`) and the feed (`feed`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import Date
from sqlalchemy.sql.sqltypes import Enum as EnumType

from app.evidence import claims
from app.history import record
from app.history.asof import FOREVER, Subject, state_at
from app.plan.kinds import KINDS, Kind
from app.plan.models import Citation, Stakeholder
from app.plan.quantities import format_date, format_range
from app.plan.records import Revision
from app.plan.vocab import country_name

#: Kinds by the subject type their revisions carry.
BY_TYPE: dict[str, Kind] = {kind.subject_type: kind for kind in KINDS.values()}
LONG_TEXT = 160

# --- Describing one row's state ---


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def title(subject_type: str, data: dict[str, Any], names: "Names | None" = None) -> str:
    """A short name for a row from its recorded fields: its kind's own title where that
    needs no other row, else its first naming field. A citation is named by its source
    and the row it belongs to, from `names` (see `names_of`)."""
    if subject_type == Citation.__tablename__:
        return f"“{cited_source(data, names)}” cited for {cited_row(data, names)}"
    kind = BY_TYPE.get(subject_type)
    if kind is not None:
        columns = kind.model.__table__.columns
        try:
            row = kind.model(**record.restore_values(
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


#: Names of rows a field refers to, by (kind slug, id), where the reader has them.
Names = dict[tuple[str, int], str]


def names_of(session: Session, states: Iterable[tuple[str, dict | None]]) -> Names:
    """Titles of every row some recorded states name (the rows their references point to;
    a citation's source and the row it belongs to), one query per kind."""
    wanted: dict[str, set[int]] = {}
    for subject_type, data in states:
        if not data:
            continue
        if subject_type == Citation.__tablename__:
            wanted.setdefault("sources", set()).add(data.get("source_id"))
            owner = BY_TYPE.get(str(data.get("subject_type")))
            if owner is not None:
                wanted.setdefault(owner.slug, set()).add(data.get("subject_id"))
            continue
        model = record.TRACKED.get(subject_type)
        for key, value in data.items():
            target = referred_kind(model, key)
            if target is not None and value:
                wanted.setdefault(target.slug, set()).update(
                    value if isinstance(value, list) else [value])
    names: Names = {}
    for slug, ids in wanted.items():
        kind = KINDS[slug]
        rows = session.scalars(select(kind.model).where(kind.model.id.in_(ids))
                               .options(*kind.options))
        # A source is named the way a citation names it everywhere: outlet and date.
        name = _cited if slug == "sources" else kind.title
        names.update({(slug, row.id): _short(name(row)) for row in rows})
        # A row deleted since is named from the last state the history holds of it.
        gone = ids - {row_id for (s, row_id) in names if s == slug}
        if gone and slug != "sources":
            last = session.execute(
                select(Revision.subject_id, Revision.before)
                .where(Revision.subject_type == kind.subject_type, Revision.action == "delete",
                       Revision.subject_id.in_(gone)))
            names.update({(slug, row_id): f"{title(kind.subject_type, before)} (deleted)"
                          for row_id, before in last if before})
    return names


def _cited(source: Any) -> str:
    when = format_date(source.published_on) if source.published_on else "undated"
    return f"{source.outlet}, {when}"


def cited_source(data: dict, names: Names | None) -> str:
    return (names or {}).get(("sources", data.get("source_id")), "a source since deleted")


def cited_row(data: dict, names: Names | None) -> str:
    """The row a citation belongs to: its kind and name, as the reader knows it."""
    owner = BY_TYPE.get(str(data.get("subject_type")))
    if owner is None:
        return "a row"
    name = (names or {}).get((owner.slug, data.get("subject_id")))
    return f"{owner.a_singular} since deleted" if name is None else f"{owner.singular} “{name}”"


def referred_kind(model: Any, name: str) -> Kind | None:
    """The kind a reference field (a foreign key, or a list of links) points to."""
    if model is None:
        return None
    if name in record.COLLECTIONS.get(model, ()):
        return BY_TYPE.get(getattr(model, name).property.mapper.class_.__tablename__)
    column = model.__table__.columns.get(name)
    fk = next(iter(column.foreign_keys), None) if column is not None else None
    return BY_TYPE.get(fk.column.table.name) if fk is not None else None


def _show(model: Any, name: str, value: Any, names: Names | None = None) -> str:
    if value is None or value == []:
        return "—"
    column = model.__table__.columns.get(name) if model is not None else None
    target = referred_kind(model, name) if names is not None else None
    if target is not None:
        return ", ".join(names.get((target.slug, v), f"{target.singular} {v} (deleted)")
                         for v in (value if isinstance(value, list) else [value]))
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
           ranges_only: bool = False, row_names: Names | None = None) -> list[FieldChange]:
    """The fields that differ between two states of a row; a figure's low and high show
    as one range, the way the tables show it. `ranges_only`: only the figures. With
    `row_names`, references show the rows' names instead of their ids."""
    model = record.TRACKED.get(subject_type)
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
                                   _show(model, name, before.get(name), row_names),
                                   _show(model, name, after.get(name), row_names)))
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
    people += [key for key in record.COLLECTIONS.get(kind.model, ())
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


#: The parts of a citation (or claim) a change shows, with their labels.
CLAIM_PARTS = (("quote", "Quote"), ("low", "At least"), ("high", "At most"),
               ("best", "Best estimate"), ("stage", "Stage"), ("credibility", "Credibility"),
               ("rank", "Rank"), ("rank_reason", "Why deprecated"), ("claimed_on", "Claimed on"))


def claim_part(data: dict | None, key: str) -> str:
    value = (data or {}).get(key)
    return "—" if value in (None, "") else str(value)


def claimed(data: dict) -> str:
    """What a claim says, from its recorded fields."""
    return claims.say(*(data.get(k) for k in ("field", "low", "high", "best", "stage")))
