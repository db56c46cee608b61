"""Figures for the overview: headline troop levels, troops by contributor, assets by type.

The panels reuse each kind's own filter (`queries.conditions`), so the overview narrowed
to a country agrees with the list pages narrowed the same way.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from app import kinds, queries
from app.filters import BaseFilters, CountryCode, country_name
from app.models import Asset, Citation, Deployment, ForceLevel, Site, Stakeholder
from app.quantities import Range, total
from app.vocab import PLEDGED_STATUSES, AssetType, ForceLevelKind, Position


class OverviewFilters(BaseFilters):
    country: list[CountryCode] = []


@dataclass
class Headline:
    label: str
    troops: Range
    detail: str
    citations: list[Citation] = field(default_factory=list)
    href: str | None = None
    figure: str | None = None  # replaces the range where there is no figure to show


@dataclass
class Group:
    key: str | None
    label: str
    rows: int
    amount: Range
    unknown: int


@dataclass
class Overview:
    headlines: list[Headline]
    troops_by_contributor: list[Group]
    assets_by_type: list[Group]
    stances: dict[Position, list[Any]]
    demands: queries.Page
    events: queries.Page
    citations: dict[str, dict[int, list[Citation]]]


def _kind_filters(kind: kinds.Kind, filters: OverviewFilters, **extra: Any) -> BaseFilters:
    return kind.filters(country=filters.country, **extra)


def _grouped(session: Session, kind: kinds.Kind, filters: OverviewFilters, key, low, high,
             extra=()) -> list[tuple]:
    where = [*queries.conditions(kind, _kind_filters(kind, filters)), *extra]
    stmt = (
        select(
            key,
            func.count(),
            func.sum(low),
            func.sum(high),
            func.sum(case((low.is_(None) & high.is_(None), 1), else_=0)),
            func.sum(case((high.is_(None), 1), else_=0)),
        )
        .where(*where)
        .group_by(key)
        .order_by(func.sum(high).desc().nulls_last(), key)
    )
    return list(session.execute(stmt))


def _group(key: str | None, label: str, n: int, low, high, unknown: int, open_high: int) -> Group:
    return Group(key, label, n, Range(low or None, None if open_high else high), unknown)


def troops_by_contributor(session: Session, filters: OverviewFilters) -> list[Group]:
    rows = _grouped(session, kinds.DEPLOYMENTS, filters, Deployment.country_code,
                    Deployment.troops_low, Deployment.troops_high)
    return [
        _group(code, country_name(code) if code else "Contributors not specified", *rest)
        for code, *rest in rows
    ]


def assets_by_type(session: Session, filters: OverviewFilters) -> list[Group]:
    rows = _grouped(session, kinds.ASSETS, filters, Asset.asset_type, Asset.quantity_low,
                    Asset.quantity_high)
    return [_group(str(t), AssetType(t).label, *rest) for t, *rest in rows]


def headlines(session: Session, filters: OverviewFilters) -> list[Headline]:
    levels = session.scalars(
        select(ForceLevel).order_by(ForceLevel.as_of.desc().nulls_last(), ForceLevel.id)
    ).all()
    cited = queries.citations(session=session, kind=kinds.FORCE_LEVELS,
                              ids=[lvl.id for lvl in levels])
    out = []
    for wanted in (ForceLevelKind.PROPOSED, ForceLevelKind.REQUESTED):
        level = next((lvl for lvl in levels if lvl.kind == wanted), None)
        if level is None:
            continue
        who = level.advocate.name if level.advocate else "unattributed"
        out.append(Headline(f"{wanted.label}", Range(level.troops_low, level.troops_high),
                            f"by {who}", cited.get(level.id, []),
                            f"/force-levels/{level.id}"))
    pledged_filter = _kind_filters(kinds.DEPLOYMENTS, filters, status=list(PLEDGED_STATUSES))
    pledged = queries.list_rows(session=session, kind=kinds.DEPLOYMENTS, filters=pledged_filter,
                                with_facets=False)
    scope = ", ".join(country_name(c) for c in filters.country) or "all contributors"
    href = "/deployments?" + "&".join(f"status={s}" for s in PLEDGED_STATUSES)
    if not pledged.total:
        # Absence is not a figure: say what the sources hold instead of showing a 0.
        out.append(Headline("Pledged", Range(), f"no pledge in any tracked source ({scope})",
                            href="/sources", figure="None reported"))
        return out
    out.append(Headline(
        "Pledged",
        total(Range(r.troops_low, r.troops_high) for r in pledged.rows),
        f"{pledged.total} contingent(s) pledged, confirmed or deployed ({scope})",
        [c for r in pledged.rows for c in pledged.citations.get(r.id, [])],
        href,
    ))
    return out


def country_choices(session: Session, filters: OverviewFilters) -> queries.Facet:
    """Countries with a part in the plan, each with the number of rows involving it."""
    parts = [
        select(Deployment.country_code.label("code")),
        select(Asset.country_code.label("code")),
        select(Site.country_code.label("code")),
        select(Stakeholder.country_code.label("code")),
    ]
    involved = union_all(*parts).subquery()
    stmt = (
        select(involved.c.code, func.count())
        .where(involved.c.code.is_not(None))
        .group_by(involved.c.code)
    )
    counts = dict(session.execute(stmt).all())
    chosen = set(filters.country)
    values = [
        queries.FacetValue(code, country_name(code), counts.get(code, 0), code in chosen)
        for code in counts.keys() | chosen
    ]
    values.sort(key=lambda v: (-v.count, v.label))
    return queries.Facet("country", "Country", values)


def overview(session: Session, filters: OverviewFilters) -> Overview:
    stance_page = queries.list_rows(
        session=session, kind=kinds.STANCES,
        filters=_kind_filters(kinds.STANCES, filters, per_page=500), with_facets=False)
    board: dict[Position, list[Any]] = {p: [] for p in Position}
    for stance in stance_page.rows:
        board[stance.position].append(stance)
    demands = queries.list_rows(session=session, kind=kinds.DEMANDS,
                                filters=_kind_filters(kinds.DEMANDS, filters, per_page=20),
                                with_facets=False)
    events = queries.list_rows(session=session, kind=kinds.EVENTS,
                               filters=_kind_filters(kinds.EVENTS, filters, per_page=5),
                               with_facets=False)
    return Overview(
        headlines=headlines(session, filters),
        troops_by_contributor=troops_by_contributor(session, filters),
        assets_by_type=assets_by_type(session, filters),
        stances={p: rows for p, rows in board.items() if rows},
        demands=demands,
        events=events,
        citations={"stances": stance_page.citations},
    )
