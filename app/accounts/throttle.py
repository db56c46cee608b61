"""Sign-in throttling that a stranger cannot turn against an account's owner.

Failures are counted three ways. A name tried from one address (`pair`) locks after a few
failures, but only for that address: the owner signing in from elsewhere is not refused.
An address failing with any names (`address`) locks after more, which stops one machine
spraying guesses across many names. A name failing from everywhere (`name`) is never
locked, since a stranger could then lock the owner out; instead every attempt on it is
delayed, more as the failures grow, which slows a guesser spread over many addresses.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.plan.models import as_utc, utcnow
from app.plan.records import SignInThrottle

PAIR, ADDRESS, NAME = "pair", "address", "name"
#: Failures a scope allows before it locks (None: it never locks, it slows).
FREE = {PAIR: 5, ADDRESS: 20, NAME: None}
FIRST_LOCKOUT = timedelta(minutes=1)  # doubles with each further failure
LONGEST_LOCKOUT = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=1)  # a quiet hour resets a count
#: Failures on one name, from anywhere, before its attempts are delayed.
NAME_FREE = 10
FIRST_DELAY = 0.25  # seconds; doubles with each further failure
LONGEST_DELAY = 8.0


@dataclass(frozen=True)
class Attempt:
    name: str  # normalised
    address: str

    def subjects(self) -> dict[str, str]:
        address = self.address[:60]
        return {PAIR: f"{address} {self.name}"[:200], ADDRESS: address, NAME: self.name}


class LockedOut(Exception):
    def __init__(self, until: datetime, scope: str):
        super().__init__(f"{scope} locked until {until.isoformat()}")
        self.until, self.scope = until, scope


def _key(scope: str, subject: str):
    return and_(SignInThrottle.scope == scope, SignInThrottle.subject == subject)


def check(session: Session, attempt: Attempt) -> None:
    """Raise LockedOut while this name from this address, or this address, is locked."""
    now = utcnow()
    subjects = attempt.subjects()
    rows = session.execute(select(SignInThrottle.scope, SignInThrottle.locked_until).where(
        or_(_key(PAIR, subjects[PAIR]), _key(ADDRESS, subjects[ADDRESS])))).all()
    for scope, until in sorted(rows):  # "address" before "pair": the wider lock is named
        if until and as_utc(until) > now:
            raise LockedOut(as_utc(until), scope)


def delay(session: Session, attempt: Attempt) -> float:
    """Seconds to wait before checking a password for this name."""
    failures = session.scalar(select(SignInThrottle.failures).where(
        _key(NAME, attempt.name), SignInThrottle.last_failure_at > utcnow() - FORGET_AFTER))
    if not failures or failures < NAME_FREE:
        return 0.0
    return min(FIRST_DELAY * 2 ** (failures - NAME_FREE), LONGEST_DELAY)


def failed(session: Session, attempt: Attempt, now: datetime | None = None
           ) -> LockedOut | None:
    """Count a failure in every scope (atomically, as other processes may count too) and
    commit; return the lockout it starts, if any."""
    now = now or utcnow()
    started = None
    for scope, subject in attempt.subjects().items():
        failures = _bump(session, scope, subject, now)
        free = FREE[scope]
        if free is not None and failures >= free:
            until = now + min(FIRST_LOCKOUT * 2 ** (failures - free), LONGEST_LOCKOUT)
            session.execute(update(SignInThrottle).where(_key(scope, subject))
                            .values(locked_until=until))
            if started is None or scope == ADDRESS:
                started = LockedOut(until, scope)
    # Subjects nobody tried for a day are forgotten, so guessed names do not pile up.
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.last_failure_at < now - timedelta(days=1),
        or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < now)))
    session.commit()
    return started


def _bump(session: Session, scope: str, subject: str, now: datetime) -> int:
    fresh = SignInThrottle.last_failure_at < now - FORGET_AFTER
    bump = (update(SignInThrottle).where(_key(scope, subject))
            .values(failures=case((fresh, 1), else_=SignInThrottle.failures + 1),
                    last_failure_at=now))
    if session.execute(bump).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(SignInThrottle(scope=scope, subject=subject, failures=1,
                                           last_failure_at=now))
        except IntegrityError:  # another process counted the first failure meanwhile
            session.execute(bump)
    return session.scalar(select(SignInThrottle.failures).where(_key(scope, subject)))


def succeeded(session: Session, attempt: Attempt) -> None:
    """The owner got in from this address: forget this pair's failures (not the others:
    a guesser elsewhere keeps being slowed). The caller commits."""
    session.execute(delete(SignInThrottle).where(_key(PAIR, attempt.subjects()[PAIR])))


def forget_name(session: Session, name: str) -> None:
    """A new password: failures against the old one no longer count. The caller commits."""
    session.execute(delete(SignInThrottle).where(or_(
        _key(NAME, name),
        and_(SignInThrottle.scope == PAIR,
             SignInThrottle.subject.endswith(f" {name}", autoescape=True)))))
