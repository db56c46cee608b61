"""Figures for the overview: headline troop levels, troops by contributor, assets by type.

Every panel filters with its kind's own filter (the same `country` dimension as the list
pages), so the overview narrowed to a country agrees with the lists narrowed the same way.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.browse import queries
from app.plan import kinds
from app.plan.filters import BaseFilters, FilterQuery
from app.plan.models import Asset, Citation, Deployment, ForceLevel, Source
from app.plan.quantities import Range, largest_first
from app.plan.vocab import (
    PLEDGED_STAGES,
    AssetType,
    CountryCode,
    ForceLevelKind,
    Position,
    Stage,
    country_name,
)

#: Kinds whose rows make up "a country's part in the plan" on the overview.
PANEL_KINDS = (kinds.DEPLOYMENTS, kinds.ASSETS, kinds.STANCES, kinds.DEMANDS, kinds.EVENTS)


class OverviewFilters(FilterQuery, BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    country: list[CountryCode] = []


@dataclass
class Headline:
    label: str
    troops: Range
    detail: str
    sources: list[Source] = field(default_factory=list)
    href: str | None = None
    figure: str | None = None  # replaces the range where there is no figure to show
    citations: list[Citation] = field(default_factory=list)  # for a single row's figure
    disputed: int = 0


@dataclass(frozen=True)
class Gap:
    """How far the proposal falls short of the request, where both are exact figures: a
    share of a range would be a made-up point."""

    proposed: int
    requested: int

    @property
    def percent(self) -> int:
        return round(100 * self.proposed / self.requested)

    @property
    def short(self) -> int:
        return self.requested - self.proposed


def gap(levels: Sequence[Headline]) -> Gap | None:
    by_label = {h.label: h.troops for h in levels}
    proposed = by_label.get(ForceLevelKind.PROPOSED.label)
    requested = by_label.get(ForceLevelKind.REQUESTED.label)
    if not proposed or not requested:
        return None
    if proposed.low is None or proposed.low != proposed.high:
        return None
    if not requested.low or requested.low != requested.high:
        return None
    return Gap(proposed.low, requested.low)


@dataclass
class Group:
    key: str | None
    label: str
    rows: int
    amount: Range
    unknown: int
    sources: list[Source]
    href: str | None
    disputed: int = 0


@dataclass
class Overview:
    levels: list[Headline]  # the plan-wide proposed and requested figures
    headlines: list[Headline]
    stages: list[Group]  # troops by stage of the contributions
    troops_by_contributor: list[Group]
    assets_by_type: list[Group]
    # By what they are about, then by position: stances on different subjects never add up.
    stances: dict[str, dict[Position, list[Any]]]
    demands: queries.Page
    events: queries.Page
    stance_citations: dict[int, list[Citation]]

    @property
    def gap(self) -> "Gap | None":
        return gap(self.levels)

    @property
    def pledged(self) -> Headline | None:
        """The pledged figure: the headline after the plan-wide levels."""
        after = self.headlines[len(self.levels):]
        return after[0] if after else None


def _filters(kind: kinds.Kind, filters: OverviewFilters, **extra: Any):
    return kind.filters(country=filters.country, **extra)


def _groups(session: Session, kind: kinds.Kind, narrowed: BaseFilters, key, low, high,
            label, href, sources: bool) -> list[Group]:
    cited = queries.sources_by(session, kind=kind, filters=narrowed, key=key) if sources else {}
    return [
        Group(g.key, label(g.key), g.rows, Range(g.low, g.high), g.unknown,
              cited.get(g.key, []), href(g.key), g.disputed)
        for g in queries.sums_by(session, kind=kind, filters=narrowed, key=key, low=low,
                                 high=high)
    ]


def troops_by_contributor(session: Session, narrowed: BaseFilters,
                          sources: bool = True) -> list[Group]:
    """Troops per contributing country, under a deployments filter (with the sources cited
    for each, unless `sources` is false: a chart needs only the figures)."""
    return _groups(
        session, kinds.DEPLOYMENTS, narrowed, Deployment.country_code, Deployment.troops_low,
        Deployment.troops_high,
        label=lambda code: country_name(code) if code else "Contributors not specified",
        href=lambda code: f"/deployments?country={code}" if code else None, sources=sources,
    )


def asset_type_href(narrowed: BaseFilters):
    """Links to the assets list of one type, under the rest of an assets filter."""
    return lambda slug: "/assets" + narrowed.query(asset_type=[slug], page=None)


def assets_by_type(session: Session, narrowed: BaseFilters) -> list[Group]:
    """Asset quantities per type, under an assets filter, the largest quantity first (the
    order of the chart above the table)."""
    groups = _groups(
        session, kinds.ASSETS, narrowed, Asset.asset_type, Asset.quantity_low,
        Asset.quantity_high,
        label=lambda slug: AssetType(slug).label,
        href=asset_type_href(narrowed), sources=True,
    )
    return sorted(groups, key=lambda g: largest_first(g.amount, g.label))


def plan_levels(session: Session) -> list[Headline]:
    """The plan-wide figures: the latest proposed and requested force levels."""
    levels = session.scalars(
        select(ForceLevel).options(joinedload(ForceLevel.advocate))
        .order_by(ForceLevel.as_of.desc().nulls_last(), ForceLevel.id)
    ).all()
    cited = queries.citations(session=session, kind=kinds.FORCE_LEVELS,
                              ids=[lvl.id for lvl in levels])
    out = []
    for wanted in (ForceLevelKind.PROPOSED, ForceLevelKind.REQUESTED):
        level = next((lvl for lvl in levels if lvl.kind == wanted), None)
        if level is None:
            continue
        who = level.advocate.name if level.advocate else "unattributed"
        out.append(Headline(wanted.label, Range(level.troops_low, level.troops_high),
                            f"by {who}", href=f"/force-levels/{level.id}",
                            citations=cited.get(level.id, []),
                            disputed=int(level.disputed)))
    return out


def troops_by_stage(session: Session, narrowed: BaseFilters) -> list[Group]:
    """Troops per stage of the contingents, in the order a pledge moves through."""
    groups = _groups(
        session, kinds.DEPLOYMENTS, narrowed, Deployment.stage, Deployment.troops_low,
        Deployment.troops_high, label=lambda slug: Stage(slug).label,
        href=lambda slug: "/deployments" + narrowed.query(stage=[slug], page=None),
        sources=False)
    order = list(Stage)
    return sorted(groups, key=lambda g: order.index(Stage(g.key)))


def headlines(session: Session, filters: OverviewFilters, levels: list[Headline],
              stages: list[Group]) -> list[Headline]:
    """Proposed and requested (plan-wide figures), and what the chosen countries have
    pledged: committed, approved or deployed, never what is only floated or announced."""
    out = list(levels)
    scope = ", ".join(country_name(c) for c in filters.country) or "all contributors"
    pledges = _filters(kinds.DEPLOYMENTS, filters, stage=list(PLEDGED_STAGES))
    pledged = [g for g in stages if g.key in PLEDGED_STAGES]
    if not pledged:
        # Absence is not a figure: say what the sources hold instead of showing a 0.
        where = f" ({scope})" if filters.country else ""
        out.append(Headline("Pledged", Range(), f"no contingent committed, approved or "
                            f"deployed yet{where}: see the stages",
                            href="/deployments" + _filters(kinds.DEPLOYMENTS, filters).query(),
                            figure="None yet"))
        return out
    amount = Range(0, 0)
    for g in pledged:
        amount = amount + g.amount
    sources = {src.id: src for group in queries.sources_by(
        session, kind=kinds.DEPLOYMENTS, filters=pledges, key=Deployment.stage).values()
        for src in group}
    out.append(Headline(
        "Pledged", amount,
        f"{sum(g.rows for g in pledged)} contingent(s) committed, approved or deployed "
        f"({scope})", list(sources.values()), "/deployments" + pledges.query(),
        disputed=sum(g.disputed for g in pledged),
    ))
    return out


def country_choices(session: Session, filters: OverviewFilters) -> queries.Facet:
    """Countries with a part in the plan, counted as the rows the panels would show."""
    counts: dict[str, int] = {}
    for kind in PANEL_KINDS:
        facet = queries.facet(session, kind, kind.dims[0], kind.filters())
        for value in facet.values:
            counts[value.value] = counts.get(value.value, 0) + value.count
    chosen = {str(c) for c in filters.country}
    values = [
        queries.FacetValue(code, country_name(code), counts.get(code, 0), code in chosen)
        for code in counts.keys() | chosen
    ]
    values.sort(key=lambda v: (-v.count, v.label))
    return queries.Facet("country", "Country", values)


def overview(session: Session, filters: OverviewFilters) -> Overview:
    stance_page = queries.list_rows(session=session, kind=kinds.STANCES,
                                    filters=_filters(kinds.STANCES, filters, per_page=500),
                                    with_facets=False)
    board: dict[str, dict[Position, list[Any]]] = {}
    for stance in stance_page.rows:
        board.setdefault(stance.subject, {}).setdefault(stance.position, []).append(stance)
    order = list(Position)
    board = {subject: dict(sorted(by.items(), key=lambda item: order.index(item[0])))
             for subject, by in sorted(board.items(),
                                       key=lambda item: (-sum(map(len, item[1].values())),
                                                         item[0].lower()))}
    levels = plan_levels(session)
    stages = troops_by_stage(session, _filters(kinds.DEPLOYMENTS, filters))
    return Overview(
        levels=levels,
        headlines=headlines(session, filters, levels, stages),
        stages=stages,
        troops_by_contributor=troops_by_contributor(session,
                                                    _filters(kinds.DEPLOYMENTS, filters)),
        assets_by_type=assets_by_type(session, _filters(kinds.ASSETS, filters)),
        stances=board,
        demands=queries.list_rows(session=session, kind=kinds.DEMANDS,
                                  filters=_filters(kinds.DEMANDS, filters, per_page=20),
                                  with_facets=False),
        events=queries.list_rows(session=session, kind=kinds.EVENTS,
                                 filters=_filters(kinds.EVENTS, filters, per_page=5),
                                 with_facets=False),
        stance_citations=stance_page.citations,
    )


def cited_sources(o: Overview, points: Sequence[Any] = ()) -> list[Source]:
    """Every source behind the figures of an overview (and of map points), oldest first."""
    found: dict[int, Source] = {}
    for h in o.headlines:
        found.update((s.id, s) for s in h.sources)
        found.update((c.source.id, c.source) for c in h.citations)
    for g in (*o.troops_by_contributor, *o.assets_by_type):
        found.update((s.id, s) for s in g.sources)
    for cited in (o.stance_citations, o.demands.citations, o.events.citations,
                  *({p.site.id: p.citations} for p in points)):
        found.update((c.source.id, c.source) for group in cited.values() for c in group)
    return sorted(found.values(), key=lambda s: (s.published_on is None, s.published_on, s.id))
