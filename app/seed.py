"""Load the readable seed files in `seeds/` into the database, idempotently.

Rows are matched on their `key`: a missing row is created, a changed one updated, an
unchanged one left alone, so seeding twice changes nothing (not even timestamps).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
import yaml
from sqlalchemy import Enum, select
from sqlalchemy.orm import Session

from app.models import (
    Asset,
    Base,
    Citation,
    Country,
    DataStamp,
    Demand,
    Deployment,
    Event,
    ForceLevel,
    Plan,
    Site,
    Source,
    Stakeholder,
    Stance,
    utcnow,
)

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


@dataclass(frozen=True)
class Section:
    name: str
    model: type[Base]
    refs: dict[str, type[Base]] = field(default_factory=dict)  # field -> model, sets <field>_id
    many: dict[str, type[Base]] = field(default_factory=dict)  # field -> model, sets a list


SECTIONS = [
    Section("sources", Source, refs={"cited_in": Source}),
    Section("plans", Plan),
    Section("stakeholders", Stakeholder),
    Section("force_levels", ForceLevel, refs={"plan": Plan, "advocate": Stakeholder}),
    Section("stances", Stance, refs={"plan": Plan, "stakeholder": Stakeholder}),
    Section("demands", Demand, refs={"plan": Plan, "raised_by": Stakeholder}),
    Section("sites", Site),
    Section("deployments", Deployment, refs={"plan": Plan}, many={"sites": Site}),
    Section("assets", Asset, refs={"plan": Plan, "site": Site}),
    Section("events", Event, refs={"plan": Plan}, many={"participants": Stakeholder}),
]
SECTION_NAMES = {section.name for section in SECTIONS}


class SeedError(ValueError):
    pass


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def read_seeds(seeds_dir: Path = SEEDS_DIR) -> dict[str, list[dict[str, Any]]]:
    """All seed files merged by section name, in file-name order."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(seeds_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, rows in data.items():
            if name in SECTION_NAMES:
                for row in rows:
                    row.setdefault("_file", path.name)
                merged.setdefault(name, []).extend(rows)
    return merged


def load(session: Session, seeds_dir: Path = SEEDS_DIR) -> Report:
    report = Report()
    _load_countries(session, seeds_dir, report)
    seeds = read_seeds(seeds_dir)
    by_key: dict[type[Base], dict[str, Any]] = {}
    for section in SECTIONS:
        existing = {row.key: row for row in session.scalars(select(section.model))}
        by_key[section.model] = existing
        for data in seeds.get(section.name, []):
            row = _upsert(session, section, dict(data), existing, by_key, seeds_dir, report)
            existing[row.key] = row
        session.flush()
        for data in seeds.get(section.name, []):
            _cite(session, existing[data["key"]], data.get("cite") or [], by_key, report)
    if report.changed:
        _touch(session)
    session.commit()
    return report


def _load_countries(session: Session, seeds_dir: Path, report: Report) -> None:
    memberships = yaml.safe_load((seeds_dir / "countries.yaml").read_text(encoding="utf-8"))
    nato, eu = set(memberships["nato"]), set(memberships["eu"])
    existing = {c.code: c for c in session.scalars(select(Country))}
    for entry in pycountry.countries:
        values = {
            "name": getattr(entry, "common_name", None) or entry.name,
            "nato": entry.alpha_2 in nato,
            "eu": entry.alpha_2 in eu,
        }
        country = existing.get(entry.alpha_2)
        if country is None:
            session.add(Country(code=entry.alpha_2, **values))
            report.created += 1
        elif _assign(country, values):
            report.updated += 1
    session.flush()


def _upsert(session, section, data, existing, by_key, seeds_dir, report) -> Any:
    key = data.pop("key")
    data.pop("cite", None)
    source_file = data.pop("_file", "?")
    if text_file := data.pop("text_file", None):
        data["text"] = (seeds_dir / text_file).read_text(encoding="utf-8").strip()
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in section.refs:
            target = _ref(by_key, section.refs[name], value, key) if value else None
            values[f"{name}_id"] = target.id if target else None
        elif name in section.many:
            values[name] = [_ref(by_key, section.many[name], v, key) for v in value or []]
        elif name in section.model.__table__.columns:
            values[name] = _coerce(section.model, name, value)
        else:
            raise SeedError(f"{source_file}: {section.name} '{key}' has unknown field '{name}'")
    row = existing.get(key)
    if row is None:
        row = section.model(key=key, **values)
        session.add(row)
        session.flush()  # later rows of the same section may refer to this one by id
        report.created += 1
    elif _assign(row, values):
        report.updated += 1
    else:
        report.unchanged += 1
    return row


def _ref(by_key, model: type[Base], key: str, owner: str) -> Any:
    try:
        return by_key[model][key]
    except KeyError:
        raise SeedError(f"'{owner}' refers to unknown {model.__tablename__} '{key}'") from None


def _coerce(model: type[Base], name: str, value: Any) -> Any:
    column_type = model.__table__.columns[name].type
    if value is not None and isinstance(column_type, Enum) and column_type.enum_class:
        return column_type.enum_class(value)
    return value


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(value, list):
            same = {item.id for item in current} == {item.id for item in value}
        else:
            same = current == value
        if not same:
            setattr(row, name, value)
            changed = True
    return changed


def _cite(session, row, cites, by_key, report) -> None:
    subject = type(row).__tablename__
    current = {
        c.source_id: c
        for c in session.scalars(
            select(Citation).where(Citation.subject_type == subject, Citation.subject_id == row.id)
        )
    }
    # One citation per source and row: several quotes from one source are joined.
    quotes: dict[int, list[str]] = {}
    for cite in cites:
        source = _ref(by_key, Source, cite["source"], row.key)
        quotes.setdefault(source.id, [])
        if cite.get("quote"):
            quotes[source.id].append(cite["quote"])
    for source_id, parts in quotes.items():
        quote = " […] ".join(parts) or None
        citation = current.get(source_id)
        if citation is None:
            session.add(Citation(subject_type=subject, subject_id=row.id, source_id=source_id,
                                 quote=quote))
            report.created += 1
        elif citation.quote != quote:
            citation.quote = quote
            report.updated += 1


def _touch(session: Session) -> None:
    stamp = session.get(DataStamp, 1)
    if stamp is None:
        session.add(DataStamp(id=1, version=1, updated_at=utcnow()))
    else:
        stamp.version += 1
        stamp.updated_at = utcnow()


def is_empty(session: Session) -> bool:
    return session.scalar(select(Plan.id).limit(1)) is None
