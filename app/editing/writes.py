"""Writing plan data: create, update, delete and cite, for every kind of row.

The HTML forms, the write API and imports all go through these functions, so the rules
(every fact cites a source, no update over a newer version, no delete of a row others
still refer to) hold whichever way a change arrives. History is recorded by the session
listeners in `app.history.record`; these functions only say who acts and why.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.editing.forms import Form, changed_figures
from app.evidence import claims, quotes
from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import Base, Citation, Source
from app.plan.records import Revision
from app.plan.vocab import Credibility, Rank


class Conflict(Exception):
    """The row changed since the editor loaded it: their save would overwrite that unseen."""

    def __init__(self, row: Any):
        super().__init__(f"changed since version {getattr(row, 'version', '?')}")
        self.row = row


class InUse(Exception):
    """Other rows still refer to this one; deleting it would leave them dangling."""

    def __init__(self, users: list[tuple[str, int]]):
        self.users = users
        super().__init__("still referred to by " + ", ".join(f"{n} {what}" for what, n in users))


@dataclass(frozen=True)
class Citing:
    source_id: int
    quote: str | None = None


def new_key(kind: Kind) -> str:
    # Seed rows have readable keys; rows made here get unique ones the seed never uses.
    return f"{kind.subject_type}-{uuid.uuid4().hex[:12]}"


def _attribute(session: Session, actor: record.Actor, action: str,
               summary: str | None = None) -> bool:
    """Name this write's change, unless it is part of a larger one already named."""
    if record.attributed(session):
        return False
    record.attribute(session, actor, action, summary)
    return True


def _summary(verb: str, kind: Kind, row: Any) -> str:
    return f"{verb} {kind.singular} “{kind.title(row)}”"[:300]


def _assign(session: Session, form: Form, row: Any, data: dict[str, Any]) -> None:
    for f in form.fields:
        if f.name not in data or not hasattr(type(row), f.name):
            continue
        value = data[f.name]
        if f.many:
            model = KINDS[f.ref].model
            value = list(session.scalars(select(model).where(model.id.in_(value or []))))
        setattr(row, f.name, value)
    if isinstance(row, Source):
        # The fingerprint of the text as held, so a later change at the URL can be told.
        row.sha256 = quotes.fingerprint(row.text)


def create(session: Session, form: Form, data: dict[str, Any], actor: record.Actor) -> Any:
    kind = form.kind
    row = kind.model(key=new_key(kind))
    _assign(session, form, row, data)
    if kind.cited and data.get("source_id") and (figures := claims.fields_of(kind.model)):
        row.claim_count = len(figures)  # so settling the claims below leaves it as saved
    own = _attribute(session, actor, "create")
    session.add(row)
    session.flush()
    if own:
        record.describe(session, _summary("Added", kind, row))
    if kind.cited and data.get("source_id"):
        citing = Citing(data["source_id"], data.get("quote"))
        if figures := claims.fields_of(kind.model):
            # The source of a new row is the first claim about each of its figures.
            made = [claim(session, kind, row, name, citing) for name in figures]
            claims.settle(session, row, made)
            session.flush()
        else:
            cite(session, kind, row, citing)
    return row


def update(session: Session, form: Form, row: Any, data: dict[str, Any], version: int,
           actor: record.Actor) -> Any:
    """Save `data` over `row`, provided nobody saved it since `version` was loaded. A changed
    figure becomes the preferred claim of the source cited for it (`app.evidence.claims`)."""
    kind = form.kind
    if row.version != version:
        raise Conflict(row)
    _attribute(session, actor, "update", _summary("Edited", kind, row))
    changed = changed_figures(session, kind, data, row.id)
    if data.get("reason"):
        record.give_reason(session, data["reason"])
    with session.no_autoflush:
        _assign(session, form, row, data)
        if data.get("source_id") and changed:
            # The row and its new claims are written in one flush: one new version.
            citing = Citing(data["source_id"], data.get("quote"))
            made = [claim(session, kind, row, name, citing, Rank.PREFERRED) for name in changed]
            claims.settle(session, row, made)
    try:
        session.flush()
    except StaleDataError:  # saved by someone else between our read and this write
        session.rollback()
        raise Conflict(session.get(kind.model, row.id)) from None
    if data.get("source_id") and not changed and kind.cited:
        cite(session, kind, row, Citing(data["source_id"], data.get("quote")))
    return row


def delete(session: Session, kind: Kind, row: Any, actor: record.Actor) -> None:
    """Delete a row with its citations; refuses while other rows refer to it."""
    if users := references(session, kind, row.id):
        raise InUse(users)
    _attribute(session, actor, "delete", _summary("Deleted", kind, row))
    for citation in session.scalars(select(Citation).where(
            Citation.subject_type == kind.subject_type, Citation.subject_id == row.id)):
        session.delete(citation)
    session.delete(row)
    session.flush()


def cite(session: Session, kind: Kind, row: Any, citing: Citing) -> Citation:
    """Link a row to a source (once per source and quote: citing the same words again
    changes nothing)."""
    citation = Citation(subject_type=kind.subject_type, subject_id=row.id,
                        source_id=citing.source_id, quote=citing.quote or None)
    anchor(session, citation)
    same = session.scalars(select(Citation).where(
        Citation.subject_type == kind.subject_type, Citation.subject_id == row.id,
        Citation.source_id == citing.source_id, Citation.field.is_(None))).all()
    for other in same:
        if other.quote == citation.quote:
            return other
    session.add(citation)
    session.flush()
    return citation


def claim(session: Session, kind: Kind, row: Any, name: str, citing: Citing,
          rank: Rank = Rank.NORMAL) -> Citation:
    """Record what a source says one figure of `row` is: its value as the row now has it.
    A new preferred claim takes the place of the figure's earlier preferred ones."""
    source = session.get(Source, citing.source_id)
    citation = Citation(subject_type=kind.subject_type, subject_id=row.id,
                        source_id=citing.source_id, quote=citing.quote or None, field=name,
                        claimed_on=source.published_on if source and source.published_on
                        else date.today(), rank=rank, credibility=Credibility.CANNOT_JUDGE)
    if name == claims.STAGE:
        citation.stage = row.stage
    else:
        citation.low, citation.high, citation.best = (
            getattr(row, f"{name}_{part}") for part in claims.PARTS)
    if rank == Rank.PREFERRED:
        demote(session, kind, row, name)
    anchor(session, citation)
    session.add(citation)
    return citation


def demote(session: Session, kind: Kind, row: Any, name: str, keep: int | None = None) -> None:
    """Make a figure's preferred claims normal ones: only one claim is preferred."""
    with session.no_autoflush:
        found = session.scalars(select(Citation).where(
            Citation.subject_type == kind.subject_type, Citation.subject_id == row.id,
            Citation.field == name, Citation.rank == Rank.PREFERRED)).all()
    for other in found:
        if other.id != keep:
            other.rank = Rank.NORMAL


def anchor(session: Session, citation: Citation) -> None:
    """Keep the quote as its source's text has it, with the words either side."""
    with session.no_autoflush:
        source = session.get(Source, citation.source_id)
    found = quotes.find(source.text if source else None, citation.quote,
                        citation.prefix, citation.suffix)
    if found is not None:
        citation.quote, citation.prefix, citation.suffix = found.exact, found.prefix, found.suffix
    else:
        citation.prefix = citation.suffix = None


def references(session: Session, kind: Kind, row_id: int) -> list[tuple[str, int]]:
    """(what, how many) of the rows that refer to this one, from the schema's foreign keys."""
    table = kind.model.__table__
    out = []
    for other in Base.metadata.sorted_tables:
        if other.name == Revision.__tablename__:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            n = session.scalar(select(func.count()).select_from(other)
                               .where(fk.parent == row_id)) or 0
            if n:
                out.append((_what(other.name), n))
    return out


def _what(table_name: str) -> str:
    names = {"citation": "citations of facts", "deployment_site": "deployments",
             "event_participant": "events", "demand_raiser": "demands"}
    if table_name in names:
        return names[table_name]
    return next(k.plural.lower() for k in KINDS.values() if k.subject_type == table_name)
