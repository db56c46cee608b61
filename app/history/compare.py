"""What changed between two dates: rows added, removed and changed, each with the changes
that made it.

A row's state on a date is its latest revision by then (`asof.state_at`), read for the rows
the period touched only: no snapshot database is needed to compare two dates.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from app.history.asof import Subject, end_of, state_at, today
from app.history.describe import BY_TYPE, Countries, FieldChange, fields, names_of, title
from app.plan.kinds import KINDS, NAV
from app.plan.models import Citation
from app.plan.records import Change, Revision


@dataclass(frozen=True)
class Attribution:
    """Who changed a row on one day, and in which changes."""

    actor: str
    day: date
    change_ids: tuple[int, ...]


@dataclass
class RowChange:
    subject_type: str
    subject_id: int
    action: str  # added, removed, changed
    title: str
    href: str | None
    fields: list[FieldChange]
    changes: list[Change]

    @property
    def by(self) -> list[Attribution]:
        """The changes, one line per actor and day: a row a bulk load touched three times
        is attributed once."""
        grouped: dict[tuple[str, date], list[int]] = {}
        for change in self.changes:
            grouped.setdefault((change.actor, change.at.date()), []).append(change.id)
        return [Attribution(actor, day, tuple(ids)) for (actor, day), ids in grouped.items()]


@dataclass
class Group:
    label: str
    rows: dict[str, list[RowChange]]  # by action, in the order added, removed, changed
    totals: dict[str, int]  # by action: more than `rows` holds where the list is cut

    @property
    def count(self) -> int:
        return sum(self.totals.values())


@dataclass
class Comparison:
    start: date
    end: date
    groups: list[Group] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    sizes: dict[int, int] = field(default_factory=dict)  # rows each change touched

    @property
    def one_attribution(self) -> Attribution | None:
        """Where every row listed has the same actor and day, said once for the page rather
        than under every row."""
        found = {tuple(r.by) for g in self.groups for rows in g.rows.values() for r in rows}
        if len(found) == 1 and len(by := found.pop()) == 1:
            return by[0]
        return None


ACTIONS = ("added", "removed", "changed")


def href(subject_type: str, subject_id: int, data: dict | None, on: date) -> str | None:
    """The page of a row (a citation: of the row it belongs to) as it stood on `on`."""
    if subject_type == Citation.__tablename__:
        if not data or data.get("subject_type") not in BY_TYPE:
            return None
        subject_type, subject_id = data["subject_type"], data["subject_id"]
    kind = BY_TYPE.get(subject_type)
    if kind is None:
        return None
    return f"/{kind.slug}/{subject_id}" + ("" if on >= today() else f"?as_of={on}")


def compare(session: Session, start: date, end: date, countries: Sequence[str] = (),
            listed: int = 200) -> Comparison:
    """Rows added, removed and changed between the end of `start` and the end of `end`,
    each with the changes that made it; `countries` keeps the rows involving them. Each
    kind lists up to `listed` rows per action (a bulk load adds thousands)."""
    since, until = end_of(start), end_of(end)
    period = (Change.at >= since) & (Change.at < until)
    changes = session.scalars(select(Change).options(lazyload(Change.revisions))
                              .where(period).order_by(Change.at, Change.id)).all()
    made = (select(Revision.subject_type, Revision.subject_id, Revision.change_id)
            .join(Change, Change.id == Revision.change_id).where(period))
    by_subject: dict[Subject, list[int]] = defaultdict(list)
    for subject_type, subject_id, change_id in session.execute(made):
        by_subject[(subject_type, subject_id)].append(change_id)
    touched = made.with_only_columns(Revision.subject_type, Revision.subject_id).distinct()
    old = state_at(session, since, touched.subquery())
    new = state_at(session, until, touched.subquery())
    places, wanted = Countries(session), set(countries)
    if wanted:
        places.load_parents(d for (t, _), d in [*old.items(), *new.items()]
                            if t == Citation.__tablename__)
    # Classify every row first; describe only the rows listed.
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for subject, change_ids in by_subject.items():
        before, after = old.get(subject), new.get(subject)
        if before == after:  # created and deleted, or changed and changed back, in between
            continue
        if wanted and not wanted & (places.of(subject[0], before)
                                    | places.of(subject[0], after)):
            continue
        action = "added" if before is None else "removed" if after is None else "changed"
        found[subject[0]][action].append((subject, before, after, change_ids))
    by_id = {change.id: change for change in changes}
    kept = {i for actions in found.values() for rows in actions.values()
            for *_, change_ids in rows for i in change_ids}

    def described(subject, before, after, change_ids, names) -> RowChange:
        action = "added" if before is None else "removed" if after is None else "changed"
        return RowChange(subject[0], subject[1], action,
                         title(subject[0], after or before, names),
                         href(*subject, after or before, start if after is None else end),
                         fields(subject[0], before, after, ranges_only=action != "changed",
                                row_names=names),
                         [by_id[i] for i in dict.fromkeys(change_ids)])

    def listing(rows: list) -> list[RowChange]:
        # By name; a list too long to show whole is cut in id order, so that only the
        # rows shown are described.
        cut = len(rows) > listed
        if cut:
            rows = sorted(rows, key=lambda r: r[0])[:listed]
        names = names_of(session, ((subject[0], state) for subject, *states, _ in rows
                                   for state in states))
        described_rows = [described(*row, names) for row in rows]
        return described_rows if cut else sorted(described_rows, key=lambda r: r.title.lower())

    order = [KINDS[slug].subject_type for slug in NAV]
    groups = [
        Group(BY_TYPE[t].plural if t in BY_TYPE else "Citations",
              {a: listing(found[t][a]) for a in ACTIONS if found[t][a]},
              {a: len(found[t][a]) for a in ACTIONS if found[t][a]})
        for t in sorted(found, key=lambda t: order.index(t) if t in order else len(order))
    ]
    sizes = dict(session.execute(
        select(Revision.change_id, func.count()).where(Revision.change_id.in_(kept))
        .group_by(Revision.change_id)).all()) if kept else {}
    return Comparison(start, end, groups, [c for c in changes if c.id in kept], sizes)


def first_change_at():
    """When the history begins."""
    return select(func.min(Change.at))


def latest_change_at(until: date):
    """When the plan last changed, by the end of `until`."""
    return select(func.max(Change.at)).where(Change.at < end_of(until))
