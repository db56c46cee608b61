"""What a subscription watches (a saved view, one row, a country) and whether an event
falls within it.

A view is matched against the row's recorded states around the change, before and after,
with the view's own filter (read by `app.following.views`, as its page reads it): a row
that was in the view and has just left it ("announced" moving to "committed") still
concerns whoever watches the announced ones. A filter a recorded state cannot answer (a
text search, an asset type reached through other rows) is answered by the list's own
query against the row as it stands.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.events import Event
from app.browse import queries
from app.following import views
from app.history.describe import BY_TYPE, Countries
from app.plan.filters import BaseFilters
from app.plan.kinds import Kind
from app.plan.models import Stakeholder, Stance
from app.plan.records import SavedView


def may_watch(view: SavedView, user_id: int) -> bool:
    """Whether a user may watch a view, now: while it lives, and is theirs or shared. A view
    made private again, or deleted, shows its other watchers nothing more."""
    return view.deleted_at is None and (view.public or view.owner_id == user_id)


class Matcher:
    """Answers "does this event concern this subscription?", loading what it needs once
    per batch of events."""

    def __init__(self, session: Session):
        self.session = session
        self.places = Countries(session)
        self._views: dict[str, views.Target | None] = {}

    def countries(self, event: Event) -> set[str]:
        if event.states:
            return set().union(*(self.places.of(event.subject_type, s) for s in event.states))
        citation = {"subject_type": event.subject_type, "subject_id": event.subject_id}
        self.places.load_parents([citation])
        return self.places.of("citation", citation)

    def concerns(self, subscription, event: Event) -> bool:
        if subscription.subject_type is not None:
            return (subscription.subject_type, subscription.subject_id) == (
                event.subject_type, event.subject_id) or _said_by(subscription, event)
        if subscription.country_code is not None:
            return subscription.country_code in self.countries(event)
        if subscription.view is not None:
            return (may_watch(subscription.view, subscription.user_id)
                    and self.in_view(subscription.view.path, event))
        return False

    def in_view(self, path: str, event: Event) -> bool:
        if path not in self._views:
            try:
                # Read as the view's page reads it, so both agree on what it shows.
                self._views[path] = views.parse_path(path)
            except views.BadPath:
                self._views[path] = None
        view = self._views[path]
        if view is None:
            return False
        if view.kind is None:
            wanted = {str(c) for c in view.filters.values("country")}
            return not wanted or bool(wanted & self.countries(event))
        if view.kind.subject_type != event.subject_type:
            return False
        answers = [self._state_in(view.kind, view.filters, state) for state in event.states]
        if any(answers):
            return True
        if answers and None not in answers:
            return False
        return self._row_in(view.kind, view.filters, event.subject_id)

    def _state_in(self, kind: Kind, filters: BaseFilters, data: dict | None) -> bool | None:
        """Whether a recorded state is in the filter; None where the state cannot say."""
        if data is None:
            return False
        for dim in kind.dims:
            values = {str(v) for v in filters.values(dim.param)}
            if not values:
                continue
            if dim.param == "country":
                got = self.places.of(kind.subject_type, data)
            elif dim.param == "disputed":
                got = {"yes" if data.get("disputed") else "no"}
            elif dim.column is not None and getattr(dim.column, "key", None) in data:
                got = {str(data[dim.column.key])}
            else:
                return None
            if not got & values:
                return False
        if kind.dated is not None and (filters.since or filters.until):
            day = data.get(kind.dated.key)
            if day is None:
                return False
            if (filters.since and day < filters.since.isoformat()) or (
                    filters.until and day > filters.until.isoformat()):
                return False
        return None if filters.q else True

    def _row_in(self, kind: Kind, filters: BaseFilters, row_id: int) -> bool:
        stmt = select(kind.model.id).where(kind.model.id == row_id,
                                           *queries.conditions(kind, filters))
        return self.session.scalar(stmt) is not None


def _said_by(subscription, event: Event) -> bool:
    """Whether the event is a stance of the stakeholder watched: watching someone is
    watching where they stand."""
    return (subscription.subject_type == Stakeholder.__tablename__
            and event.subject_type == Stance.__tablename__
            and any(state is not None and state.get("stakeholder_id") == subscription.subject_id
                    for state in event.states))


def subject_kind(subject_type: str) -> Kind | None:
    return BY_TYPE.get(subject_type)
