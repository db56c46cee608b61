"""What an alert says to a reader (feed entries) and to a receiver (webhook bodies), and
the private address of each user's feed.

A feed address carries the user's id and an HMAC of it under the app's secret key with a
salt kept per user: nothing stored in the database gives the address away, the owner can
see it whenever they like, and rotating the salt ends the old address at once.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.outbox import TEST_KIND
from app.history.describe import BY_TYPE, names_of, title
from app.plan.models import as_utc, utcnow
from app.plan.quantities import format_range
from app.plan.records import Alert, Change, FeedKey, Revision, Subscription, User
from app.plan.vocab import AlertKind, Position, Stage

FEED_SIZE = 50


@dataclass
class Described:
    alert: Alert
    change: Change | None
    subject: str  # "deployment “European reassurance force …”"
    path: str | None  # the row's page, while it exists
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return as_utc(self.change.recorded_at if self.change else self.alert.created_at)


def _label(vocab: Any, value: str | None) -> str:
    if value is None:
        return "none"
    try:
        return vocab(value).label
    except ValueError:
        return str(value)


def _lines(alert: Alert, names: dict) -> list[str]:
    details = alert.details or {}
    if alert.kind == AlertKind.FIGURE_CHANGED:
        return [f"{name.capitalize()}: {format_range(v['before']['low'], v['before']['high'])}"
                f" → {format_range(v['after']['low'], v['after']['high'])}"
                for name, v in details.get("figures", {}).items()]
    if alert.kind == AlertKind.STAGE_MOVED:
        return [f"Stage: {_label(Stage, details.get('from'))} → "
                f"{_label(Stage, details.get('to'))}"]
    if alert.kind == AlertKind.CLAIM_ADDED:
        return [f"Claim about {c['field']}: {c['says']}, from "
                f"{names.get(('sources', c.get('source_id')), 'a source since deleted')}"
                for c in details.get("claims", [])]
    if alert.kind == AlertKind.SOURCE_CITED:
        return [f"Now cites {names.get(('sources', s), 'a source since deleted')}"
                for s in details.get("source_ids", [])]
    if alert.kind == AlertKind.BECAME_DISPUTED:
        return ["Its sources now give figures that cannot all be true."]
    if alert.kind == AlertKind.STANCE_CHANGED:
        position = details.get("position", {})
        if details.get("action") == "create":
            return [f"New stance: {_label(Position, position.get('after'))}"]
        if details.get("action") == "delete":
            return ["The stance was removed."]
        out = [f"Changed: {', '.join(f.replace('_', ' ') for f in details.get('fields', []))}"]
        if position.get("before") != position.get("after"):
            out.append(f"Position: {_label(Position, position.get('before'))} → "
                       f"{_label(Position, position.get('after'))}")
        return out
    return ["A test event: the subscription's webhook works."]


def describe(session: Session, alerts: Sequence[Alert]) -> list[Described]:
    """Alerts in words, with the change each came from and the row it concerns."""
    changes = {c.id: c for c in session.scalars(select(Change).where(
        Change.id.in_({a.change_id for a in alerts if a.change_id})))}
    sources = {s for a in alerts for s in (a.details or {}).get("source_ids", [])}
    sources |= {c.get("source_id") for a in alerts for c in (a.details or {}).get("claims", [])}
    names = names_of(session, [("citation", {"source_id": s}) for s in sources])
    out = []
    for alert in alerts:
        kind = BY_TYPE.get(alert.subject_type)
        if alert.kind == TEST_KIND or kind is None:
            out.append(Described(alert, None, "this subscription", None, "Test event",
                                 _lines(alert, names)))
            continue
        row = session.get(kind.model, alert.subject_id)
        if row is not None:
            name, path = kind.title(row), f"/{kind.slug}/{alert.subject_id}"
        else:
            last = session.scalar(select(Revision.before).where(
                Revision.subject_type == alert.subject_type,
                Revision.subject_id == alert.subject_id, Revision.action == "delete")
                .order_by(Revision.id.desc()).limit(1))
            name, path = f"{title(alert.subject_type, last or {})} (deleted)", None
        subject = f"{kind.singular} “{name}”"
        heading = AlertKind(alert.kind).label.removeprefix("A ").capitalize()
        out.append(Described(alert, changes.get(alert.change_id), subject, path,
                             f"{heading}: {subject}", _lines(alert, names)))
    return out


def recent(session: Session, user_id: int, limit: int = FEED_SIZE) -> Sequence[Alert]:
    """The user's latest alerts, newest first: those of stopped subscriptions too, since
    they were true when they came; test events are for the delivery log only."""
    return session.scalars(
        select(Alert).join(Subscription, Subscription.id == Alert.subscription_id)
        .where(Subscription.user_id == user_id, Alert.kind != TEST_KIND)
        .order_by(Alert.id.desc()).limit(limit)).all()


def payload(described: Described, public_url: str = "") -> dict[str, Any]:
    """A webhook body, in the envelope the Standard Webhooks specification suggests."""
    alert, change = described.alert, described.change
    base = public_url.rstrip("/")
    return {
        "type": f"alert.{alert.kind}",
        "timestamp": described.at.isoformat(),
        "data": {
            "alert_id": alert.id,
            "subscription_id": alert.subscription_id,
            "kind": alert.kind,
            "title": described.title,
            "lines": described.lines,
            "subject": {"type": alert.subject_type, "id": alert.subject_id,
                        "name": described.subject,
                        "url": base + described.path if described.path else None},
            "change": None if change is None else {
                "id": change.id, "at": as_utc(change.at).isoformat(),
                "recorded_at": as_utc(change.recorded_at).isoformat(),
                "actor": change.actor, "summary": change.summary, "reason": change.reason,
                "url": f"{base}/changes/{change.id}"},
            "details": alert.details,
        },
    }


# --- Private feed addresses ---


def _mac(key: str, user_id: int, salt: str) -> str:
    digest = hmac.new(key.encode(), f"feed:{user_id}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


def _salt(session: Session, user_id: int) -> FeedKey:
    found = session.get(FeedKey, user_id)
    if found is None:
        found = FeedKey(user_id=user_id, salt=secrets.token_hex(16), created_at=utcnow())
        session.add(found)
        session.commit()
    return found


def token(session: Session, user_id: int, key: str) -> str:
    """The secret part of the user's feed address."""
    return f"{user_id}-{_mac(key, user_id, _salt(session, user_id).salt)}"


def rotate(session: Session, user_id: int, key: str) -> str:
    found = _salt(session, user_id)
    found.salt, found.created_at = secrets.token_hex(16), utcnow()
    session.commit()
    return token(session, user_id, key)


def user_of(session: Session, value: str, key: str) -> int | None:
    """Whose feed an address is, or None when it is not (or no longer) one."""
    user, _, mac = value.partition("-")
    if not user.isdigit() or len(user) > 10:
        return None
    found = session.get(FeedKey, int(user))
    if found is None or not hmac.compare_digest(mac, _mac(key, int(user), found.salt)):
        return None
    owner = session.get(User, int(user))
    return owner.id if owner is not None and owner.active else None
