"""History: every change to plan data becomes a `Change` holding one `Revision` per row
touched, with the row's state before and after.

Recording happens in session events, so every writer (the seed loader, forms, the API,
imports, reverts) is recorded without having to remember to. A writer only says who is
acting and why, with `attribute()`; everything flushed until the next commit is one change.
Undoing a change is `app.history.revert`.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Date, DateTime, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import Enum as EnumType

from app.plan.models import (
    Asset,
    Base,
    Citation,
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
from app.plan.records import Change, Revision

#: The models whose rows are plan data, by the subject type their revisions carry.
TRACKED: dict[str, type[Base]] = {
    model.__tablename__: model
    for model in (Plan, ForceLevel, Stakeholder, Stance, Demand, Site, Deployment, Asset,
                  Event, Source, Citation)
}
#: Columns that change by themselves, not by anybody's edit.
UNRECORDED = {"created_at", "updated_at", "version"}
#: Links to other rows held in association tables, recorded as lists of ids.
COLLECTIONS: dict[type[Base], tuple[str, ...]] = {
    Deployment: ("sites",), Event: ("participants",), Demand: ("also_raised_by",)}

_INFO = "history"


@dataclass
class Actor:
    name: str
    user_id: int | None = None


SYSTEM = Actor("system")


def attribute(session: Session, actor: Actor, action: str, summary: str | None = None,
              reverts_id: int | None = None, at: datetime | None = None,
              reason: str | None = None) -> None:
    """Say who makes the next change in `session`, and what it is, until it commits.

    `at` dates the change in the plan's history when that is not the time of recording;
    `reason` is why, in the editor's words.
    """
    session.info[_INFO] = {"actor": actor, "action": action, "summary": summary,
                           "reverts_id": reverts_id, "at": at, "reason": reason,
                           "change_id": None, "pending": [], "written": {},
                           "explicit": actor is not SYSTEM}


def change_id(session: Session) -> int | None:
    """The id of the change under way, once its first row is flushed."""
    return session.info.get(_INFO, {}).get("change_id")


def attributed(session: Session) -> bool:
    """Whether a writer has already said who makes the change under way (an import that
    adds many rows is one change, not one per row)."""
    return session.info.get(_INFO, {}).get("explicit", False)


def give_reason(session: Session, reason: str | None) -> None:
    """Record why the change under way is made."""
    state = _state(session)
    state["reason"] = reason
    if state["change_id"] is not None:
        session.execute(update(Change).where(Change.id == state["change_id"])
                        .values(reason=reason))


def describe(session: Session, summary: str) -> None:
    """Set the summary of the change under way (for one only known once rows are saved)."""
    state = _state(session)
    state["summary"] = summary[:300]
    if state["change_id"] is not None:
        session.execute(update(Change).where(Change.id == state["change_id"])
                        .values(summary=state["summary"]))


def _state(session: Session) -> dict[str, Any]:
    if _INFO not in session.info:
        attribute(session, SYSTEM, "edit")
    return session.info[_INFO]


# --- Snapshots ---


def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _columns(model: type[Base]) -> list[str]:
    return [c.key for c in model.__table__.columns if c.key not in UNRECORDED]


def snapshot(row: Base, committed: bool = False) -> dict[str, Any]:
    """The row's recorded fields as JSON values; `committed`: as last loaded or saved."""
    state = inspect(row)
    out: dict[str, Any] = {}
    for key in _columns(type(row)):
        value = getattr(row, key)
        if committed:
            history = state.attrs[key].history
            if history.deleted:
                value = history.deleted[0]
            elif history.added:  # set on a row that was never loaded with a value
                value = None
        out[key] = _json(value)
    for key in COLLECTIONS.get(type(row), ()):
        items = getattr(row, key)
        if committed:
            history = state.attrs[key].history
            items = [*history.unchanged, *history.deleted] if history.has_changes() else items
        out[key] = sorted(item.id for item in items)
    return out


def restore_values(model: type[Base], data: dict[str, Any], session: Session) -> dict[str, Any]:
    """Model attribute values from a snapshot: the inverse of `snapshot`."""
    table = model.__table__
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in table.columns and key not in COLLECTIONS.get(model, ()):
            continue  # a column since dropped: its value has nowhere to go
        if key in COLLECTIONS.get(model, ()):
            target = getattr(model, key).property.mapper.class_
            out[key] = list(session.scalars(select(target).where(target.id.in_(value)))) \
                if value else []
            continue
        column_type = table.columns[key].type
        if value is not None:
            if isinstance(column_type, EnumType) and column_type.enum_class:
                value = column_type.enum_class(value)
            elif isinstance(column_type, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(column_type, Date):
                value = date.fromisoformat(value)
        out[key] = value
    return out


# --- Recording ---


def _parent(row: Base, data: dict[str, Any]) -> tuple[str | None, int | None]:
    if isinstance(row, Citation):
        return data.get("subject_type"), data.get("subject_id")
    return None, None


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    tracked = tuple(TRACKED.values())
    pending = _state(session)["pending"]
    with session.no_autoflush:
        for row in session.new:
            if isinstance(row, tracked):
                pending.append(("create", row, None))
        for row in session.dirty:
            if isinstance(row, tracked) and session.is_modified(row):
                pending.append(("update", row, snapshot(row, committed=True)))
                _count_links(row)
        for row in session.deleted:
            if isinstance(row, tracked):
                pending.append(("delete", row, snapshot(row, committed=True)))


def _count_links(row: Base) -> None:
    """A change of links alone (a deployment's sites) writes no column, so the version
    would not move: touch the row so that it does. Each recorded state then has a
    version of its own, and a save based on the old links is seen to be stale."""
    state = inspect(row)
    if any(state.attrs[key].history.has_changes() for key in COLLECTIONS.get(type(row), ())):
        row.updated_at = utcnow()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    state = _state(session)
    pending, state["pending"] = state["pending"], []
    connection = session.connection()
    for action, row, before in pending:
        after = None if action == "delete" else snapshot(row)
        subject = (type(row).__tablename__, row.id)
        # One revision per row and change: a row created then updated within a change
        # (the seed sets references in a second pass) shows as created.
        earlier = state["written"].get(subject)
        if earlier is not None:
            revision_id, first_action, before = earlier
            action = _combined(first_action, action)
            connection.execute(delete(Revision).where(Revision.id == revision_id))
            del state["written"][subject]
        if before == after:
            continue
        parent_type, parent_id = _parent(row, after or before or {})
        state["written"][subject] = (connection.execute(
            insert(Revision).values(
                change_id=_change_id(state, connection, subject, action),
                subject_type=subject[0], subject_id=subject[1],
                parent_type=parent_type, parent_id=parent_id,
                action=action, before=before, after=after,
                version=None if action == "delete" else getattr(row, "version", None),
            ).returning(Revision.id)
        ).scalar_one(), action, before)


def _combined(first: str, then: str) -> str:
    if first == "create":
        return "create"
    if then == "delete":
        return "delete"
    return "update"


def _change_id(state: dict[str, Any], connection, subject: tuple[str, int], action: str) -> int:
    if state["change_id"] is None:
        actor: Actor = state["actor"]
        noun = subject[0].replace("_", " ")
        now = utcnow()
        summary = state["summary"] or f"{action.capitalize()} {noun} {subject[1]}"
        state["change_id"] = connection.execute(
            insert(Change).values(
                at=state["at"] or now, recorded_at=now, user_id=actor.user_id,
                actor=actor.name, action=state["action"], summary=summary[:300],
                reverts_id=state["reverts_id"], reason=state.get("reason"),
            ).returning(Change.id)
        ).scalar_one()
    return state["change_id"]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO, None)


def created(change_id: int, model: type[Base], values: Any, version: int | None = None,
            links: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The revision that records a row created with `values` (its columns, by name) and
    `links` (the ids of each list of rows it links to), as the listeners would: for rows
    inserted past the ORM, which the listeners do not see."""
    after = {key: _json(values[key]) for key in _columns(model)}
    for key in COLLECTIONS.get(model, ()):
        after[key] = sorted((links or {}).get(key, ()))
    parent_type, parent_id = ((after["subject_type"], after["subject_id"])
                              if model is Citation else (None, None))
    return {"change_id": change_id, "subject_type": model.__tablename__,
            "subject_id": values["id"], "parent_type": parent_type, "parent_id": parent_id,
            "action": "create", "before": None, "after": after, "version": version}


def record_baseline(session: Session, at: datetime | None = None) -> int:
    """Record the rows of a database that holds plan data but no history (one filled before
    history was kept) as one change creating them, so views of the past can show them.
    Returns the number of rows recorded; 0 when the history is not empty."""
    if session.scalar(select(Change.id).limit(1)) is not None:
        return 0
    rows = [row for model in TRACKED.values() for row in session.scalars(select(model))]
    if not rows:
        return 0
    now = utcnow()
    change_id = session.execute(insert(Change).values(
        at=at or now, recorded_at=now, actor="baseline", action="baseline",
        summary="Rows present before history was kept").returning(Change.id)).scalar_one()
    revisions = []
    for row in rows:
        after = snapshot(row)
        parent_type, parent_id = _parent(row, after)
        revisions.append({"change_id": change_id, "subject_type": type(row).__tablename__,
                          "subject_id": row.id, "parent_type": parent_type,
                          "parent_id": parent_id, "action": "create", "before": None,
                          "after": after, "version": getattr(row, "version", None)})
    session.execute(insert(Revision), revisions)
    session.commit()
    return len(rows)
