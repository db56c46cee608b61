"""Events: what a change meant, read from its revisions by comparing each row's state
before and after. Every process reads the same history, so every process finds the same
events, however long after the change it looks.

An event is (change, subject, kind, details). The subject is the row a reader follows: a
citation's events belong to the row it cites for. Several revisions of one change that
mean the same for the same row (two claims added at once) make one event.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.evidence import claims
from app.history import record
from app.plan.models import Citation, Stance
from app.plan.records import Revision
from app.plan.vocab import AlertKind

CITATION = Citation.__tablename__
#: What a stance says: a change to any of these is a change of stance.
STANCE_FIELDS = ("position", "subject", "summary", "as_of", "stakeholder_id")


@dataclass
class Event:
    change_id: int
    subject_type: str
    subject_id: int
    kind: AlertKind
    details: dict[str, Any] = field(default_factory=dict)
    # The row's states around the change (the citing row's, for citation events, are
    # not known here): what a subscription's watch is matched against.
    states: tuple[dict | None, ...] = ()

    @property
    def key(self) -> tuple[int, str, int, str]:
        return self.change_id, self.subject_type, self.subject_id, self.kind.value


def _figures(subject_type: str) -> tuple[str, ...]:
    model = record.TRACKED.get(subject_type)
    return claims.range_fields(model) if model is not None else ()


def _range(data: dict | None, name: str) -> dict[str, Any] | None:
    if data is None:
        return None
    return {part: data.get(f"{name}_{part}") for part in claims.PARTS}


def _row_events(revision: Any) -> list[tuple[AlertKind, dict[str, Any]]]:
    """The events of one revision of a row that is not a citation."""
    before, after = revision.before, revision.after
    out: list[tuple[AlertKind, dict[str, Any]]] = []
    if revision.action == "update":
        changed = {name: {"before": _range(before, name), "after": _range(after, name)}
                   for name in _figures(revision.subject_type)
                   if _range(before, name) != _range(after, name)}
        if changed:
            out.append((AlertKind.FIGURE_CHANGED, {"figures": changed}))
        if "stage" in before and before.get("stage") != after.get("stage"):
            out.append((AlertKind.STAGE_MOVED, {"from": before.get("stage"),
                                                "to": after.get("stage")}))
    if after is not None and after.get("disputed") and not (before or {}).get("disputed"):
        out.append((AlertKind.BECAME_DISPUTED, {}))
    if revision.subject_type == Stance.__tablename__:
        changed_fields = [f for f in STANCE_FIELDS
                          if (before or {}).get(f) != (after or {}).get(f)]
        if changed_fields:
            out.append((AlertKind.STANCE_CHANGED, {
                "action": revision.action, "fields": changed_fields,
                "position": {"before": (before or {}).get("position"),
                             "after": (after or {}).get("position")}}))
    return out


def _cited_before(session: Session, change_id: int,
                  rows: Iterable[tuple[str, int]]) -> dict[tuple[str, int], set[int]]:
    """The sources each row cited just before `change_id`, replayed from the history of
    its citations (so the answer is the same whenever it is asked)."""
    rows = set(rows)
    out: dict[tuple[str, int], set[int]] = {row: set() for row in rows}
    if not rows:
        return out
    citing: dict[int, tuple[tuple[str, int], int | None]] = {}
    history = session.execute(
        select(Revision.subject_id, Revision.parent_type, Revision.parent_id, Revision.after)
        .where(Revision.subject_type == CITATION, Revision.change_id < change_id,
               Revision.parent_id.in_({row_id for _, row_id in rows}))
        .order_by(Revision.id))
    for citation_id, parent_type, parent_id, after in history:
        if (parent_type, parent_id) in rows:
            citing[citation_id] = ((parent_type, parent_id),
                                   after.get("source_id") if after else None)
    for row, source_id in citing.values():
        if source_id is not None:
            out[row].add(source_id)
    return out


def events_of(session: Session, change_id: int,
              revisions: Sequence[Any]) -> list[Event]:
    """The events of one change, from its revisions, in a stable order."""
    found: dict[tuple[str, int, AlertKind], Event] = {}

    def add(subject: tuple[str, int], kind: AlertKind, details: dict[str, Any],
            states: tuple[dict | None, ...] = ()) -> Event:
        event = found.get((*subject, kind))
        if event is None:
            event = found[(*subject, kind)] = Event(change_id, *subject, kind, details,
                                                    states)
        return event

    new_citations = [r for r in revisions if r.subject_type == CITATION
                     and r.action == "create" and r.parent_id is not None]
    cited = _cited_before(session, change_id,
                          ((r.parent_type, r.parent_id) for r in new_citations))
    for revision in revisions:
        if revision.subject_type == CITATION:
            continue
        subject = (revision.subject_type, revision.subject_id)
        for kind, details in _row_events(revision):
            add(subject, kind, details, (revision.before, revision.after))
    claims_added: dict[tuple[str, int], list[dict]] = defaultdict(list)
    sources_cited: dict[tuple[str, int], list[int]] = defaultdict(list)
    for revision in new_citations:
        subject = (revision.parent_type, revision.parent_id)
        after = revision.after
        if after.get("field"):
            claims_added[subject].append({
                "citation_id": revision.subject_id, "field": after["field"],
                "source_id": after.get("source_id"),
                "says": claims.say(*(after.get(k) for k in ("field", "low", "high", "best",
                                                            "stage")))})
        source_id = after.get("source_id")
        if source_id not in cited[subject] and source_id not in sources_cited[subject]:
            sources_cited[subject].append(source_id)
    for subject, added in claims_added.items():
        add(subject, AlertKind.CLAIM_ADDED, {"claims": added})
    for subject, sources in sources_cited.items():
        add(subject, AlertKind.SOURCE_CITED, {"source_ids": sources})
    return sorted(found.values(), key=lambda e: (e.subject_type, e.subject_id, e.kind.value))
