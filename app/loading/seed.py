"""Load the readable seed files in `seeds/` into the database, idempotently.

Rows are matched on their `key`: a missing row is created, a row that differs from its
file is brought back to it (a field left out of the file is emptied, a citation left out
is removed), an unchanged one is left alone, so seeding twice changes nothing, not even
timestamps. Rows without a seed key are never touched.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pycountry
import yaml
from sqlalchemy import Enum, select
from sqlalchemy.orm import Session

from app.caching import stamp
from app.evidence import claims, quotes
from app.history import record
from app.loading import corrections
from app.plan.models import (
    Asset,
    Base,
    Citation,
    Country,
    Demand,
    Deployment,
    Event,
    ForceLevel,
    Plan,
    Site,
    Source,
    Stakeholder,
    Stance,
)
from app.plan.vocab import Credibility, Rank

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


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
    Section("demands", Demand, refs={"plan": Plan, "raised_by": Stakeholder},
            many={"also_raised_by": Stakeholder}),
    Section("sites", Site),
    Section("deployments", Deployment, refs={"plan": Plan, "condition_demand": Demand},
            many={"sites": Site}),
    Section("assets", Asset, refs={"plan": Plan, "site": Site, "condition_demand": Demand}),
    Section("events", Event, refs={"plan": Plan}, many={"participants": Stakeholder}),
]
SECTION_NAMES = {section.name for section in SECTIONS}


class SeedError(ValueError):
    pass


@dataclass
class Report:
    """What a load did to every record it read (rows, their citations, the countries):
    each is counted once, as created, updated or unchanged, so a second load reports as
    unchanged what the first created. Corrections applied are counted apart."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    corrected: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.corrected)

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.corrected} corrections applied" if self.corrected else "")


COUNTRIES_FILE = "countries.yaml"


def read_seeds(seeds_dir: Path = SEEDS_DIR) -> dict[str, list[dict[str, Any]]]:
    """All seed files merged by section name, in file-name order."""
    merged: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, str] = {}
    for path in sorted(seeds_dir.glob("*.yaml")):
        if path.name in (COUNTRIES_FILE, corrections.FILE):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, rows in data.items():
            if name not in SECTION_NAMES:
                raise SeedError(f"{path.name}: unknown section '{name}' "
                                f"(expected one of {', '.join(sorted(SECTION_NAMES))})")
            for row in rows:
                if "key" not in row:
                    raise SeedError(f"{path.name}: a row of '{name}' has no key: {row}")
                where = f"{name}/{row['key']}"
                if where in seen:
                    raise SeedError(f"{path.name}: {where} is also defined in {seen[where]}")
                seen[where] = path.name
                row["_file"] = path.name
            merged.setdefault(name, []).extend(rows)
    return merged


def load(session: Session, seeds_dir: Path = SEEDS_DIR) -> Report:
    report = Report()
    seeds = read_seeds(seeds_dir)
    fixes = corrections.read(seeds_dir)
    at = _newest_source_time(seeds) if is_empty(session) else None
    record.attribute(session, SEED, "seed", f"Loaded from {seeds_dir.name}/", at=at)
    load_countries(session, seeds_dir, report)
    by_key: dict[type[Base], dict[str, Any]] = {}
    later = corrections.added(fixes)
    for section in SECTIONS:
        existing = {row.key: row for row in session.scalars(select(section.model))}
        by_key[section.model] = existing
        # Rows a correction adds are added by it, with its reason, unless already there.
        rows = [data for data in seeds.get(section.name, [])
                if data["key"] in existing or (section.name, data["key"]) not in later]
        _load_rows(session, section, rows, by_key, seeds_dir, report, fixes)
    session.flush()
    for fix in fixes:
        _correct(session, fix, seeds, by_key, seeds_dir, report, at)
    session.commit()  # the stamp listener bumps the data version once per flush that changed rows
    return report


SEED = record.Actor("seed")


def _load_rows(session, section, rows, by_key, seeds_dir, report, fixes) -> None:
    existing = by_key[section.model]
    # References within a section (a source cited in another source) are set once
    # every row of the section exists, so the order of rows in a file does not matter.
    own_refs = {name for name, model in section.refs.items() if model is section.model}
    new = {data["key"] for data in rows if data["key"] not in existing}
    for data in rows:
        with _context(section, data):
            fields = {k: v for k, v in data.items() if k not in own_refs}
            earlier = corrections.earlier(fixes, section.name, data["key"])
            existing[data["key"]] = _upsert(session, section, fields, existing, by_key,
                                            seeds_dir, report, earlier)
    session.flush()
    for data in rows:
        with _context(section, data):
            row = existing[data["key"]]
            refs = {f"{n}_id": _ref(by_key, section.model, data[n], row.key).id
                    if data.get(n) else None for n in own_refs}
            if _assign(row, refs) and row.key not in new:
                report.updated += 1
            _cite(session, row, data.get("cite") or [], by_key, report)


def _correct(session, fix, seeds, by_key, seeds_dir, report, at) -> None:
    """Apply one correction, as a change of its own, where it is not applied yet."""
    section = next(s for s in SECTIONS if s.name == fix.section)
    rows = {data["key"]: data for data in seeds.get(fix.section, [])}
    record.attribute(session, SEED, "correct", fix.summary, at=at, reason=fix.reason)
    if fix.field is None:
        todo = [rows[key] for key in fix.keys if key not in by_key[section.model]]
        _load_rows(session, section, todo, by_key, seeds_dir, report, [])
        return
    for key in fix.keys:
        with _context(section, rows[key]):
            row = by_key[section.model][key]
            name, was = _value(section, fix.field, fix.was, key, by_key)
            _, now = _value(section, fix.field, rows[key].get(fix.field), key, by_key)
            if _same(getattr(row, name), was) and _assign(row, {name: now}):
                report.corrected += 1
    session.flush()


def load_countries(session: Session, seeds_dir: Path, report: Report) -> None:
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
        else:
            report.unchanged += 1
    session.flush()


@contextmanager
def _context(section: Section, data: dict[str, Any]) -> Iterator[None]:
    """Name the file and row in any error a bad seed row raises."""
    where = f"{data.get('_file')}: {section.name} '{data.get('key')}'"
    try:
        yield
    except SeedError as error:
        raise SeedError(f"{where}: {error}") from None
    except (KeyError, ValueError, TypeError) as error:
        raise SeedError(f"{where}: {type(error).__name__}: {error}") from error


#: Columns a seed file never sets; every other column left out of a row is emptied.
MANAGED = {"id", "key", "created_at", "updated_at", "version", "disputed"}


def _upsert(session, section, data, existing, by_key, seeds_dir, report,
            earlier: dict[str, Any]) -> Any:
    """Create or update one row from its seed data; a field with a correction still to
    apply keeps (or gets, on a new row) the value it had before the correction."""
    data = dict(data)
    key = data.pop("key")
    cites = data.pop("cite", None) or []
    data.pop("_file", None)
    if text_file := data.pop("text_file", None):
        data["text"] = (seeds_dir / text_file).read_text(encoding="utf-8").strip()
    if section.model is Source:
        data["sha256"] = quotes.fingerprint(data.get("text"))
    values: dict[str, Any] = {
        column.name: column.default.arg if column.default is not None else None
        for column in section.model.__table__.columns
        if column.name not in MANAGED and column.name not in _ref_columns(section)
    }
    if claims.fields_of(section.model):
        # Each cite of a row with figures is a claim: counted here, the row is written
        # once rather than again when its claims are settled.
        values["claim_count"] = len(cites)
    row = existing.get(key)
    for name, value in data.items():
        if name in earlier:
            # The value before its correction (which may name a row the correction adds).
            column, was = _value(section, name, earlier[name], key, by_key)
            if row is None or _same(getattr(row, column), was):
                values[column] = was
                continue
        column, resolved = _value(section, name, value, key, by_key)
        values[column] = resolved
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


def _value(section: Section, name: str, value: Any, key: str, by_key) -> tuple[str, Any]:
    """A seed field as (attribute, value): references resolved, vocabulary coerced."""
    if name in section.refs:
        target = _ref(by_key, section.refs[name], value, key) if value else None
        return f"{name}_id", target.id if target else None
    if name in section.many:
        return name, [_ref(by_key, section.many[name], v, key) for v in value or []]
    if name in section.model.__table__.columns:
        return name, _coerce(section.model, name, value)
    raise SeedError(f"unknown field '{name}'")


def _same(current: Any, value: Any) -> bool:
    if isinstance(value, list):
        return {item.id for item in current} == {item.id for item in value}
    return current == value


def _ref_columns(section: Section) -> set[str]:
    # Foreign keys that a seed row names by reference are left alone when it does not.
    return {f"{name}_id" for name in section.refs}


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
        if not _same(getattr(row, name), value):
            setattr(row, name, value)
            changed = True
    return changed


#: What a `cite` entry of a seed row may hold besides `source` and `quote`: a claim.
CLAIM_KEYS = ("field", "low", "high", "best", "stage", "claimed_on", "credibility", "rank",
              "rank_reason")


def _cite(session, row, cites, by_key, report) -> None:
    """Sync a row's citations with its `cite` entries: one citation per source and quote.
    On a row with figures each entry is a claim, by default about its first figure at the
    value the row gives (as the migration made every earlier citation one)."""
    subject = type(row).__tablename__
    current = {
        _cite_key(c): c
        for c in session.scalars(
            select(Citation).where(Citation.subject_type == subject, Citation.subject_id == row.id)
        )
    }
    figures = claims.range_fields(type(row))
    wanted: dict[tuple, dict[str, Any]] = {}
    for cite in cites:
        source = _ref(by_key, Source, cite["source"], row.key)
        unknown = set(cite) - {"source", "quote", *CLAIM_KEYS}
        if unknown:
            raise SeedError(f"unknown field(s) in cite: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {"source_id": source.id, "quote": cite.get("quote"),
                                  "prefix": None, "suffix": None}
        if anchor := quotes.find(source.text, values["quote"]):
            values.update(quote=anchor.exact, prefix=anchor.prefix, suffix=anchor.suffix)
        elif values["quote"] and source.text:
            raise SeedError(f"quote not in the text of source '{source.key}': "
                            f"{values['quote']!r}")
        field = cite.get("field") or (figures[0] if figures else None)
        if field is not None:
            values.update(_claim_values(row, field, cite, source))
        wanted[(source.id, values["quote"], values.get("field"))] = values
    for key, citation in current.items():
        if key not in wanted:
            session.delete(citation)
            report.updated += 1
    for key, values in wanted.items():
        citation = current.get(key)
        if citation is None:
            session.add(Citation(subject_type=subject, subject_id=row.id,
                                 **{k: _coerce(Citation, k, v) for k, v in values.items()}))
            report.created += 1
        elif _assign(citation, {k: _coerce(Citation, k, v) for k, v in values.items()}):
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    if figures:
        claims.settle(session, row)


def _cite_key(citation: Citation) -> tuple:
    return citation.source_id, citation.quote, citation.field


def _claim_values(row: Any, field: str, cite: dict[str, Any], source: Source) -> dict:
    values = {"field": field, "stage": cite.get("stage"),
              "claimed_on": cite.get("claimed_on", source.published_on),
              "credibility": str(cite.get("credibility", Credibility.CANNOT_JUDGE.value)),
              "rank": cite.get("rank", Rank.NORMAL.value), "rank_reason": cite.get("rank_reason")}
    for part in claims.PARTS:
        values[part] = cite[part] if part in cite else (
            getattr(row, f"{field}_{part}") if field != claims.STAGE else None)
    return values


def touch(session: Session) -> None:
    """Bump the data version by hand. Writes through a session bump it on their own
    (`app.caching.stamp`); this is for changes made outside the ORM, such as raw SQL."""
    stamp.bump(session)


def _newest_source_time(seeds: dict[str, list[dict[str, Any]]]) -> datetime | None:
    """The first load puts the plan into history as of its newest source: the seeded plan
    is what the reporting said then, not what was known on the day it was loaded."""
    dates = [row["published_on"] for row in seeds.get("sources", []) if row.get("published_on")]
    if not dates:
        return None
    return datetime.combine(max(dates), time(), tzinfo=UTC)


def is_empty(session: Session) -> bool:
    return session.scalar(select(Plan.id).limit(1)) is None
