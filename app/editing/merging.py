"""Saving over a newer version merges, it never reverts.

Three states of the row meet, field by field: the one the editor opened (the base, read
back from the history by its version), the row as it now stands (theirs) and what the
editor sends (mine). A field only I changed takes mine; one only they changed keeps
theirs; both changed alike is no conflict; both changed differently is a true conflict,
which the editor settles. A figure's parts (low, high, best) are one value: a range made
of one editor's low and the other's high would match neither source. Links to other rows
(a deployment's sites, an event's participants) merge as sets, each linked row in or out:
what I added or removed is applied to theirs, so two editors never contradict each other
about one link.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.editing.forms import Form, FormField
from app.evidence import claims
from app.history import describe, record
from app.plan.kinds import KINDS, Kind
from app.plan.quantities import format_range
from app.plan.records import Change, Revision

#: Fields of an edit that belong to the save, not to the row: the evidence for a figure.
EVIDENCE = ("source_id", "quote", "reason")


@dataclass(frozen=True)
class Unit:
    """What merges as one value: a field, or a figure's parts."""

    key: str
    label: str
    names: tuple[str, ...]
    many: bool = False


@dataclass
class Clash:
    """A true conflict: both changed the unit, to different values."""

    unit: Unit
    base: dict[str, Any]
    theirs: dict[str, Any]
    mine: dict[str, Any]
    theirs_text: str = ""
    mine_text: str = ""


@dataclass
class Kept:
    """A change of theirs the save keeps, and who made it when."""

    unit: Unit
    text: str
    actor: str | None = None
    at: datetime | None = None
    change_id: int | None = None


@dataclass
class Merge:
    base_known: bool
    theirs: set[str] = field(default_factory=set)  # fields whose current value stays
    links: dict[str, list[int]] = field(default_factory=dict)  # link fields merged as sets
    clashes: list[Clash] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    def message(self) -> str:
        """The changes of theirs a save kept, said to the editor."""
        return "Kept what was saved since you opened the form: " + "; ".join(
            f"{k.unit.label}: {k.text}" + (f" ({k.actor}, {k.at:%-d %b %Y, %H:%M} UTC)"
                                            if k.actor and k.at else "")
            for k in self.kept) + "."


def units(form: Form) -> list[Unit]:
    model = form.kind.model
    by_name = {f.name: f for f in form.fields}
    figures = {f"{name}_{part}": name for name in claims.fields_of(model)
               if name != claims.STAGE for part in claims.PARTS}
    out: list[Unit] = []
    seen: set[str] = set()
    for f in form.fields:
        if f.name in seen or f.name in EVIDENCE or not hasattr(model, f.name):
            continue
        if f.name in figures:
            figure = figures[f.name]
            names = tuple(n for n, fig in figures.items() if fig == figure and n in by_name)
            out.append(Unit(figure, f.label.split(" (")[0], names))
        else:
            names = (f.name,)
            out.append(Unit(f.name, f.label, names, f.many))
        seen.update(names)
    return out


def canon(f: FormField, value: Any) -> Any:
    """One value, however it arrived (typed, parsed, recorded), in one comparable shape."""
    if value is None or value == "":
        return None
    if f.many:
        return tuple(sorted(int(getattr(v, "id", v)) for v in value))
    match f.widget:
        case "integer" | "ref":
            return int(value)
        case "decimal":
            return float(value)
        case "checkbox":
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on")
        case "date":
            return value.isoformat() if isinstance(value, date) else str(value)[:10]
        case "datetime":
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
        case "text" | "textarea":
            # Browsers send a textarea's line breaks as CR LF whatever it was given.
            return str(value).replace("\r\n", "\n")
    return value.value if isinstance(value, Enum) else str(value)


def recorded(value: Any) -> Any:
    """A parsed value as the history records it."""
    if isinstance(value, list):
        return sorted(int(getattr(v, "id", v)) for v in value)
    return record._json(value)


def base_of(session: Session, kind: Kind, row: Any, version: int) -> dict[str, Any] | None:
    """The row's recorded state at `version`, or None when the history does not know it."""
    if row.version == version:
        return record.snapshot(row)
    return session.scalars(
        select(Revision.after).where(
            Revision.subject_type == kind.subject_type, Revision.subject_id == row.id,
            Revision.version == version, Revision.after.is_not(None))
        .order_by(Revision.id.desc()).limit(1)).first()


def merge(session: Session, form: Form, row: Any, mine: dict[str, Any], version: int,
          meant: set[str] | None = None) -> Merge:
    """Merge `mine` (every field's value as sent, parsed) over `row`, from `version`.
    Fields in `meant` were sent on purpose (a PATCH): one they changed meanwhile is a
    conflict even where mine is the base's value, unless it is theirs too."""
    base = base_of(session, form.kind, row, version)
    theirs = record.snapshot(row)
    fields = {f.name: f for f in form.fields}
    out = Merge(base_known=base is not None)
    changed: list[Unit] = []
    for unit in units(form):
        if not all(n in mine for n in unit.names):
            continue
        t = tuple(canon(fields[n], theirs.get(n)) for n in unit.names)
        m = tuple(canon(fields[n], mine[n]) for n in unit.names)
        b = None if base is None else tuple(canon(fields[n], base.get(n)) for n in unit.names)
        if m == t:
            continue
        if b is not None and m == b and not (meant and meant & set(unit.names) and t != b):
            out.theirs.update(unit.names)
            if t != b:
                changed.append(unit)
        elif b is not None and t == b:
            continue
        elif b is not None and unit.many:
            (name,), (had,), (now,), (want,) = unit.names, b, t, m
            out.links[name] = sorted((set(now) | (set(want) - set(had)))
                                     - (set(had) - set(want)))
            changed.append(unit)
        else:
            out.clashes.append(Clash(
                unit, {n: (base or {}).get(n) for n in unit.names},
                {n: theirs.get(n) for n in unit.names},
                {n: recorded(mine[n]) for n in unit.names}))
    _describe(session, form, row, version, base or {}, theirs, out, changed)
    return out


def _describe(session: Session, form: Form, row: Any, version: int, base: dict[str, Any],
              theirs: dict[str, Any], out: Merge, changed: list[Unit]) -> None:
    """The words for the clashes and the kept changes, with who made the latter when."""
    states = [base, theirs, *(c.mine for c in out.clashes)]
    names = _names(session, form.kind, [u for u in units(form) if u.many or
                                        form.field(u.names[0]).widget == "ref"], states)
    for clash in out.clashes:
        clash.theirs_text = text(form.kind, clash.unit, clash.theirs, names)
        clash.mine_text = text(form.kind, clash.unit, clash.mine, names)
    who = _who(session, form, row.id, version)
    for unit in changed:
        if unit.many:
            had, now = set(base.get(unit.key) or ()), set(theirs.get(unit.key) or ())
            ref = KINDS[form.field(unit.key).ref].slug
            parts = [f"{verb} {', '.join(names.get((ref, i), f'#{i}') for i in sorted(ids))}"
                     for verb, ids in (("added", now - had), ("removed", had - now)) if ids]
            shown = " and ".join(parts) + ", alongside yours"
        else:
            shown = text(form.kind, unit, theirs, names)
        change = who.get(unit.key)
        out.kept.append(Kept(unit, shown, *(change or (None, None, None))))


def text(kind: Kind, unit: Unit, data: dict[str, Any], names: describe.Names) -> str:
    """A unit's value in a recorded state, as the tables show it."""
    if unit.names != (unit.key,):
        parts = {n.rsplit("_", 1)[1]: data.get(n) for n in unit.names}
        shown = format_range(parts.get("low"), parts.get("high"))
        return shown + (f" (best estimate {parts['best']:,})" if parts.get("best") is not None
                        else "")
    found = describe.fields(kind.subject_type, {}, {unit.key: data.get(unit.key)},
                            row_names=names)
    return found[0].after if found else "empty"


def _names(session: Session, kind: Kind, refs: list[Unit],
           states: list[dict[str, Any]]) -> describe.Names:
    wanted: dict[str, set[int]] = defaultdict(set)
    for unit in refs:
        target = describe.referred_kind(kind.model, unit.key)
        if target is None:
            continue
        for state in states:
            value = state.get(unit.key)
            if value:
                wanted[target.slug].update(value if isinstance(value, list) else [value])
    out: describe.Names = {}
    for slug, ids in wanted.items():
        model = KINDS[slug].model
        rows = session.scalars(select(model).where(model.id.in_(ids))
                               .options(*KINDS[slug].options))
        out.update({(slug, r.id): KINDS[slug].title(r) for r in rows})
    return out


def _who(session: Session, form: Form, row_id: int,
         version: int) -> dict[str, tuple[str, datetime, int]]:
    """For each unit changed since `version`: who changed it last, when, in which change."""
    kind = form.kind
    unit_of = {name: unit.key for unit in units(form) for name in unit.names}
    found = session.execute(
        select(Revision.before, Revision.after, Change.actor, Change.at, Change.id)
        .join(Change, Change.id == Revision.change_id)
        .where(Revision.subject_type == kind.subject_type, Revision.subject_id == row_id,
               Revision.version > version)
        .order_by(Revision.id)).all()
    out: dict[str, tuple[str, datetime, int]] = {}
    for before, after, actor, at, change_id in found:
        for name in set(before or {}) | set(after or {}):
            if (before or {}).get(name) != (after or {}).get(name):
                at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite's are naive
                out[unit_of.get(name, name)] = (actor, at, change_id)
    return out


def form_value(f: FormField, value: Any) -> Any:
    """A recorded value as the form shows it (as `forms.values_of` shows a saved one)."""
    if f.many:
        return [str(v) for v in value or []]
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def choose(session: Session, form: Form, row: Any, raw: dict[str, Any], version: int,
           theirs: list[str]) -> dict[str, Any]:
    """The form's values with the units the editor chose to take from `version` (the one
    the conflict was shown against) set to that version's values."""
    if not theirs:
        return raw
    state = base_of(session, form.kind, row, version)
    if state is None:
        return raw
    out = dict(raw)
    for unit in units(form):
        if unit.key in theirs:
            out.update({n: form_value(form.field(n), state.get(n)) for n in unit.names})
    return out
