"""Every query of the app: lists with filters and facets, single rows, citations, exports.

Routes never build a select themselves. Each function runs a fixed number of statements,
whatever the number of rows.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    distinct,
    false,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, contains_eager

from app.browse import tallies
from app.browse.plain import Reads, citing_rows, plain_citations, plain_rows
from app.caching.memo import memo
from app.plan.filters import BaseFilters, Dim
from app.plan.kinds import KINDS, Kind
from app.plan.models import Asset, Citation, Deployment, Source, deployment_site
from app.search import index as search_index
from app.search.words import QueryProblem

# --- Filtering ---


def conditions(kind: Kind, filters: BaseFilters, skip: str | None = None) -> list[ColumnElement]:
    """WHERE clauses for a filter; `skip` leaves one dimension out (for its own facet)."""
    out: list[ColumnElement] = []
    for dim in kind.dims:
        values = filters.values(dim.param)
        if not values or dim.param == skip:
            continue
        if dim.column is not None:
            out.append(dim.column.in_([str(v) for v in values]))
        else:
            pairs = dim.pairs().subquery()
            ids = select(pairs.c.id).where(pairs.c.value.in_([str(v) for v in values]))
            out.append(kind.model.id.in_(ids))
    if kind.dated is not None:
        if filters.since:
            out.append(kind.dated >= filters.since)
        if filters.until:
            out.append(kind.dated <= filters.until)
    if filters.q:
        try:
            out.append(search_index.row_filter(kind, filters.q))
        except QueryProblem:  # the filter's own check already told the reader why
            out.append(false())
    return out


def sort_order(kind: Kind, sort: str | None) -> list[ColumnElement]:
    """ORDER BY for `sort` ('key' or '-key'); empty values last either way, on every
    database (SQLite would put NULLs first), and the id last so pages never overlap."""
    key = sort or kind.default_sort
    col = next((c for c in kind.columns if c.key == key.lstrip("-") and c.sortable), None)
    model_id = kind.model.id
    if col is None:
        return [model_id]
    descending = key.startswith("-")
    exprs = [(e.desc() if descending else e.asc()).nulls_last() for e in col.sort]
    return [*exprs, model_id.desc() if descending else model_id]


# --- Facets ---


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    param: str
    label: str
    values: list[FacetValue]


def facet(session: Session, kind: Kind, dim: Dim, filters: BaseFilters) -> Facet:
    """Counts per value of one dimension, under every other active filter: every value
    the data holds is listed, those no row matches with 0, so that a choice does not
    vanish when another filter leaves it empty. One statement still: rows are counted
    only where they match."""
    tally = tallies.TALLIES.get(kind.slug)
    if tally is not None and tally.answers(filters, [dim.param]):
        return facet_of(dim, tallies.counts(session, tally, filters, dim.param), filters)
    if tally is not None and dim.pairs is not None and tally.answers(filters):
        return facet_of(dim, tallies.pair_counts(session, tally, filters, dim), filters)
    where = conditions(kind, filters, skip=dim.param)
    if dim.column is not None:
        matching = case((and_(*where), 1)) if where else literal(1)
        stmt = (
            select(dim.column, func.count(matching))
            .select_from(kind.model)
            .where(dim.column.is_not(None))
            .group_by(dim.column)
        )
    else:
        pairs = dim.pairs().subquery()
        ids = pairs.c.id
        if where:
            ids = case((pairs.c.id.in_(select(kind.model.id).where(*where)), pairs.c.id))
        stmt = select(pairs.c.value, func.count(distinct(ids))).group_by(pairs.c.value)
    return facet_of(dim, {str(value): n for value, n in session.execute(stmt)}, filters)


def facets(session: Session, kind: Kind, filters: BaseFilters) -> list[Facet]:
    """Every dimension's facet, as `facet` counts each, in one statement: the per-dimension
    counts joined by UNION ALL, each tagged with its dimension (one round trip, and one
    statement to plan, instead of one per dimension)."""
    tally = tallies.TALLIES.get(kind.slug)
    if not kind.dims or (tally is not None and tally.answers(filters)):
        return [facet(session, kind, dim, filters) for dim in kind.dims]
    parts = []
    for i, dim in enumerate(kind.dims):
        where = conditions(kind, filters, skip=dim.param)
        tag = literal(i, Integer).label("dim")
        if dim.column is not None:
            matching = case((and_(*where), 1)) if where else literal(1)
            parts.append(
                select(tag, type_coerce(dim.column, String).label("value"),
                       func.count(matching).label("n"))
                .select_from(kind.model).where(dim.column.is_not(None)).group_by(dim.column))
        else:
            pairs = dim.pairs().subquery()
            ids = pairs.c.id
            if where:
                ids = case((pairs.c.id.in_(select(kind.model.id).where(*where)), pairs.c.id))
            parts.append(select(tag, type_coerce(pairs.c.value, String).label("value"),
                                func.count(distinct(ids)).label("n"))
                         .group_by(pairs.c.value))
    counts: list[dict[str, int]] = [{} for _ in kind.dims]
    for i, value, n in session.execute(union_all(*parts)):
        counts[i][str(value)] = n
    return [facet_of(dim, counts[i], filters) for i, dim in enumerate(kind.dims)]


def facet_of(dim: Dim, counts: dict[str, int], filters: BaseFilters) -> Facet:
    """A facet from counts per value (every value the data holds)."""
    selected = {str(v) for v in filters.values(dim.param)}
    values = [
        FacetValue(value, dim.label_of(value), counts.get(value, 0), value in selected)
        for value in sorted(counts.keys() | selected)
    ]
    values.sort(key=lambda v: (-v.count, v.label))
    return Facet(dim.param, dim.label, values)


# --- Lists ---


@dataclass
class Page:
    rows: Sequence[Any]
    total: int
    page: int
    per_page: int
    facets: list[Facet] = field(default_factory=list)
    citations: dict[int, list[Citation]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def past_end(self) -> bool:
        return self.page > self.pages


def _rows_stmt(kind: Kind, where: Sequence[ColumnElement], sort: str | None,
               options: Sequence[Any] | None = None) -> Select:
    stmt = select(kind.model).where(*where).order_by(*sort_order(kind, sort))
    return stmt.options(*(kind.options if options is None else options))


def list_rows(
    *,
    session: Session,
    kind: Kind,
    filters: BaseFilters,
    extra: Sequence[ColumnElement] = (),
    with_facets: bool = True,
    options: Sequence[Any] | None = None,
    reads: Reads | None = None,
) -> Page:
    """A page of rows under a filter, with its total, facets and citations; `options`
    loads what the page shows of each row (default: the kind's, for every use), or
    `reads` reads just that, as plain values (`plain_rows`)."""
    where = [*conditions(kind, filters), *extra]

    tally = tallies.TALLIES.get(kind.slug)

    def counts() -> tuple[int, list[Facet]]:
        if tally is not None and not extra and tally.answers(filters):
            # From the groups read once per data version: no statement for this filter.
            return tallies.total(session, tally, filters), [
                facet(session, kind, dim, filters) for dim in kind.dims] if with_facets else []
        total = session.scalar(select(func.count()).select_from(kind.model).where(*where)) or 0
        return total, facets(session, kind, filters) if with_facets else []

    if extra or not with_facets or (tally is not None and tally.answers(filters)):
        # Added up from the tally (microseconds): nothing worth keeping per filter.
        total, shown = counts()
    else:
        # Paging and sorting keep the same counts: cache them per filter and data version,
        # each entry's size counted by its facet values.
        key = (kind.slug, filters.query(page=None, sort=None, per_page=None))
        total, shown = memo(session, key, counts, size=lambda found: 1024 + 300 * sum(
            len(f.values) for f in found[1]))
    offset = (filters.page - 1) * filters.per_page
    if reads:
        # The page's ids first, then their rows: ids, filter and sort columns are all in
        # the kind's covering index, so only the page's rows are read from the table, not
        # every match of the filter only to be sorted and mostly skipped.
        order = sort_order(kind, filters.sort)
        ids = (select(kind.model.id).where(*where).order_by(*order)
               .limit(filters.per_page).offset(offset))
        rows = plain_rows(session, kind, ids, order, reads)
    else:
        stmt = _rows_stmt(kind, where, filters.sort, options)
        rows = session.scalars(stmt.limit(filters.per_page).offset(offset)).all()
    return Page(
        rows=rows,
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        facets=shown,
        citations=(plain_citations(session, kind, [r.id for r in rows]) if reads
                   else citations(session=session, kind=kind, ids=[r.id for r in rows])),
    )


MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id would be a database error, not a miss


def get_row(*, session: Session, kind: Kind, row_id: int) -> Any | None:
    if not 0 < row_id <= MAX_ID:
        return None
    stmt = select(kind.model).where(kind.model.id == row_id).options(*kind.options)
    return session.scalars(stmt).first()


def citations(*, session: Session, kind: Kind, ids: Sequence[int]) -> dict[int, list[Citation]]:
    if not kind.cited or not ids:
        return {}
    # A source's whole text is shown on its own page, never beside a citation.
    stmt = citing_rows(select(Citation), kind, ids).options(
        contains_eager(Citation.source).defer(Source.text))
    out: dict[int, list[Citation]] = defaultdict(list)
    for citation in session.scalars(stmt):
        out[citation.subject_id].append(citation)
    return out


def citing(session: Session, source_id: int) -> list[Citation]:
    """Every citation of one source, in the order they were made."""
    return list(session.scalars(select(Citation).where(Citation.source_id == source_id)
                                .order_by(Citation.id)))


def titles(session: Session, subjects: Sequence[tuple[str, int]]
           ) -> dict[tuple[str, int], tuple[str, str]]:
    """(kind slug, title) of rows named by (table, id), one query per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for table, row_id in subjects:
        wanted[table].add(row_id)
    out = {}
    for kind in KINDS.values():
        if ids := wanted.get(kind.subject_type):
            for row in session.scalars(select(kind.model).options(*kind.options)
                                       .where(kind.model.id.in_(ids))):
                out[(kind.subject_type, row.id)] = (kind.slug, kind.title(row))
    return out


# --- What stands at each site (the map) ---


@dataclass
class AtSites:
    deployments: dict[int, list[Deployment]] = field(default_factory=dict)
    assets: dict[int, list[Asset]] = field(default_factory=dict)
    shared: dict[int, int] = field(default_factory=dict)  # deployment id -> its sites


def at_sites(*, session: Session, site_ids: Sequence[int]) -> AtSites:
    """The deployments and assets at each of `site_ids`, in two statements."""
    out = AtSites(defaultdict(list), defaultdict(list))
    if not site_ids:
        return out
    links = deployment_site.alias()
    sites_of = (select(func.count()).select_from(links)
                .where(links.c.deployment_id == Deployment.id).scalar_subquery())
    stmt = (
        select(deployment_site.c.site_id, Deployment, sites_of)
        .join(Deployment, Deployment.id == deployment_site.c.deployment_id)
        .where(deployment_site.c.site_id.in_(site_ids))
        .order_by(Deployment.troops_high.desc().nulls_last(), Deployment.id)
    )
    for site_id, deployment, n_sites in session.execute(stmt):
        out.deployments[site_id].append(deployment)
        out.shared[deployment.id] = n_sites
    assets = select(Asset).where(Asset.site_id.in_(site_ids)).order_by(Asset.asset_type, Asset.id)
    for asset in session.scalars(assets):
        out.assets[asset.site_id].append(asset)
    return out


# --- Sums by group (the overview's panels) ---


@dataclass(frozen=True)
class GroupSum:
    key: Any
    rows: int
    low: int | None  # sum of the known lower bounds
    high: int | None  # sum of the upper bounds, None when any is open
    unknown: int  # rows with no figure at all
    disputed: int = 0  # rows whose claims disagree


def sums_by(session: Session, *, kind: Kind, filters: BaseFilters,
            key: ColumnElement | Sequence[ColumnElement], low: ColumnElement,
            high: ColumnElement, extra: Sequence[ColumnElement] = ()) -> list[GroupSum]:
    """Range sums of `low`..`high` per value of `key` (a tuple of values, for several key
    columns), largest first, under a filter."""
    keys = list(key) if isinstance(key, Sequence) else [key]
    tally = tallies.TALLIES.get(kind.slug)
    if tally is not None and not extra and low is tally.low and high is tally.high:
        params = [tally.param_of(k) for k in keys]
        if None not in params and tally.answers(filters, params):
            return [GroupSum(s.key, s.rows, s.low, s.high, s.unknown, s.disputed)
                    for s in tallies.sums(session, tally, filters, params)]
    disputed = getattr(kind.model, "disputed", None)
    stmt = (
        select(
            *keys,
            func.count(),
            func.sum(low),
            func.sum(high),
            func.sum(case((high.is_(None), 1), else_=0)),
            func.sum(case((low.is_(None) & high.is_(None), 1), else_=0)),
            func.sum(case((disputed, 1), else_=0)) if disputed is not None else literal(0),
        )
        .where(*conditions(kind, filters), *extra)
        .group_by(*keys)
        .order_by(func.sum(high).desc().nulls_last(), *keys)
    )
    return [
        GroupSum(tuple(row[:len(keys)]) if len(keys) > 1 else row[0], n, lo or None,
                 None if open_high else hi, unknown, disputed or 0)
        for row in session.execute(stmt)
        for n, lo, hi, open_high, unknown, disputed in [row[len(keys):]]
    ]


def counts_by(session: Session, *, kind: Kind, filters: BaseFilters,
              keys: Sequence[ColumnElement]) -> list[tuple[Any, ...]]:
    """Rows per combination of `keys` under a filter, as (key, ..., count) tuples."""
    stmt = (
        select(*keys, func.count())
        .select_from(kind.model)
        .where(*conditions(kind, filters))
        .group_by(*keys)
        .order_by(*keys)
    )
    return [tuple(row) for row in session.execute(stmt)]


def sources_by(session: Session, *, kind: Kind, filters: BaseFilters, key: ColumnElement,
               extra: Sequence[ColumnElement] = ()) -> dict[Any, list[Source]]:
    """The distinct sources cited by the filtered rows, per value of `key`."""
    tally = tallies.TALLIES.get(kind.slug)
    param = tally.param_of(key) if tally is not None else None
    if param is not None and not extra and tallies.sources_answer(tally, filters, param):
        ids = tallies.source_ids(session, tally, filters, param)
        wanted = set().union(*ids.values())
        found = {s.id: s for s in session.scalars(select(Source).where(Source.id.in_(wanted)))
                 } if wanted else {}
        return _oldest_first({k: [found[i] for i in group if i in found]
                              for k, group in ids.items()})
    stmt = (
        select(key, Source)
        .select_from(kind.model)
        .join(Citation, and_(Citation.subject_type == kind.subject_type,
                             Citation.subject_id == kind.model.id))
        .join(Source, Source.id == Citation.source_id)
        .where(*conditions(kind, filters), *extra)
        .distinct()
    )
    out: dict[Any, list[Source]] = defaultdict(list)
    for k, source in session.execute(stmt):
        out[k].append(source)
    return _oldest_first(out)


def _oldest_first(by_key: dict[Any, list[Source]]) -> dict[Any, list[Source]]:
    for sources in by_key.values():
        sources.sort(key=lambda s: (s.published_on is None, s.published_on, s.id))
    return by_key
