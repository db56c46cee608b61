"""Subscriptions: what a user watches, for which kinds of change, delivered where.
The same input model and checks serve the pages and the API."""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.alerts import addresses, signing
from app.alerts.watching import may_watch
from app.following import views
from app.plan import text
from app.plan.kinds import KINDS
from app.plan.models import Country, as_utc, utcnow
from app.plan.records import Change, SavedView, Subscription
from app.plan.vocab import AlertKind, CountryCode, Stage, country_name


def _one_address(value: str) -> str:
    if re.search(r"[\s\x00-\x1f\x7f]", value):
        raise ValueError("a web address holds no spaces or control characters")
    return value


def _some_events(value: list) -> list:
    if not value:
        raise ValueError("choose at least one kind of change to be alerted to")
    return value


class RowRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, Field(description="The kind's slug, as in its address: deployments, "
                                           "assets, stances, ...", max_length=40)]
    id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class SubscriptionIn(BaseModel):
    """A new subscription: what to watch (exactly one of `view`, `row`, `country`), which
    kinds of change, and the webhook address (none: the feed only)."""

    model_config = ConfigDict(extra="forbid")
    view: text.field(80) | None = Field(None, description="A saved view's slug")
    row: RowRef | None = None
    country: CountryCode | None = Field(None, description="An ISO 3166-1 alpha-2 code")
    events: Annotated[list[AlertKind], Field(max_length=len(AlertKind)),
                      AfterValidator(_some_events)]
    stage: Stage | None = Field(None, description="With stage_moved: only moves to this stage")
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000),
                   AfterValidator(_one_address)] | None = \
        Field(None, description="Where to send signed webhooks (http or https, to a public "
                                "address); none for the feed only")

    @model_validator(mode="after")
    def _one_watch(self) -> "SubscriptionIn":
        chosen = [n for n in ("view", "row", "country") if getattr(self, n) not in (None, "")]
        if len(chosen) != 1:
            raise ValueError("choose exactly one thing to watch: a view, a row or a country"
                             + (f" (got {', '.join(chosen)})" if chosen else ""))
        if len(set(self.events)) != len(self.events):
            raise ValueError("each kind of event is chosen once")
        if self.stage is not None and AlertKind.STAGE_MOVED not in self.events:
            raise ValueError("a target stage goes with the event stage_moved")
        if self.url == "":
            self.url = None
        return self


class WatchedRow(BaseModel):
    kind: str | None
    id: int


class SubscriptionOut(BaseModel):
    id: int
    view: str | None = Field(description="The saved view's slug, when a view is watched")
    row: WatchedRow | None
    country: str | None
    watching: str = Field(description="What is watched, in words")
    events: list[str]
    stage: str | None
    url: str | None
    created_at: datetime
    stopped_at: datetime | None
    secret: str | None = Field(None, description="The webhook signing key (Standard "
                                                 "Webhooks), given when one subscription "
                                                 "is asked for")


class Problem(ValueError):
    """Input that passed the model but not the database's checks: `field` is where."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def usable_view(session: Session, user_id: int, slug: str) -> SavedView | None:
    """A view the user may watch: their own or a public one, not deleted, by its slug or
    one it had before a rename."""
    view = views.resolve(session, slug)
    return view if view is not None and may_watch(view, user_id) else None


def create(session: Session, user_id: int, data: SubscriptionIn,
           allow_private: bool) -> Subscription:
    """Save a subscription after checking what it names exists and its address may be
    called (Problem otherwise); it sees the changes made from now on."""
    sub = Subscription(user_id=user_id, events=[e.value for e in data.events],
                       stage=data.stage, secret=signing.new_secret())
    if data.view:
        view = usable_view(session, user_id, data.view)
        if view is None:
            raise Problem("view", f"no saved view '{data.view}' that you can see")
        try:
            views.target(view)  # one saved before its page's filter changed shape
        except views.BadPath as error:
            raise Problem("view", f"the view cannot be watched: {error}") from None
        sub.view = view
    elif data.row:
        kind = KINDS.get(data.row.kind)
        if kind is None:
            raise Problem("row.kind", f"no kind '{data.row.kind}': choose from "
                                      f"{', '.join(sorted(KINDS))}")
        if session.get(kind.model, data.row.id) is None:
            raise Problem("row.id", f"no {kind.singular} {data.row.id}")
        sub.subject_type, sub.subject_id = kind.subject_type, data.row.id
    else:
        if session.get(Country, str(data.country)) is None:
            raise Problem("country", f"the plan knows no country {data.country}")
        sub.country_code = str(data.country)
    if data.url:
        try:
            addresses.check(data.url, allow_private)
        except addresses.RefusedAddress as refused:
            raise Problem("url", str(refused)) from None
        sub.url = data.url
    sub.start_change_id = session.scalar(select(func.max(Change.id))) or 0
    session.add(sub)
    session.commit()
    return sub


def of_user(session: Session, user_id: int, stopped: bool = False) -> Sequence[Subscription]:
    stmt = (select(Subscription).where(Subscription.user_id == user_id)
            .options(selectinload(Subscription.view)).order_by(Subscription.id.desc()))
    if not stopped:
        stmt = stmt.where(Subscription.stopped_at.is_(None))
    return session.scalars(stmt).all()


def get(session: Session, user_id: int, subscription_id: int) -> Subscription | None:
    """The user's own subscription, or None (another's is as good as absent)."""
    sub = session.get(Subscription, subscription_id)
    return sub if sub is not None and sub.user_id == user_id else None


def stop(session: Session, sub: Subscription) -> None:
    """Stop it: nothing more is sent or listed in the feed from now on; what was already
    sent stays in its log."""
    if sub.stopped_at is None:
        sub.stopped_at = utcnow()
        session.commit()


def watching(sub: Subscription, session: Session | None = None) -> str:
    """What it watches, in words (with a session, a row is named)."""
    if sub.view is not None:
        said = f"the view “{sub.view.name}” ({sub.view.path})"
        if sub.view.deleted_at is not None:
            return said + ", since deleted: nothing more comes from it"
        if not may_watch(sub.view, sub.user_id):
            return said + ", no longer shared: nothing more comes from it"
        return said
    if sub.country_code is not None:
        return f"everything involving {country_name(sub.country_code)}"
    kind = next((k for k in KINDS.values() if k.subject_type == sub.subject_type), None)
    if kind is None:
        return f"{sub.subject_type} #{sub.subject_id}"
    row = session.get(kind.model, sub.subject_id) if session is not None else None
    name = f" “{kind.title(row)}”" if row is not None else ""
    return f"{kind.singular}{name} #{sub.subject_id}"


def events_text(sub: Subscription) -> str:
    out = []
    for value in sub.events:
        label = AlertKind(value).label.lower().removeprefix("a ")
        if value == AlertKind.STAGE_MOVED and sub.stage is not None:
            label += f" to {sub.stage.label.lower()}"
        out.append(label)
    return ", ".join(out)


def as_json(sub: Subscription, with_secret: bool = False) -> dict[str, Any]:
    kind = next((k.slug for k in KINDS.values() if k.subject_type == sub.subject_type), None)
    out: dict[str, Any] = {
        "id": sub.id,
        "view": sub.view.slug if sub.view is not None else None,
        "row": {"kind": kind, "id": sub.subject_id} if sub.subject_id is not None else None,
        "country": sub.country_code,
        "watching": watching(sub),
        "events": list(sub.events),
        "stage": sub.stage.value if sub.stage else None,
        "url": sub.url,
        "created_at": as_utc(sub.created_at).isoformat(),
        "stopped_at": as_utc(sub.stopped_at).isoformat() if sub.stopped_at else None,
    }
    if with_secret:
        out["secret"] = sub.secret
    return out
