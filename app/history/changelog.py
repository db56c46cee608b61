"""Reading the history: a row's changes, the change log with its filters, and revisions
turned into readable differences (labels, names and formatted values, not ids and slugs).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.history import describe
from app.plan.filters import FilterQuery
from app.plan.kinds import KINDS, Kind
from app.plan.records import Change, Revision

#: Each tracked table's kind; citations are shown as part of the row they belong to.
KIND_OF = describe.BY_TYPE


@dataclass
class RevisionView:
    kind: Kind | None
    subject_id: int
    action: str
    title: str
    href: str | None
    fields: list[describe.FieldChange]


@dataclass
class ChangeView:
    change: Change
    revisions: list[RevisionView] = field(default_factory=list)


# --- Describing revisions ---


def _names(session: Session, revisions: list[Revision]) -> describe.Names:
    """Titles of every row the revisions name (references, a citation's source and row)."""
    return describe.names_of(session, ((r.subject_type, data) for r in revisions
                                       for data in (r.before, r.after)))


def view(revision: Revision, names: dict[tuple[str, int], str]) -> RevisionView:
    data = revision.after or revision.before or {}
    kind = KIND_OF.get(revision.subject_type)
    if kind is None:  # a citation
        source, row = describe.cited_source(data, names), describe.cited_row(data, names)
        owner = KIND_OF.get(data.get("subject_type", ""))
        verb = {"create": "cited", "delete": "no longer cited", "update": "quote changed"}
        title = f"Source “{source}” {verb[revision.action]} for {row}"
        if data.get("field"):
            verb = {"create": "added", "delete": "removed", "update": "changed"}
            title = (f"Claim from “{source}” ({data['field']}: {describe.claimed(data)}) "
                     f"{verb[revision.action]} for {row}")
        href = f"/{owner.slug}/{data.get('subject_id')}" if owner else None
        changed = [describe.FieldChange(label, describe.claim_part(revision.before, key),
                                        describe.claim_part(revision.after, key))
                   for key, label in describe.CLAIM_PARTS
                   if describe.claim_part(revision.before, key)
                   != describe.claim_part(revision.after, key)]
        return RevisionView(None, revision.subject_id, revision.action, title, href,
                            changed if revision.action == "update" else [])
    differences = describe.fields(revision.subject_type, revision.before, revision.after,
                                  row_names=names)
    title = names.get((kind.slug, revision.subject_id)) or describe.title(
        revision.subject_type, data)
    return RevisionView(kind, revision.subject_id, revision.action, title,
                        f"/{kind.slug}/{revision.subject_id}", differences)


def views(session: Session, pairs: list[tuple[Change, list[Revision]]]) -> list[ChangeView]:
    names = _names(session, [r for _, revisions in pairs for r in revisions])
    return [ChangeView(change, [view(r, names) for r in revisions]) for change, revisions in pairs]


# --- Queries ---


def row_history(session: Session, kind: Kind, row_id: int, limit: int = 50) -> list[ChangeView]:
    """The changes that touched a row or its citations, newest first."""
    about = or_(and_(Revision.subject_type == kind.subject_type, Revision.subject_id == row_id),
                and_(Revision.parent_type == kind.subject_type, Revision.parent_id == row_id))
    return views(session, _grouped(session, about, limit))


def _grouped(session: Session, where: Any, limit: int) -> list[tuple[Change, list[Revision]]]:
    ids = select(Revision.change_id).where(where).distinct().order_by(
        Revision.change_id.desc()).limit(limit).subquery()
    rows = session.execute(
        select(Change, Revision).join(Revision, Revision.change_id == Change.id)
        .where(Change.id.in_(select(ids.c.change_id)), where)
        .order_by(Change.id.desc(), Revision.id)
    ).all()
    out: dict[int, tuple[Change, list[Revision]]] = {}
    for change, revision in rows:
        out.setdefault(change.id, (change, []))[1].append(revision)
    return list(out.values())


def change_detail(session: Session, change_id: int) -> ChangeView | None:
    change = session.get(Change, change_id)
    if change is None:
        return None
    revisions = list(session.scalars(select(Revision).where(Revision.change_id == change_id)
                                     .order_by(Revision.id)))
    return views(session, [(change, revisions)])[0]


class ChangeFilters(FilterQuery, BaseModel):
    """The change log's filters, in the URL like every list's."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    actor: str | None = Field(None, max_length=80, description="Who made the change")
    kind: str | None = Field(None, description="Kind of row changed, e.g. assets")
    start: date | None = Field(None, description="From this day (UTC)")
    end: date | None = Field(None, description="To this day (UTC), included")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


@dataclass
class ChangeLog:
    changes: list[ChangeView]
    total: int
    actors: list[str]
    counts: dict[int, int]  # rows touched per change

    def pages(self, per_page: int) -> int:
        return max(1, -(-self.total // per_page))


def change_log(session: Session, filters: ChangeFilters) -> ChangeLog:
    where = []
    if filters.actor:
        where.append(Change.actor == filters.actor)
    if filters.kind in KINDS:
        kind = KINDS[filters.kind]
        where.append(Change.id.in_(select(Revision.change_id).where(or_(
            Revision.subject_type == kind.subject_type,
            Revision.parent_type == kind.subject_type))))
    if filters.start:
        where.append(Change.at >= datetime.combine(filters.start, time()))
    if filters.end:
        where.append(Change.at < datetime.combine(filters.end + timedelta(days=1), time()))
    total = session.scalar(select(func.count(Change.id)).where(*where)) or 0
    changes = list(session.scalars(
        select(Change).where(*where).order_by(Change.id.desc())
        .limit(filters.per_page).offset((filters.page - 1) * filters.per_page)))
    ids = [c.id for c in changes]
    counts = dict(session.execute(select(Revision.change_id, func.count())
                                  .where(Revision.change_id.in_(ids))
                                  .group_by(Revision.change_id)).all()) if ids else {}
    # A long change (a seed load, an import) is summarised; its page lists every row.
    first = {}
    if ids:
        firsts = select(func.min(Revision.id)).where(Revision.change_id.in_(ids)) \
            .group_by(Revision.change_id)
        for revision in session.scalars(select(Revision).where(Revision.id.in_(firsts))):
            first[revision.change_id] = [revision]
    actors = list(session.scalars(select(Change.actor).distinct().order_by(Change.actor)))
    return ChangeLog(views(session, [(c, first.get(c.id, [])) for c in changes]), total,
                     actors, counts)

