"""The registry of kinds of rows. Each kind declares only what is its own: model, columns,
filter dimensions, search fields, related sections. Lists, facets, detail pages, CSV and
the API are built from these declarations by one set of queries, routes and templates.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from app.plan import columns as c
from app.plan import places
from app.plan.filters import BaseFilters, Dim, filter_model
from app.plan.models import (
    Asset,
    Base,
    Citation,
    Demand,
    Deployment,
    Event,
    ForceLevel,
    Plan,
    Site,
    Source,
    Stakeholder,
    Stance,
    demand_raiser,
    deployment_site,
    event_participant,
)
from app.plan.quantities import format_range
from app.plan.vocab import (
    AssetType,
    Certainty,
    DemandStatus,
    Disputed,
    ForceLevelKind,
    Position,
    Posture,
    Precision,
    Reliability,
    SiteBasis,
    SiteKind,
    SourceKind,
    Stage,
    StakeholderKind,
    Status,
)


@dataclass(frozen=True)
class Kind:
    slug: str
    singular: str
    plural: str
    model: type[Base]
    columns: Sequence[c.Col]
    dims: Sequence[Dim] = ()
    search: Sequence[ColumnElement] = ()  # texts searched besides the columns' own words
    default_sort: str = "id"
    options: Sequence[Any] = ()
    title: Callable[[Any], str] = str
    related: Sequence[c.Related] = ()
    description: str = ""
    cited: bool = True  # rows of this kind carry citations to sources
    unique: Sequence[str] = ()  # fields that no two rows share (compared ignoring case)
    listing: str = "rows/_table.html"  # the template that shows a page of rows
    dated: ColumnElement | None = None  # filterable by a date range (`since`, `until`)
    views: Sequence[tuple[str, str]] = ()  # other pages showing these rows: (label, path)
    # Fields worked out from the row's other values when not given (name -> the rule, as
    # documented), and what fills them in and writes values in their one form, on input.
    inferred: Mapping[str, str] | None = None
    settle: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def subject_type(self) -> str:
        return self.model.__tablename__

    @property
    def a_singular(self) -> str:
        """'an asset', 'an event', 'a site'."""
        return f"{'an' if self.singular[0] in 'aeiou' else 'a'} {self.singular}"

    @cached_property
    def table_columns(self) -> list[c.Col]:
        return [col for col in self.columns if col.in_table]

    @cached_property
    def sort_keys(self) -> list[str]:
        return [col.key for col in self.columns if col.sortable]

    @cached_property
    def filters(self) -> type[BaseFilters]:
        name = "".join(part.title() for part in self.slug.split("-")) + "Filters"
        return filter_model(name, list(self.dims), self.sort_keys, dated=self.dated is not None)

    def record(self, row: Any) -> dict[str, Any]:
        """The row as exported data: the fields of the CSV and of the API."""
        out: dict[str, Any] = {"id": row.id}
        for col in self.columns:
            for export in col.exports:
                out[export.name] = export.get(row)
        return out


def _stakeholder_country(table: Any, fk: Any) -> Callable:
    return lambda: (
        select(table.id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == fk)
        .where(Stakeholder.country_code.is_not(None))
    )


def _demand_countries():
    # A demand involves the countries raising it and the one it is addressed to.
    return union_all(
        _stakeholder_country(Demand, Demand.raised_by_id)(),
        select(demand_raiser.c.demand_id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == demand_raiser.c.stakeholder_id)
        .where(Stakeholder.country_code.is_not(None)),
        select(Demand.id.label("id"), Demand.addressed_to_code.label("value")).where(
            Demand.addressed_to_code.is_not(None)),
    ).subquery().select()


def _site_asset_types():
    return select(Asset.site_id.label("id"), Asset.asset_type.label("value")).where(
        Asset.site_id.is_not(None)
    )


def _event_countries():
    return (
        select(event_participant.c.event_id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == event_participant.c.stakeholder_id)
        .where(Stakeholder.country_code.is_not(None))
    )


def _cited_by(kind_model: type[Base]) -> Callable[[Source], ColumnElement]:
    return lambda source: kind_model.id.in_(
        select(Citation.subject_id).where(
            Citation.subject_type == kind_model.__tablename__, Citation.source_id == source.id
        )
    )


def _disputed(model: Any) -> Dim:
    return Dim("disputed", "Disputed", Disputed,
               column=case((model.disputed, Disputed.YES.value), else_=Disputed.NO.value))


def _fact(model: type[Base]) -> list[c.Col]:
    """Columns every fact row has: how sure we are and when it was last checked."""
    return [
        c.vocab("certainty", "Certainty", Certainty, in_table=False),
        c.day("verified_on", "Last verified", model.verified_on, in_table=False),
    ]


# --- The kinds ---

PLANS = Kind(
    "plans", "plan", "Plans", Plan,
    title=lambda r: r.title,
    description="Proposals for a force, with their mandate and command arrangement.",
    columns=[
        c.text("title", "Plan", sort=Plan.title, link=True),
        c.country("proposer", "Proposed by", "proposer_code"),
        c.vocab("status", "Status", Status, sort=Plan.status),
        c.day("first_reported_on", "First reported", Plan.first_reported_on),
        c.text("summary", "Summary", in_table=False),
        c.text("mandate", "Mandate", in_table=False),
        c.text("command_arrangement", "Command", in_table=False),
        *_fact(Plan),
    ],
    dims=[Dim("country", "Proposer", column=Plan.proposer_code),
          Dim("status", "Status", Status, column=Plan.status)],
    search=[Plan.title, Plan.summary, Plan.mandate],
    default_sort="title",
    unique=("title",),
    related=[
        c.Related("Force levels", "force-levels", lambda p: ForceLevel.plan_id == p.id),
        c.Related("Deployments", "deployments", lambda p: Deployment.plan_id == p.id),
        c.Related("Assets", "assets", lambda p: Asset.plan_id == p.id),
        c.Related("Stances", "stances", lambda p: Stance.plan_id == p.id),
    ],
)

FORCE_LEVELS = Kind(
    "force-levels", "force level", "Force levels", ForceLevel,
    title=lambda r: f"{r.kind.label}: {format_range(r.troops_low, r.troops_high)} troops",
    description="Headline troop figures: what is proposed, what is requested.",
    columns=[
        c.vocab("kind", "Figure", ForceLevelKind, sort=ForceLevel.kind, link=True),
        c.quantity("troops", "Troops", ForceLevel.troops_low, ForceLevel.troops_high),
        c.ref("advocate", "Advocated by", "advocate", "stakeholders"),
        c.country("country", "Country", "country_code", sort=ForceLevel.country_code),
        c.day("as_of", "As of", ForceLevel.as_of),
        c.ref("plan", "Plan", "plan", "plans", name="title", in_table=False),
        c.text("note", "Note"),
        c.claims(),
        *_fact(ForceLevel),
    ],
    dims=[Dim("country", "Country", column=ForceLevel.country_code),
          Dim("kind", "Figure", ForceLevelKind, column=ForceLevel.kind),
          _disputed(ForceLevel)],
    search=[ForceLevel.note],
    default_sort="-troops",
    options=[selectinload(ForceLevel.advocate), selectinload(ForceLevel.plan)],
)

STAKEHOLDERS = Kind(
    "stakeholders", "stakeholder", "Stakeholders", Stakeholder,
    title=lambda r: r.name,
    description="People, governments and organisations with a part in the plan.",
    columns=[
        c.text("name", "Name", sort=Stakeholder.name, link=True),
        c.text("title", "Title", sort=Stakeholder.title),
        c.vocab("kind", "Kind", StakeholderKind, sort=Stakeholder.kind, ordered=False),
        c.country("country", "Country", "country_code", sort=Stakeholder.country_code),
        *_fact(Stakeholder),
    ],
    dims=[Dim("country", "Country", column=Stakeholder.country_code),
          Dim("kind", "Kind", StakeholderKind, column=Stakeholder.kind)],
    search=[Stakeholder.name, Stakeholder.title],
    default_sort="name",
    unique=("name",),
    related=[
        c.Related("Stances", "stances", lambda s: Stance.stakeholder_id == s.id),
        c.Related("Demands raised", "demands", lambda s: or_(
            Demand.raised_by_id == s.id, Demand.also_raised_by.any(Stakeholder.id == s.id))),
        c.Related("Events", "events", lambda s: Event.participants.any(Stakeholder.id == s.id)),
        c.Related("Force levels advocated", "force-levels",
                  lambda s: ForceLevel.advocate_id == s.id),
    ],
)

STANCES = Kind(
    "stances", "stance", "Stances", Stance,
    title=lambda r: f"{r.stakeholder.name}: {r.position.label.lower()} {r.subject}",
    description="Where each stakeholder stands, and on what.",
    columns=[
        c.ref("stakeholder", "Stakeholder", "stakeholder", "stakeholders"),
        c.vocab("position", "Position", Position, sort=Stance.position),
        c.text("subject", "On", sort=Stance.subject, link=True),
        c.text("summary", "Summary"),
        c.day("as_of", "As of", Stance.as_of),
        *_fact(Stance),
    ],
    dims=[Dim("country", "Country", pairs=_stakeholder_country(Stance, Stance.stakeholder_id)),
          Dim("position", "Position", Position, column=Stance.position)],
    search=[Stance.subject, Stance.summary],
    default_sort="position",
    options=[selectinload(Stance.stakeholder)],
)

DEMANDS = Kind(
    "demands", "demand", "Demands", Demand,
    title=lambda r: r.title,
    description="Conditions and demands raised in the negotiations, by whom, to whom.",
    columns=[
        c.text("title", "Demand", sort=Demand.title, link=True),
        c.ref("raised_by", "Raised by", "raised_by", "stakeholders"),
        c.ref("also_raised_by", "With", "also_raised_by", "stakeholders", many=True,
              empty="no one else"),
        c.country("addressed_to", "Addressed to", "addressed_to_code",
                  sort=Demand.addressed_to_code),
        c.vocab("status", "Status", DemandStatus, sort=Demand.status),
        c.day("as_of", "As of", Demand.as_of),
        c.text("detail", "Detail", in_table=False),
        *_fact(Demand),
    ],
    dims=[Dim("country", "Raised by or addressed to", pairs=_demand_countries),
          Dim("status", "Status", DemandStatus, column=Demand.status)],
    search=[Demand.title, Demand.detail],
    default_sort="title",
    options=[selectinload(Demand.raised_by), selectinload(Demand.also_raised_by)],
)

SITES = Kind(
    "sites", "site", "Sites", Site,
    title=lambda r: r.name,
    description="Positions where troops or assets would stand. Candidate sites are not named "
    "in reporting.",
    columns=[
        c.text("name", "Site", sort=Site.name, link=True),
        c.vocab("kind", "Kind", SiteKind, sort=Site.kind, ordered=False),
        c.vocab("basis", "Basis", SiteBasis, sort=Site.basis),
        c.country("country", "Country", "country_code", sort=Site.country_code),
        c.vocab("precision", "Location known to", Precision, sort=Site.precision),
        c.text("region_code", "Region (ISO 3166-2)", in_table=False),
        c.text("region_name", "Region name", in_table=False),
        c.number("latitude", "Latitude"),
        c.number("longitude", "Longitude"),
        c.text("note", "Note"),
        *_fact(Site),
    ],
    dims=[Dim("country", "Country (host, or of troops or assets there)",
              pairs=places.site_countries),
          Dim("asset_type", "Asset type", AssetType, pairs=_site_asset_types),
          Dim("kind", "Kind", SiteKind, column=Site.kind),
          Dim("basis", "Basis", SiteBasis, column=Site.basis),
          Dim("precision", "Location known to", Precision, column=Site.precision)],
    search=[Site.name, Site.note, Site.kind],
    default_sort="name",
    unique=("name", "country_code"),
    inferred={"precision": places.PRECISION_RULE}, settle=places.settle,
    views=[("Map", "/map")],
    related=[
        c.Related("Deployments", "deployments", lambda s: Deployment.id.in_(
            select(deployment_site.c.deployment_id).where(deployment_site.c.site_id == s.id))),
        c.Related("Assets", "assets", lambda s: Asset.site_id == s.id),
    ],
)

DEPLOYMENTS = Kind(
    "deployments", "deployment", "Deployments", Deployment,
    title=lambda r: r.role,
    description="Troop contingents: who contributes, how many, where, in what status.",
    columns=[
        c.text("role", "Contingent", sort=Deployment.role, link=True),
        c.country("country", "Contributor", "country_code", note="country_note",
                  sort=Deployment.country_code),
        c.quantity("troops", "Troops", Deployment.troops_low, Deployment.troops_high),
        c.vocab("stage", "Stage", Stage, sort=Deployment.stage),
        c.ref("sites", "Sites", "sites", "sites", many=True),
        c.text("condition", "Condition", in_table=False),
        c.ref("condition_demand", "Depends on demand", "condition_demand", "demands",
              name="title", in_table=False, empty="none"),
        c.ref("plan", "Plan", "plan", "plans", name="title", in_table=False),
        c.claims(),
        *_fact(Deployment),
    ],
    dims=[Dim("country", "Contributor", column=Deployment.country_code),
          Dim("stage", "Stage", Stage, column=Deployment.stage),
          _disputed(Deployment)],
    search=[Deployment.role, Deployment.country_note, Deployment.condition, Deployment.stage],
    default_sort="-troops",
    options=[selectinload(Deployment.sites), selectinload(Deployment.plan),
             joinedload(Deployment.condition_demand)],
)

ASSETS = Kind(
    "assets", "asset", "Assets", Asset,
    title=lambda r: f"{r.asset_type.label} ({r.country_code or 'operator unspecified'})",
    description="Monitoring and backstop assets: aircraft, drones, surveillance, jets, missiles.",
    columns=[
        c.vocab("asset_type", "Asset type", AssetType, sort=Asset.asset_type, link=True,
                ordered=False),
        c.country("country", "Operator", "country_code", note="country_note",
                  sort=Asset.country_code),
        c.quantity("quantity", "Quantity", Asset.quantity_low, Asset.quantity_high),
        c.vocab("posture", "Posture", Posture, sort=Asset.posture, ordered=False),
        c.vocab("stage", "Stage", Stage, sort=Asset.stage),
        c.ref("site", "Based at", "site", "sites"),
        c.text("role", "Role", sort=Asset.role, in_table=False),
        c.text("condition", "Condition", in_table=False),
        c.ref("condition_demand", "Depends on demand", "condition_demand", "demands",
              name="title", in_table=False, empty="none"),
        c.ref("plan", "Plan", "plan", "plans", name="title", in_table=False),
        c.claims(),
        *_fact(Asset),
    ],
    dims=[Dim("country", "Operator", column=Asset.country_code),
          Dim("asset_type", "Asset type", AssetType, column=Asset.asset_type),
          Dim("posture", "Posture", Posture, column=Asset.posture),
          Dim("stage", "Stage", Stage, column=Asset.stage),
          _disputed(Asset)],
    search=[Asset.role, Asset.country_note, Asset.condition, Asset.asset_type, Asset.posture,
            Asset.stage],
    default_sort="asset_type",
    options=[selectinload(Asset.site), selectinload(Asset.plan),
             joinedload(Asset.condition_demand)],
)

EVENTS = Kind(
    "events", "event", "Events", Event,
    title=lambda r: r.title,
    description="Dated happenings, as precisely as the reporting dates them.",
    columns=[
        c.day("happened_on", "Date", Event.happened_on, precision="precision"),
        c.text("title", "Event", sort=Event.title, link=True),
        c.ref("participants", "Participants", "participants", "stakeholders", many=True),
        c.text("location", "Where"),
        c.text("summary", "Summary", in_table=False),
        *_fact(Event),
    ],
    dims=[Dim("country", "Participant country", pairs=_event_countries)],
    search=[Event.title, Event.summary, Event.location],
    default_sort="-happened_on",
    options=[selectinload(Event.participants)],
    dated=Event.happened_on,
    listing="kinds/events_timeline.html",
)

SOURCES = Kind(
    "sources", "source", "Sources", Source,
    title=lambda r: r.title,
    description="The documents behind every figure.",
    cited=False,
    columns=[
        c.text("title", "Title", sort=Source.title, link=True),
        c.text("publisher", "Outlet or publisher", sort=Source.publisher),
        c.text("author", "Author", sort=Source.author, in_table=False),
        c.day("published_on", "Published", Source.published_on),
        c.vocab("kind", "Kind", SourceKind, sort=Source.kind, ordered=False),
        c.vocab("reliability", "Reliability", Reliability, sort=Source.reliability),
        c.text("language", "Language", in_table=False, searched=False),
        c.moment("retrieved_at", "Retrieved", in_table=False),
        c.text("sha256", "SHA-256 of the text", in_table=False, searched=False),
        c.ref("cited_in", "Known through", "cited_in", "sources", name="title",
              empty="held directly"),
        c.text("url", "URL", in_table=False, searched=False),
        c.text("note", "Note", in_table=False),
    ],
    dims=[Dim("kind", "Kind", SourceKind, column=Source.kind),
          Dim("reliability", "Reliability", Reliability, column=Source.reliability)],
    search=[Source.title, Source.publisher, Source.author, Source.text],
    default_sort="-published_on",
    unique=("title",),
    options=[selectinload(Source.cited_in)],
    related=[
        c.Related(label, slug, _cited_by(model))
        for label, slug, model in [
            ("Plans", "plans", Plan), ("Force levels", "force-levels", ForceLevel),
            ("Deployments", "deployments", Deployment), ("Assets", "assets", Asset),
            ("Sites", "sites", Site), ("Stakeholders", "stakeholders", Stakeholder),
            ("Stances", "stances", Stance), ("Demands", "demands", Demand),
            ("Events", "events", Event),
        ]
    ],
)

KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (DEPLOYMENTS, ASSETS, SITES, STAKEHOLDERS, STANCES, DEMANDS, EVENTS, FORCE_LEVELS,
              PLANS, SOURCES)
}
#: The kinds shown in the navigation, in order.
NAV = ["deployments", "assets", "sites", "stakeholders", "stances", "demands", "events",
       "force-levels", "plans", "sources"]

