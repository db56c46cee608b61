"""The outbox: changes turned into alerts (`fan_out`), alerts claimed for sending
(`claim`) and the outcome of each attempt (`finish`). All state is in the database, so
a worker that stops loses nothing and any number of workers share the work:

- fan-out holds the one cursor row while it reads (`FOR UPDATE` on PostgreSQL, the write
  lock on SQLite), and an alert's unique key (subscription, change, subject, kind)
  refuses a second copy whatever happens;
- a claim takes due alerts with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one
  writer at a time) and holds them for a lease: an alert whose worker died is taken
  again once its lease is over, so every alert is sent at least once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from app.alerts.events import Event, events_of
from app.alerts.watching import Matcher
from app.plan.models import as_utc, utcnow
from app.plan.records import (
    Alert,
    AlertCursor,
    AlertScan,
    Change,
    DeliveryAttempt,
    Revision,
    Subscription,
    User,
)
from app.plan.vocab import AlertKind

PENDING, DELIVERED, FAILED, FEED = "pending", "delivered", "failed", "feed"
#: Changes read per fan-out transaction.
SCAN_BATCH = 100
#: How long a change id may stay unseen below later ones before it is taken for a
#: transaction that rolled back (its number is then never used).
UNSEEN_GRACE = timedelta(minutes=10)
TEST_KIND = "test"


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _cursor(session: Session) -> AlertCursor:
    session.execute(_insert(session)(AlertCursor).values(id=1, change_id=0)
                    .on_conflict_do_nothing(index_elements=["id"]))
    return session.scalars(select(AlertCursor).where(AlertCursor.id == 1)
                           .with_for_update()).one()


def active_subscriptions(session: Session) -> Sequence[Subscription]:
    """Running subscriptions of accounts that are not disabled."""
    return session.scalars(select(Subscription)
                           .join(User, User.id == Subscription.user_id)
                           .where(Subscription.stopped_at.is_(None), User.active)
                           .options(selectinload(Subscription.view))
                           .order_by(Subscription.id)).all()


def wants(subscription: Subscription, event: Event) -> bool:
    """Whether the subscription chose this kind of event (and, for a stage, this stage)."""
    if event.kind.value not in subscription.events:
        return False
    if event.kind is AlertKind.STAGE_MOVED and subscription.stage is not None:
        return event.details.get("to") == subscription.stage.value
    return True


def fan_out(session: Session) -> int:
    """Read the changes not yet read into alerts for every subscription they concern,
    and commit. Returns how many alerts were written."""
    cursor = _cursor(session)
    subscriptions = active_subscriptions(session)
    # Changes no subscription is old enough to see need not be read at all.
    floor = min((s.start_change_id for s in subscriptions),
                default=session.scalar(select(func.max(Change.id))) or 0)
    start = max(cursor.change_id, floor)
    changes = session.execute(
        select(Change.id, Change.recorded_at)
        .where(Change.id > start, Change.id.not_in(select(AlertScan.change_id)))
        .order_by(Change.id).limit(SCAN_BATCH)).all()
    written = 0
    matcher = Matcher(session)
    for change_id, recorded_at in changes:
        watching = [s for s in subscriptions if s.start_change_id < change_id]
        if watching:
            revisions = session.scalars(select(Revision).where(Revision.change_id == change_id)
                                        .order_by(Revision.id)).all()
            rows = [_alert_row(s, event)
                    for event in events_of(session, change_id, revisions)
                    for s in watching if wants(s, event) and matcher.concerns(s, event)]
            if rows:
                written += len(session.execute(
                    _insert(session)(Alert).values(rows).on_conflict_do_nothing()
                    .returning(Alert.id)).all())
        session.add(AlertScan(change_id=change_id, recorded_at=recorded_at))
    session.flush()
    cursor.change_id = _watermark(session, start)
    session.execute(delete(AlertScan).where(AlertScan.change_id <= cursor.change_id))
    session.commit()
    return written


def has_work(session: Session) -> bool:
    """Whether a change waits to be read or an alert to be sent: asked without the write
    lock, so that an idle worker does not take SQLite's lock every round."""
    cursor = session.get(AlertCursor, 1)
    unread = select(Change.id).where(Change.id > (cursor.change_id if cursor else 0),
                                     Change.id.not_in(select(AlertScan.change_id)))
    due = _due(utcnow()).with_only_columns(Alert.id)
    return (session.scalar(unread.limit(1)) is not None
            or session.scalar(due.limit(1)) is not None)


def _alert_row(subscription: Subscription, event: Event) -> dict:
    now = utcnow()
    return {"subscription_id": subscription.id, "change_id": event.change_id,
            "subject_type": event.subject_type, "subject_id": event.subject_id,
            "kind": event.kind.value, "details": event.details, "created_at": now,
            "state": PENDING if subscription.url else FEED, "attempts": 0,
            "next_attempt_at": now if subscription.url else None}


def _watermark(session: Session, start: int) -> int:
    """The highest id below which every change has been read (see `AlertScan`)."""
    mark = start
    old = utcnow() - UNSEEN_GRACE
    for change_id, recorded_at in session.execute(
            select(AlertScan.change_id, AlertScan.recorded_at)
            .where(AlertScan.change_id > start).order_by(AlertScan.change_id)):
        if change_id != mark + 1 and as_utc(recorded_at) > old:
            break  # a lower id may still be committed: wait for it
        mark = change_id
    return mark


def enqueue_test(session: Session, subscription: Subscription) -> Alert:
    """A test event for the subscription's webhook, sent like any alert."""
    now = utcnow()
    alert = Alert(subscription_id=subscription.id, change_id=None,
                  subject_type="subscription", subject_id=subscription.id, kind=TEST_KIND,
                  details={"test": True}, created_at=now, attempts=0,
                  state=PENDING if subscription.url else FEED,
                  next_attempt_at=now if subscription.url else None)
    session.add(alert)
    session.commit()
    return alert


# --- Sending ---


@dataclass
class Claimed:
    alert: Alert
    attempt_id: int | None = None


def _due(now: datetime) -> Select:
    # Nothing more is sent for a stopped subscription, or a disabled account.
    return (select(Alert).join(Subscription, Subscription.id == Alert.subscription_id)
            .join(User, User.id == Subscription.user_id)
            .where(Alert.state == PENDING, Alert.next_attempt_at <= now,
                   or_(Alert.locked_until.is_(None), Alert.locked_until < now),
                   Subscription.stopped_at.is_(None), User.active)
            .order_by(Alert.next_attempt_at, Alert.id))


def claim(session: Session, worker: str, lease: timedelta, limit: int = 5) -> list[Claimed]:
    """Take up to `limit` due alerts for `worker` until the lease ends; commits."""
    now = utcnow()
    alerts = session.scalars(_due(now).limit(limit)
                             .with_for_update(skip_locked=True, of=Alert)).all()
    for alert in alerts:
        alert.locked_until, alert.locked_by = now + lease, worker
    session.commit()
    return [Claimed(alert) for alert in alerts]


def begin_attempt(session: Session, claimed: Claimed, lease: timedelta) -> None:
    """Log the attempt about to be made (left without an answer if the worker stops
    during it) and renew the lease for it; commits."""
    alert = claimed.alert
    now = utcnow()
    alert.attempts += 1
    alert.locked_until = now + lease
    attempt = DeliveryAttempt(alert_id=alert.id, subscription_id=alert.subscription_id,
                              attempt=alert.attempts, started_at=now)
    session.add(attempt)
    session.commit()
    claimed.attempt_id = attempt.id


def finish(session: Session, claimed: Claimed, worker: str, status_code: int | None,
           error: str | None, duration_ms: int, delays: Sequence[float]) -> str:
    """Record how an attempt went and what happens next: delivered on a 2xx answer,
    else another try after the next of `delays`, or given up after the last. Returns
    the alert's state."""
    now = utcnow()
    session.execute(update(DeliveryAttempt).where(DeliveryAttempt.id == claimed.attempt_id)
                    .values(status_code=status_code, error=error and error[:300],
                            duration_ms=duration_ms))
    alert = session.scalars(select(Alert).where(Alert.id == claimed.alert.id)
                            .with_for_update()).one()
    if alert.state == PENDING:
        if status_code is not None and 200 <= status_code < 300:
            alert.state, alert.delivered_at = DELIVERED, now
        elif alert.attempts > len(delays):
            alert.state = FAILED
        else:
            alert.next_attempt_at = now + timedelta(seconds=delays[alert.attempts - 1])
        if alert.locked_by == worker:
            alert.locked_until = alert.locked_by = None
    session.commit()
    return alert.state
