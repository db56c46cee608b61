"""The plan as tables. Alembic owns the schema built from this metadata."""

from datetime import UTC, date, datetime
from typing import Annotated

from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from app.plan.vocab import (
    AssetType,
    Certainty,
    Credibility,
    DatePrecision,
    DemandStatus,
    ForceLevelKind,
    Position,
    Posture,
    Precision,
    Rank,
    Reliability,
    SiteBasis,
    SiteKind,
    SourceKind,
    Stage,
    StakeholderKind,
    Status,
    Vocab,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives it back without a zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def vocab(enum: type[Vocab]) -> Enum:
    # Stored as the slug in a plain VARCHAR: new values need no ALTER TYPE on PostgreSQL.
    return Enum(
        enum,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=False,
        length=32,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)}>"


intpk = Annotated[int, mapped_column(primary_key=True)]
country_fk = Annotated[
    str | None, mapped_column(String(2), ForeignKey("country.code"), index=True)
]


class Versioned:
    """A row editors change: its version goes up on every update, and an update based on
    an older version fails instead of overwriting a colleague's edit unseen."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class Fact(Versioned):
    """Columns every fact row shares: a stable seed key, how sure we are, and when."""

    key: Mapped[str] = mapped_column(String(80), unique=True)
    certainty: Mapped[Certainty] = mapped_column(vocab(Certainty), default=Certainty.REPORTED)
    verified_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Country(Base):
    __tablename__ = "country"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    nato: Mapped[bool] = mapped_column(default=False)
    eu: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class Source(Versioned, Base):
    __tablename__ = "source"
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[SourceKind] = mapped_column(vocab(SourceKind))
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))  # the outlet
    author: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[date | None]
    url: Mapped[str | None] = mapped_column(String(500))
    # When the text was read at the URL: with the fingerprint, a later change there shows.
    retrieved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(35))  # a BCP 47 tag: en, uk, fr-CA
    # F ("cannot be judged") until someone grades the outlet: no grade is not a good grade.
    reliability: Mapped[Reliability] = mapped_column(
        vocab(Reliability), default=Reliability.F, server_default=Reliability.F.value)
    text: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of `text` as UTF-8
    note: Mapped[str | None] = mapped_column(Text)
    cited_in_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))
    cited_in: Mapped["Source | None"] = relationship(remote_side="Source.id")

    @property
    def outlet(self) -> str:
        """Who published it, as every citation names it."""
        return self.publisher or "unnamed outlet"


class Citation(Versioned, Base):
    """A link from one fact row (any kind) to a source, with the words that support it.

    The quote is anchored in the source's text by the words just before and after it, as
    a W3C TextQuoteSelector does, so the same words said twice are told apart. A citation
    that names a `field` is a claim: what this source says that figure (or stage) is,
    graded and ranked against the other claims about it (`app.evidence.claims`).
    """

    __tablename__ = "citation"
    __table_args__ = (
        # With the source: which sources a set of rows cites is read from the index alone.
        Index("ix_citation_subject_source", "subject_type", "subject_id", "source_id"),
        Index("ix_citation_source", "source_id"),
    )
    id: Mapped[intpk]
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    quote: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(String(64))
    suffix: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(40))
    low: Mapped[int | None]
    high: Mapped[int | None]
    best: Mapped[int | None]
    stage: Mapped[Stage | None] = mapped_column(vocab(Stage))
    claimed_on: Mapped[date | None]
    credibility: Mapped[Credibility] = mapped_column(
        vocab(Credibility), default=Credibility.CANNOT_JUDGE,
        server_default=Credibility.CANNOT_JUDGE.value)
    rank: Mapped[Rank] = mapped_column(vocab(Rank), default=Rank.NORMAL,
                                       server_default=Rank.NORMAL.value)
    rank_reason: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[Source] = relationship(lazy="joined")

    @property
    def is_claim(self) -> bool:
        return self.field is not None


class Claimed:
    """A row whose figures are the outcome of claims: the figures shown, and these two
    columns, are kept from its claims by `app.evidence.claims.settle`."""

    disputed: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    claim_count: Mapped[int] = mapped_column(default=0, server_default="0")


class Plan(Fact, Base):
    __tablename__ = "plan"
    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    proposer_code: Mapped[country_fk]
    status: Mapped[Status] = mapped_column(vocab(Status))
    first_reported_on: Mapped[date | None]
    mandate: Mapped[str | None] = mapped_column(Text)
    command_arrangement: Mapped[str | None] = mapped_column(Text)


class Stakeholder(Fact, Base):
    __tablename__ = "stakeholder"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[StakeholderKind] = mapped_column(vocab(StakeholderKind))
    country_code: Mapped[country_fk]
    title: Mapped[str | None] = mapped_column(String(200))


class ForceLevel(Claimed, Fact, Base):
    __tablename__ = "force_level"
    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[ForceLevelKind] = mapped_column(vocab(ForceLevelKind))
    troops_low: Mapped[int | None]
    troops_high: Mapped[int | None]
    troops_best: Mapped[int | None]
    advocate_id: Mapped[int | None] = mapped_column(ForeignKey("stakeholder.id"))
    country_code: Mapped[country_fk]
    as_of: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[Plan] = relationship()
    advocate: Mapped[Stakeholder | None] = relationship()


class Stance(Fact, Base):
    __tablename__ = "stance"
    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    stakeholder_id: Mapped[int] = mapped_column(ForeignKey("stakeholder.id"), index=True)
    position: Mapped[Position] = mapped_column(vocab(Position))
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date | None]
    stakeholder: Mapped[Stakeholder] = relationship()


demand_raiser = Table(
    "demand_raiser",
    Base.metadata,
    Column("demand_id", ForeignKey("demand.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "stakeholder_id", ForeignKey("stakeholder.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Demand(Fact, Base):
    __tablename__ = "demand"
    id: Mapped[intpk]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("stakeholder.id"), index=True)
    addressed_to_code: Mapped[country_fk]
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DemandStatus] = mapped_column(vocab(DemandStatus))
    as_of: Mapped[date | None]
    raised_by: Mapped[Stakeholder] = relationship()
    # Others the reporting names as raising it with the first (Rubio with Waltz, say).
    also_raised_by: Mapped[list[Stakeholder]] = relationship(
        secondary=demand_raiser, order_by=Stakeholder.name)


class Site(Fact, Base):
    __tablename__ = "site"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(vocab(SiteKind))
    basis: Mapped[SiteBasis] = mapped_column(vocab(SiteBasis))
    country_code: Mapped[country_fk]
    precision: Mapped[Precision] = mapped_column(vocab(Precision), default=Precision.UNKNOWN,
                                                 server_default=Precision.UNKNOWN.value)
    # ISO 3166-2 (UA-51, Odesa oblast); a region without borders of its own ("Eastern
    # Europe") has only a name.
    region_code: Mapped[str | None] = mapped_column(String(10))
    region_name: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(Text)


deployment_site = Table(
    "deployment_site",
    Base.metadata,
    Column("deployment_id", ForeignKey("deployment.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Deployment(Claimed, Fact, Base):
    __tablename__ = "deployment"
    # One index per facet direction (the country facet filters on stage, and the
    # reverse), holding the troop figures so the overview's sums read only the index. The
    # first is in the order of the per-version tally's GROUP BY (`app.browse.tallies`), so
    # that tally is one ordered scan of the index, with no sort.
    __table_args__ = (
        Index("ix_deployment_tally", "country_code", "stage", "disputed", "troops_low",
              "troops_high"),
        Index("ix_deployment_stage_country", "stage", "country_code", "troops_low",
              "troops_high"),
        Index("ix_deployment_country_troops", "country_code", "troops_low", "troops_high"),
    )
    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    country_note: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(300))
    troops_low: Mapped[int | None]
    troops_high: Mapped[int | None]
    troops_best: Mapped[int | None]
    stage: Mapped[Stage] = mapped_column(vocab(Stage))
    condition: Mapped[str | None] = mapped_column(Text)
    # The demand a conditional contribution waits on (the US backstop, say).
    condition_demand_id: Mapped[int | None] = mapped_column(ForeignKey("demand.id"))
    plan: Mapped[Plan] = relationship()
    condition_demand: Mapped[Demand | None] = relationship()
    sites: Mapped[list[Site]] = relationship(secondary=deployment_site, order_by=Site.name)


class Asset(Claimed, Fact, Base):
    __tablename__ = "asset"
    # One index per facet direction (the country facet filters on asset type, and the
    # reverse), holding the quantities so the overview's sums read only the index. The
    # first is in the order of the per-version tally's GROUP BY (`app.browse.tallies`).
    __table_args__ = (
        Index("ix_asset_tally", "country_code", "asset_type", "posture", "stage", "disputed",
              "quantity_low", "quantity_high"),
        Index("ix_asset_type_country", "asset_type", "country_code", "quantity_low",
              "quantity_high"),
    )
    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    country_note: Mapped[str | None] = mapped_column(String(200))
    asset_type: Mapped[AssetType] = mapped_column(vocab(AssetType), index=True)
    quantity_low: Mapped[int | None]
    quantity_high: Mapped[int | None]
    quantity_best: Mapped[int | None]
    posture: Mapped[Posture] = mapped_column(vocab(Posture))
    stage: Mapped[Stage] = mapped_column(vocab(Stage), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    role: Mapped[str] = mapped_column(String(300))
    condition: Mapped[str | None] = mapped_column(Text)
    condition_demand_id: Mapped[int | None] = mapped_column(ForeignKey("demand.id"))
    plan: Mapped[Plan] = relationship()
    condition_demand: Mapped[Demand | None] = relationship()
    site: Mapped[Site | None] = relationship()


event_participant = Table(
    "event_participant",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "stakeholder_id", ForeignKey("stakeholder.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Event(Fact, Base):
    __tablename__ = "event"
    id: Mapped[intpk]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    happened_on: Mapped[date | None] = mapped_column(index=True)
    precision: Mapped[DatePrecision] = mapped_column(vocab(DatePrecision))
    location: Mapped[str | None] = mapped_column(String(200))
    participants: Mapped[list[Stakeholder]] = relationship(
        secondary=event_participant, order_by=Stakeholder.name
    )
