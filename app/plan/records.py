"""Tables about the plan data rather than of it: its version, its history of changes, and
the accounts that make them."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.plan.models import Base, intpk, utcnow, vocab
from app.plan.vocab import Role, Stage


class DataStamp(Base):
    """One row: bumped on every change to plan data, for "last updated" and cache keys."""

    __tablename__ = "data_stamp"
    id: Mapped[intpk]
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


# --- History ---


class Change(Base):
    """One act of a user (or of the seed loader, an import, a revert): a group of revisions
    that is shown, and reverted, as a whole."""

    __tablename__ = "change"
    id: Mapped[intpk]
    # When the change takes effect in the plan's history (what `?as_of=` reads): the time
    # it was recorded, except that the first seed load is dated by its newest source.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Who, as they were named at the time: no foreign key, so history outlives accounts.
    user_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300))
    # Why, in the editor's words: required when a figure changes, with its source.
    reason: Mapped[str | None] = mapped_column(Text)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("change.id"))
    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="change", order_by="Revision.id"
    )


class Revision(Base):
    """One row's state before and after a change (None before a create, after a delete)."""

    __tablename__ = "revision"
    __table_args__ = (
        Index("ix_revision_subject", "subject_type", "subject_id"),
        Index("ix_revision_parent", "parent_type", "parent_id"),
    )
    id: Mapped[intpk]
    change_id: Mapped[int] = mapped_column(ForeignKey("change.id", ondelete="CASCADE"),
                                           index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    # The row a citation belongs to, so a row's history shows its sources changing too.
    parent_type: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    # The row's version once `after` was saved (None after a delete, and for states saved
    # before versions were recorded): the state an editor's form was opened on, which a
    # save over a newer version merges against.
    version: Mapped[int | None]
    change: Mapped[Change] = relationship(back_populates="revisions")


# --- Accounts ---


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[intpk]
    # Stored in lower case: names are compared without regard to case.
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(vocab(Role), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", order_by="ApiToken.created_at.desc()", passive_deletes=True
    )

    def can(self, needed: Role) -> bool:
        return self.active and self.role.allows(needed)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(Base):
    """A bearer token for scripts. Only its SHA-256 is stored; the value is shown once."""

    __tablename__ = "api_token"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """A signed-in browser. Its cookie carries a random token, of which only the SHA-256 is
    kept: ending the session here ends it for every server process at once, and a copy
    of the cookie kept from before stops working."""

    __tablename__ = "user_session"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInThrottle(Base):
    """Failed sign-ins counted three ways: per attempted name from one address (`pair`),
    per address whatever the name (`address`), and per name from anywhere (`name`). Names
    are counted whether an account has them or not, so a lockout says nothing about which
    names exist; rows live in the database so that every server process counts alike."""

    __tablename__ = "sign_in_throttle"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: The name, the address, or "address name" for a pair.
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<SignInThrottle {self.scope} {self.subject!r} {self.failures}>"


# --- Search ---


class SearchDocument(Base):
    """The words one row of plan data is found by (`app.search.documents` makes them). The
    full-text index over `document` is the database's own, built by its migration alone:
    an FTS5 table on SQLite (`search_fts`), a GIN index on PostgreSQL."""

    __tablename__ = "search_document"
    __table_args__ = (
        Index("ix_search_document_subject", "subject_type", "subject_id", unique=True),
    )
    id: Mapped[intpk]
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    document: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<SearchDocument {self.subject_type} {self.subject_id}>"


# --- Following ---


class SavedView(Base):
    """A named address of a page with its filter (`path`, as `/assets?country=FR`), kept by
    a signed-in user for themselves or for everyone. A deleted view keeps its row, so its
    old address answers 410 Gone rather than 404."""

    __tablename__ = "saved_view"
    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(String(2000))
    public: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<SavedView {self.slug}>"


class SavedViewAlias(Base):
    """A slug a view had before it was renamed: its old address redirects to the new one."""

    __tablename__ = "saved_view_alias"
    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    view_id: Mapped[int] = mapped_column(
        ForeignKey("saved_view.id", ondelete="CASCADE"), index=True
    )


# --- Alerts ---


class Subscription(Base):
    """A user watching a saved view, one row or a country for some kinds of change
    (`events`, AlertKind slugs), delivered to their feed and, with a `url`, as signed
    webhooks. Changes up to `start_change_id` were made before it and are not alerts."""

    __tablename__ = "subscription"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # What is watched: exactly one of a view, a row (subject) or a country.
    view_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_view.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    country_code: Mapped[str | None] = mapped_column(String(2), ForeignKey("country.code"))
    events: Mapped[list[str]] = mapped_column(JSON)
    # For "a stage moved": only moves to this stage (None: any move).
    stage: Mapped[Stage | None] = mapped_column(vocab(Stage))
    url: Mapped[str | None] = mapped_column(String(2000))
    # The Standard Webhooks signing key ("whsec_" + base64), which the receiver holds too.
    secret: Mapped[str] = mapped_column(String(100))
    start_change_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    view: Mapped[SavedView | None] = relationship()

    def __repr__(self) -> str:
        return f"<Subscription {self.id} of user {self.user_id}>"


class Alert(Base):
    """One event for one subscription: an entry of its owner's feed, and the outbox row
    of its webhook. The unique key lets any number of workers fan events out without
    ever writing one twice; `state` and the times say where its delivery stands."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_event", "subscription_id", "change_id", "subject_type",
              "subject_id", "kind", unique=True),
        Index("ix_alert_due", "state", "next_attempt_at"),
    )
    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"))
    # None for a test event sent from the subscription's page.
    change_id: Mapped[int | None] = mapped_column(ForeignKey("change.id", ondelete="CASCADE"),
                                                  index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: pending (to send), delivered, failed (given up), feed (no webhook to send).
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A worker sending it holds it until then; a worker that died lets it go this way.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    """One webhook request and how it went: the subscription's delivery log."""

    __tablename__ = "delivery_attempt"
    id: Mapped[intpk]
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"),
                                          index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # None while the request is under way; left so when the worker stopped before an answer.
    duration_ms: Mapped[int | None]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(300))


class AlertScan(Base):
    """Changes already turned into alerts, above the watermark in `AlertCursor`.

    Change ids are handed out as transactions start writing, not as they commit, so a
    change may appear after a later-numbered one: a single "last id done" would skip
    it. Ids done are kept here until every lower id is done (or, for an id never seen,
    long enough has passed that its transaction must have ended)."""

    __tablename__ = "alert_scan"
    change_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertCursor(Base):
    """One row: every change up to `change_id` has been turned into alerts."""

    __tablename__ = "alert_cursor"
    id: Mapped[intpk]
    change_id: Mapped[int] = mapped_column(default=0)


class FeedKey(Base):
    """What a user's private feed address is made from: rotating the salt gives a new
    address and ends the old one."""

    __tablename__ = "feed_key"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
