"""Deployments and assets tallied once per data version, for every filter of their columns.

The overview's sums, the charts above the lists and the lists' facet counts and totals are
all sums over a few low-cardinality columns (country, stage, asset type, posture,
disputed). Rather than one GROUP BY over every row for each of them, for each filter, one
GROUP BY over all of those columns at once is read per data version (an ordered scan of a
covering index: `ix_asset_tally`, `ix_deployment_tally`) and kept; any filter of those
columns is then answered by adding up the matching groups in Python. A few thousand groups
stand for any number of rows, so a page right after an edit reads each table once, and the
overview narrowed to another country reads none.

A filter that searches text or dates, or a sum over other columns, is not a tally's to
answer (`Tally.answers`): `app.browse.queries` asks the database then.
"""

import itertools
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, case, func, select, type_coerce
from sqlalchemy.orm import Session

from app.caching import stamp
from app.caching.memo import memo
from app.plan.filters import BaseFilters, Dim
from app.plan.models import Asset, Citation, Deployment

#: One group: its key values (in `Tally.params` order, as strings or None), then the row
#: count, the sum of known lows, the sum of known highs, rows with no high, rows with no
#: figure at all. Sums are None where no row had that figure.
Group = tuple[tuple[str | None, ...], int, int | None, int | None, int, int]


@dataclass(frozen=True)
class Tally:
    slug: str  # the kind's
    subject_type: str
    params: tuple[str, ...]  # filter parameters, one per key column
    columns: tuple[ColumnElement, ...]  # in the order of the covering index
    low: ColumnElement
    high: ColumnElement
    model: Any

    def answers(self, filters: BaseFilters, params: Iterable[str] = ()) -> bool:
        """Whether only tallied columns filter (and are asked for): no text search, no
        dates, no dimension outside the tally."""
        if getattr(filters, "q", None) or getattr(filters, "since", None) \
                or getattr(filters, "until", None):
            return False
        active = {name for name, value in filters if isinstance(value, list) and value}
        return active <= set(self.params) and set(params) <= set(self.params)

    def param_of(self, column: ColumnElement) -> str | None:
        for param, own in zip(self.params, self.columns, strict=True):
            if own is column:
                return param
        return None


TALLIES = {
    "deployments": Tally(
        "deployments", "deployment", ("country", "stage", "disputed"),
        (Deployment.country_code, Deployment.stage, Deployment.disputed),
        Deployment.troops_low, Deployment.troops_high, Deployment),
    "assets": Tally(
        "assets", "asset", ("country", "asset_type", "posture", "stage", "disputed"),
        (Asset.country_code, Asset.asset_type, Asset.posture, Asset.stage, Asset.disputed),
        Asset.quantity_low, Asset.quantity_high, Asset),
}


def _raw(columns: Sequence[ColumnElement]) -> list[ColumnElement]:
    """Key columns as the strings stored (the slugs a filter holds), with no conversion to
    vocabulary members and back for each of thousands of groups."""
    return [c if isinstance(c.type, Boolean) else type_coerce(c, String()) for c in columns]


class Groups:
    """A tally's groups, with indexes built on first use: per key column (value -> its
    groups), and per combination of filtered columns (their values -> the groups holding
    them). A filter of two countries and one asset type looks up two keys of the
    (country, asset type) index and adds up the few dozen groups found, rather than
    checking every group of those countries against the type."""

    #: Above this many combinations of selected values, matching checks the groups of the
    #: most selective column instead of looking up every combination.
    MAX_LOOKUPS = 64
    #: A combination's index, or a roll-up, is built once it has been asked for more than
    #: this many times at this version: each is a pass over every group, which the first
    #: pages after an edit should not pay for a combination asked once.
    BUILD_AFTER = 4

    def __init__(self, groups: list[Group], width: int) -> None:
        self.groups = groups
        self._by: dict[tuple[int, ...], dict[tuple[str | None, ...], list[Group]]] = {}
        self._totals: list[dict[str, int] | None] = [None] * width
        self._rollups: dict[tuple[tuple[int, ...], int], dict[tuple, dict[str, int]]] = {}
        # Approximate under threads, which is all a threshold needs.
        self._asked: Counter[Hashable] = Counter()

    def _worth_building(self, key: Hashable) -> bool:
        self._asked[key] += 1
        return self._asked[key] > self.BUILD_AFTER

    def by(self, columns: tuple[int, ...]) -> dict[tuple[str | None, ...], list[Group]]:
        index = self._by.get(columns)
        if index is None:
            index = {}
            # Keys made in C (`itemgetter`): a generator per group, for 6,300 groups and
            # each column, cost the first page after an edit 15 ms.
            if len(columns) == 1:
                i = columns[0]
                for g in self.groups:
                    index.setdefault((g[0][i],), []).append(g)
            else:
                key_of = itemgetter(*columns)
                for g in self.groups:
                    index.setdefault(key_of(g[0]), []).append(g)
            # Built whole before it is published: another thread sees it complete or not.
            self._by[columns] = index
        return index

    def _lookups(self, wanted: list[tuple[int, set[str]]]
                 ) -> tuple[tuple[int, ...], Iterable[tuple[str, ...]]] | None:
        """The filtered columns and every combination of their selected values, when
        there are few enough combinations to look each one up."""
        wanted = sorted(wanted, key=lambda w: w[0])
        if math.prod(len(values) for _, values in wanted) > self.MAX_LOOKUPS:
            return None
        return (tuple(i for i, _ in wanted),
                itertools.product(*(values for _, values in wanted)))

    def matching(self, wanted: list[tuple[int, set[str]]]) -> list[Group]:
        if not wanted:
            return self.groups
        if (lookups := self._lookups(wanted)) is not None and (
                len(lookups[0]) == 1 or lookups[0] in self._by
                or self._worth_building(lookups[0])):
            index = self.by(lookups[0])
            return [g for key in lookups[1] for g in index.get(key, ())]
        # From the most selective filtered column's groups, then checked against the rest.
        first = min(wanted, key=lambda w: sum(len(self.by((w[0],)).get((v,), ())) for v in w[1]))
        found = [g for v in first[1] for g in self.by((first[0],)).get((v,), ())]
        rest = [w for w in wanted if w is not first]
        return [g for g in found if all(g[0][i] in values for i, values in rest)]

    def counts(self, i: int, wanted: list[tuple[int, set[str]]]) -> dict[str, int]:
        """Rows per value of key column `i` under `wanted` (which does not filter `i`):
        from a roll-up of the filtered columns' index to counts per value of `i`, so a
        facet adds up a few small dictionaries rather than hundreds of groups."""
        out = dict.fromkeys(self.totals(i), 0)
        lookups = self._lookups(wanted)
        rollup = self._rollups.get((lookups[0], i)) if lookups else None
        if lookups is None or (rollup is None and not self._worth_building((lookups[0], i))):
            for key, n, *_ in self.matching(wanted):
                if key[i] is not None:
                    out[key[i]] += n
            return out
        if rollup is None:
            rollup = {}
            for key, groups in self.by(lookups[0]).items():
                per_value = rollup[key] = {}
                for g in groups:
                    if (v := g[0][i]) is not None:
                        per_value[v] = per_value.get(v, 0) + g[1]
            self._rollups[(lookups[0], i)] = rollup
        for key in lookups[1]:
            for v, n in rollup.get(key, {}).items():
                out[v] += n
        return out

    def totals(self, i: int) -> dict[str, int]:
        """Rows per value of key column `i`, unfiltered."""
        out = self._totals[i]
        if out is None:
            out = self._totals[i] = {key[0]: sum(g[1] for g in gs)
                                     for key, gs in self.by((i,)).items()
                                     if key[0] is not None}
        return out


def _groups(session: Session, tally: Tally) -> Groups:
    def read() -> Groups:
        stmt = (
            select(*_raw(tally.columns), func.count(), func.sum(tally.low), func.sum(tally.high),
                   func.sum(case((tally.high.is_(None), 1), else_=0)),
                   func.sum(case((tally.low.is_(None) & tally.high.is_(None), 1), else_=0)))
            .select_from(tally.model)
            .group_by(*tally.columns)
        )
        # Grouped by the column itself, in the index's order; disputed is last in the key
        # and named as its filter names it.
        width = len(tally.columns)
        return Groups([((*row[:width - 1], "yes" if row[width - 1] else "no"), *row[width:])
                       for row in session.execute(stmt)], width)

    return memo(session, ("tally", tally.slug), read,
                size=lambda found: 600 * len(found.groups) + 1024)


def _wanted(tally: Tally, filters: BaseFilters, skip: str | None = None
            ) -> list[tuple[int, set[str]]]:
    return [(i, {str(v) for v in filters.values(param)})
            for i, param in enumerate(tally.params)
            if param != skip and filters.values(param)]


def total(session: Session, tally: Tally, filters: BaseFilters) -> int:
    return sum(g[1] for g in _groups(session, tally).matching(_wanted(tally, filters)))


def counts(session: Session, tally: Tally, filters: BaseFilters, param: str) -> dict[str, int]:
    """Rows per value of `param` under every other active filter; every value the data
    holds, 0 where none matches (as a facet lists them)."""
    i = tally.params.index(param)
    groups = _groups(session, tally)
    wanted = _wanted(tally, filters, skip=param)
    if not wanted:
        return dict(groups.totals(i))
    return groups.counts(i, wanted)


def pair_counts(session: Session, tally: Tally, filters: BaseFilters, dim: Dim
                ) -> dict[str, int]:
    """Rows per value of a many-valued dimension (a contingent's kinds of site) under a
    filter of the tally's columns, from a GROUP BY of (key columns, value) of its own, read
    once per data version as the tally is. The dimension's pairs are (row, value) once
    each, as `app.plan.links` selects them, so a group's count is a count of rows."""
    def read() -> list[tuple[tuple[str | None, ...], str, int]]:
        pairs = dim.pairs().subquery()
        stmt = (
            select(*_raw(tally.columns), type_coerce(pairs.c.value, String()), func.count())
            .select_from(tally.model).join(pairs, pairs.c.id == tally.model.id)
            .group_by(*tally.columns, pairs.c.value)
        )
        width = len(tally.columns)
        return [((*row[:width - 1], "yes" if row[width - 1] else "no"), row[width],
                 row[width + 1]) for row in session.execute(stmt)]

    groups = memo(session, ("pairs", tally.slug, dim.param), read,
                  size=lambda found: 300 * len(found) + 1024)
    wanted = _wanted(tally, filters)
    out: dict[str, int] = {}
    for key, value, n in groups:
        out.setdefault(value, 0)
        if all(key[i] in values for i, values in wanted):
            out[value] += n
    return out


@dataclass(frozen=True)
class Sum:
    key: Any  # a value, or a tuple of values for several keys
    rows: int
    low: int | None
    high: int | None  # None when any row is open-ended
    high_sum: int | None  # the sum of the known highs (for ordering, as SQL's SUM)
    unknown: int
    disputed: int


def sums(session: Session, tally: Tally, filters: BaseFilters, params: Sequence[str]
         ) -> list[Sum]:
    """Range sums per combination of `params` under a filter, the largest sum of highs
    first (open groups by what they do report), then by key, as `queries.sums_by`."""
    where = [tally.params.index(p) for p in params]
    disputed = tally.params.index("disputed")
    acc: dict[tuple, list[Any]] = {}
    for key_values, n, lo, hi, open_high, unknown in _groups(session, tally).matching(
            _wanted(tally, filters)):
        key = tuple(key_values[i] for i in where)
        row = acc.get(key)
        if row is None:
            row = acc[key] = [0, None, None, 0, 0, 0]
        row[0] += n
        if lo is not None:
            row[1] = (row[1] or 0) + lo
        if hi is not None:
            row[2] = (row[2] or 0) + hi
        row[3] += open_high
        row[4] += unknown
        row[5] += n if key_values[disputed] == "yes" else 0
    out = [Sum(key if len(key) > 1 else key[0], n, lo or None, None if open_high else hi, hi,
               unknown, disputed)
           for key, (n, lo, hi, open_high, unknown, disputed) in acc.items()]
    out.sort(key=lambda s: (s.high_sum is None, -(s.high_sum or 0),
                            tuple((v is None, v or "") for v in
                                  (s.key if len(where) > 1 else (s.key,)))))
    return out


# --- Sources cited, per group ---

#: The key columns a source tally keeps besides the country: enough for the overview's
#: panels (contributors and stages of deployments, types of assets).
SOURCE_PARAMS = {"deployments": ("country", "stage"), "assets": ("country", "asset_type")}


def sources_answer(tally: Tally, filters: BaseFilters, param: str) -> bool:
    kept = SOURCE_PARAMS[tally.slug]
    return param in kept and tally.answers(filters) and all(
        not filters.values(p) for p in tally.params if p not in kept)


def source_ids(session: Session, tally: Tally, filters: BaseFilters, param: str
               ) -> dict[str | None, set[int]]:
    """The ids of the sources cited by the filtered rows, per value of `param`."""
    kept = SOURCE_PARAMS[tally.slug]
    columns = [tally.columns[tally.params.index(p)] for p in kept]

    def read() -> list[tuple]:
        stmt = (
            select(*_raw(columns), Citation.source_id)
            .select_from(Citation)
            .join(tally.model, tally.model.id == Citation.subject_id)
            .where(Citation.subject_type == tally.subject_type)
            .distinct()
        )
        return [tuple(row) for row in session.execute(stmt)]

    wanted = [(kept.index(p), {str(v) for v in filters.values(p)}) for p in kept
              if filters.values(p)]
    at = kept.index(param)
    out: dict[str | None, set[int]] = {}
    # Which sources rows of a group cite changes only with the grouping version: an edit
    # of figures keeps it.
    for row in memo(session, ("tally-sources", tally.slug), read,
                    size=lambda rows: 200 * len(rows) + 1024, version=stamp.grouping(session)):
        if all(row[i] in values for i, values in wanted):
            out.setdefault(row[at], set()).add(row[-1])
    return out
