"""Undoing a change: every row it touched put back as it was, recorded as a new change."""

from typing import Any

from sqlalchemy.orm import Session

from app.history.record import TRACKED, Actor, attribute, restore_values, snapshot
from app.plan.records import Change, Revision


def changed_fields(revision: Revision) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field the revision changed."""
    before, after = revision.before or {}, revision.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class RevertConflict(Exception):
    """The rows a change touched were changed again since: reverting would lose that."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def revert(session: Session, change: Change, actor: Actor) -> None:
    """Put every row the change touched back as it was before it, as a new change.

    Refuses (RevertConflict, nothing written) where a field the change set has been
    changed again since, so reverting never silently undoes a later edit.
    """
    attribute(session, actor, "revert", f"Reverted change {change.id}: {change.summary}",
              reverts_id=change.id)
    problems: list[str] = []
    for revision in reversed(change.revisions):
        model = TRACKED[revision.subject_type]
        row = session.get(model, revision.subject_id)
        name = f"{revision.subject_type.replace('_', ' ')} {revision.subject_id}"
        if revision.action == "delete":
            if row is None:
                session.add(model(**restore_values(model, revision.before, session)))
            continue
        if row is None:
            if revision.action == "update":
                problems.append(f"{name} has been deleted since")
            continue
        current = snapshot(row)
        later = [key for key, _, after in changed_fields(revision) if current.get(key) != after]
        if later:
            problems.append(f"{name} has changed since ({', '.join(later)})")
        elif revision.action == "create":
            session.delete(row)
        else:
            before = {key: value for key, value, _ in changed_fields(revision)}
            for key, value in restore_values(model, before, session).items():
                setattr(row, key, value)
        session.flush()
    if problems:
        raise RevertConflict(problems)
