"""Alerts: a signed-in user's subscriptions (pages and API), their delivery logs, and
their private feeds of matching events (Atom and JSON Feed)."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts import feeds as alert_feeds
from app.alerts import outbox, subscriptions
from app.config import get_settings, secret_key
from app.following import views
from app.plan.kinds import KINDS
from app.plan.models import Country
from app.plan.records import Alert, DeliveryAttempt, Subscription, User
from app.plan.vocab import AlertKind, Stage
from app.web import feeds
from app.web.api_errors import CSRF, UNAUTHENTICATED, rejected, write_errors
from app.web.deps import LiveSessionDep, SignedInUser
from app.web.form_input import Errors, field_errors
from app.web.templating import done, render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["alerts"])
LOG_SIZE = 100
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _allow_private() -> bool:
    return get_settings().webhook_allow_private


def _feed_key() -> str:
    return secret_key(get_settings())


# --- Pages ---


def _choices(session: Session, user: User) -> dict[str, Any]:
    return {
        "views": [(v.slug, f"{v.name} ({v.path})") for v in views.visible(session, user)],
        "row_kinds": [(k.slug, k.plural) for k in KINDS.values()],
        "countries": [(c.code, f"{c.name} ({c.code})")
                      for c in session.scalars(select(Country).order_by(Country.name))],
        "event_kinds": list(AlertKind),
        "stages": [("", "Any stage"), *((s.value, s.label) for s in Stage)],
    }


def _counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    for sub_id, state, n in session.execute(
            select(Alert.subscription_id, Alert.state, func.count())
            .where(Alert.subscription_id.in_(ids))
            .group_by(Alert.subscription_id, Alert.state)):
        out[sub_id][state] = n
    return out


def _list_page(request: Request, session: Session, user: User, *, values=None,
               errors: Errors | None = None, status: int = 200):
    subs = subscriptions.of_user(session, user.id, stopped=True)
    token = alert_feeds.token(session, user.id, _feed_key())
    context = {"subscriptions": subs, "counts": _counts(session, [s.id for s in subs]),
               "describe": lambda sub: subscriptions.watching(sub, session),
               "events_text": subscriptions.events_text,
               "feed_token": token, "values": values or {},
               "errors": errors or {}, **_choices(session, user)}
    response = render(request, "alerts/list.html", context, block="panel",
                      status_code=status, session=session)
    response.headers["Cache-Control"] = "no-store"  # the page holds the feed's secret
    return response


def _form_input(form: Any) -> dict[str, Any]:
    """The form's fields in the API's shape: only the chosen kind of watch is kept."""
    watch = form.get("watch") or ""
    data: dict[str, Any] = {"events": form.getlist("events"),
                            "stage": form.get("stage") or None, "url": form.get("url") or None}
    if watch == "view":
        data["view"] = form.get("view") or None
    elif watch == "row":
        data["row"] = {"kind": form.get("row_kind") or "", "id": form.get("row_id") or ""}
    elif watch == "country":
        data["country"] = form.get("country") or None
    return data


#: What a "Watch this ..." link may choose in the form: `?watch=view&view=<slug>`,
#: `?watch=row&row_kind=assets&row_id=3`, `?watch=country&country=FR`.
PRESET = ("watch", "view", "row_kind", "row_id", "country")


@router.get("/account/alerts", name="list_subscriptions")
def list_subscriptions(request: Request, user: SignedInUser, session: LiveSessionDep):
    """Your subscriptions, your feed's addresses, and a form for a new subscription, with
    what a page's "Watch this" link chose already filled in (checked when it is sent)."""
    values = {k: request.query_params[k][:200] for k in PRESET if k in request.query_params}
    if "country" in values:
        values["country"] = values["country"].upper()
    return _list_page(request, session, user, values=values)


@router.post("/account/alerts")
async def create_subscription(request: Request, user: SignedInUser, session: LiveSessionDep):
    """Start watching something."""
    form = await request.form()
    values = {k: form.get(k) for k in ("watch", "view", "row_kind", "row_id", "country",
                                       "stage", "url")}
    values["events"] = form.getlist("events")
    try:
        data = subscriptions.SubscriptionIn.model_validate(_form_input(form))
        sub = subscriptions.create(session, user.id, data, _allow_private())
    except subscriptions.Problem as problem:
        field = {"row.kind": "row_kind", "row.id": "row_id"}.get(problem.field, problem.field)
        return _list_page(request, session, user, values=values, status=422,
                          errors={field: str(problem)[:1].upper() + str(problem)[1:]})
    except ValueError as error:  # pydantic's ValidationError
        errors = field_errors(error)
        if not form.get("watch"):  # said by the model only once every field is right
            errors.setdefault("", "Choose what to watch: a saved view, a row or a country.")
        if "row" in errors:
            errors["row_id"] = errors.pop("row")
        return _list_page(request, session, user, values=values, errors=errors, status=422)
    return done(request, f"Now watching {subscriptions.watching(sub)}.",
                f"/account/alerts/{sub.id}")


def _own(session: Session, user: User, sub_id: int) -> Subscription:
    sub = subscriptions.get(session, user.id, sub_id)
    if sub is None:
        raise HTTPException(404, f"You have no subscription {sub_id}.")
    return sub


@router.get("/account/alerts/{sub_id}", name="show_subscription")
def show_subscription(request: Request, sub_id: SubscriptionId, user: SignedInUser,
                      session: LiveSessionDep):
    """One subscription and its delivery log."""
    sub = _own(session, user, sub_id)
    attempts = session.execute(
        select(DeliveryAttempt, Alert.kind, Alert.state)
        .join(Alert, Alert.id == DeliveryAttempt.alert_id)
        .where(DeliveryAttempt.subscription_id == sub.id)
        .order_by(DeliveryAttempt.id.desc()).limit(LOG_SIZE)).all()
    recent = session.scalars(select(Alert).where(Alert.subscription_id == sub.id)
                             .order_by(Alert.id.desc()).limit(20)).all()
    context = {"sub": sub, "attempts": attempts,
               "watching": subscriptions.watching(sub, session),
               "events_text": subscriptions.events_text(sub),
               "recent": alert_feeds.describe(session, recent),
               "counts": _counts(session, [sub.id])[sub.id]}
    response = render(request, "alerts/detail.html", context, block="log", session=session)
    response.headers["Cache-Control"] = "no-store"  # the page holds the signing secret
    return response


@router.post("/account/alerts/{sub_id}/test")
def send_test_event(request: Request, sub_id: SubscriptionId, user: SignedInUser,
                    session: LiveSessionDep):
    """Queue a test event for the subscription's webhook."""
    sub = _own(session, user, sub_id)
    if not sub.url or sub.stopped_at:
        raise HTTPException(409, "Only a running subscription with a webhook address can "
                                 "send a test event.")
    outbox.enqueue_test(session, sub)
    return done(request, "A test event is on its way: its attempts appear in the log below.",
                f"/account/alerts/{sub.id}")


@router.post("/account/alerts/{sub_id}/stop")
def stop_subscription(request: Request, sub_id: SubscriptionId, user: SignedInUser,
                      session: LiveSessionDep):
    """Stop watching."""
    sub = _own(session, user, sub_id)
    subscriptions.stop(session, sub)
    return done(request, f"Stopped watching {subscriptions.watching(sub)}.", "/account/alerts")


@router.post("/account/alerts/feed/rotate")
def rotate_feed(request: Request, user: SignedInUser, session: LiveSessionDep):
    """A new secret address for your feed; the old one stops working."""
    alert_feeds.rotate(session, user.id, _feed_key())
    return done(request, "Your feed has a new address: the old one no longer works.",
                "/account/alerts")


# --- Private feeds ---


def _user_feed(request: Request, session: Session, token: str) -> feeds.Feed:
    user_id = alert_feeds.user_of(session, token, _feed_key())
    if user_id is None:
        raise HTTPException(404, "No feed at this address (it may have been replaced).")
    base = str(request.base_url).rstrip("/")
    user = session.get(User, user_id)
    out = feeds.Feed(
        id=feeds.urn(f"{base}/feeds/user/{user_id}"),
        title=f"Peaceplan: alerts for {user.username if user else 'a former account'}",
        subtitle="Changes to the plan that your subscriptions watch for, newest first.",
        home_url=f"{base}/account/alerts", atom_url=f"{base}/feeds/{token}.atom",
        json_url=f"{base}/feeds/{token}.json")
    for item in alert_feeds.describe(session, alert_feeds.recent(session, user_id)):
        change = item.change
        html = feeds.content(item.lines, change.reason if change else None,
                             change=change.summary if change else None)
        out.items.append(feeds.Item(
            id=feeds.urn(f"{base}/alerts/{item.alert.id}"), title=item.title,
            url=base + (item.path or f"/changes/{change.id}"), updated=item.at,
            published=feeds.utc(change.at), author=change.actor,
            summary=f"{change.summary} ({'; '.join(item.lines)})", html=html))
    return out


def _private(response: Response) -> Response:
    # The address is the secret: keep it out of shared caches and of search engines.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/feeds/{token}.atom", name="user_feed")
def user_feed(request: Request, token: str, session: LiveSessionDep):
    """Your alerts as an Atom feed, at an address only you know."""
    return _private(feeds.atom(request, _user_feed(request, session, token)))


@router.get("/feeds/{token}.json", name="user_json_feed")
def user_json_feed(request: Request, token: str, session: LiveSessionDep):
    """Your alerts as JSON Feed 1.1, at an address only you know."""
    return _private(feeds.json_feed(_user_feed(request, session, token)))


# --- API ---


READ_ERRORS = UNAUTHENTICATED
WRITE_ERRORS = write_errors(f"Refused when {CSRF}")
ONE = {404: {"description": "You have no subscription of this id"}}
Out = subscriptions.SubscriptionOut


@api_router.get("/subscriptions", summary="Your subscriptions", response_model=list[Out],
                responses=READ_ERRORS)
def api_list_subscriptions(user: SignedInUser, session: LiveSessionDep) -> list[dict]:
    """Your subscriptions, running and stopped, newest first."""
    return [subscriptions.as_json(s) for s in
            subscriptions.of_user(session, user.id, stopped=True)]


@api_router.post("/subscriptions", status_code=201, summary="Watch a view, a row or a country",
                 response_model=Out, responses=WRITE_ERRORS)
def api_create_subscription(body: subscriptions.SubscriptionIn, user: SignedInUser,
                            session: LiveSessionDep) -> dict:
    """Start a subscription. The answer holds the webhook's signing `secret` (Standard
    Webhooks, `whsec_...`)."""
    try:
        sub = subscriptions.create(session, user.id, body, _allow_private())
    except subscriptions.Problem as problem:
        raise rejected({problem.field: str(problem)}) from None
    return subscriptions.as_json(sub, with_secret=True)


@api_router.get("/subscriptions/{sub_id}", summary="One of your subscriptions",
                response_model=Out, responses={**READ_ERRORS, **ONE})
def api_get_subscription(sub_id: SubscriptionId, user: SignedInUser,
                         session: LiveSessionDep) -> dict:
    return subscriptions.as_json(_own(session, user, sub_id), with_secret=True)


@api_router.delete("/subscriptions/{sub_id}", status_code=204, summary="Stop a subscription",
                   responses={**WRITE_ERRORS, **ONE})
def api_stop_subscription(sub_id: SubscriptionId, user: SignedInUser,
                          session: LiveSessionDep) -> Response:
    subscriptions.stop(session, _own(session, user, sub_id))
    return Response(status_code=204)
