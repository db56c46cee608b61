"""Writing plan data: create, update, delete and cite, for every kind of row.

The HTML forms, the write API and imports all go through these functions, so the rules
(every fact cites a source, no update over a newer version, no delete of a row others
still refer to) hold whichever way a change arrives. History is recorded by the session
listeners in `app.history.record`; these functions only say who acts and why.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.editing.forms import Form
from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import Base, Citation, Revision


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


def create(session: Session, form: Form, data: dict[str, Any], actor: record.Actor) -> Any:
    kind = form.kind
    row = kind.model(key=new_key(kind))
    _assign(session, form, row, data)
    own = _attribute(session, actor, "create")
    session.add(row)
    session.flush()
    if own:
        record.describe(session, _summary("Added", kind, row))
    if kind.cited and data.get("source_id"):
        cite(session, kind, row, Citing(data["source_id"], data.get("quote")))
    return row


def update(session: Session, form: Form, row: Any, data: dict[str, Any], version: int,
           actor: record.Actor) -> Any:
    """Save `data` over `row`, provided nobody saved it since `version` was loaded."""
    kind = form.kind
    if row.version != version:
        raise Conflict(row)
    _attribute(session, actor, "update", _summary("Edited", kind, row))
    _assign(session, form, row, data)
    try:
        session.flush()
    except StaleDataError:  # saved by someone else between our read and this write
        session.rollback()
        raise Conflict(session.get(kind.model, row.id)) from None
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
    """Link a row to a source (once per source: citing it again replaces the quote)."""
    citation = session.scalars(select(Citation).where(
        Citation.subject_type == kind.subject_type, Citation.subject_id == row.id,
        Citation.source_id == citing.source_id)).first()
    if citation is None:
        citation = Citation(subject_type=kind.subject_type, subject_id=row.id,
                            source_id=citing.source_id)
        session.add(citation)
    citation.quote = citing.quote or None
    session.flush()
    return citation


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
             "event_participant": "events"}
    if table_name in names:
        return names[table_name]
    return next(k.plural.lower() for k in KINDS.values() if k.subject_type == table_name)
