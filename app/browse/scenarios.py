"""Scenarios side by side: a force level (the UK's proposal, Ukraine's request) or the troops
at some stages of the contributions, each as the plan stood on a date, compared two at a time.

A scenario's figures are the lists' own: range sums by `queries.sums_by` (through the
overview's groups) under the deployments' and assets' own filters, so that each figure and
the list it links to cannot disagree. Ranges stay ranges: a difference is the least and the
most it can be, never a point picked between them.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.browse import overview, queries
from app.plan import kinds, links
from app.plan.filters import BaseFilters
from app.plan.models import Citation, Deployment, ForceLevel, Source
from app.plan.quantities import Range, format_date, total
from app.plan.vocab import PLEDGED_STAGES, ForceLevelKind, SiteKind, Stage

# --- What a scenario is ---

#: Stage totals by name: each stage alone, the pledged stages, and the whole plan.
STAGE_SETS: dict[str, tuple[str, tuple[Stage, ...]]] = {
    **{s.value: (f"{s.label} troops", (s,)) for s in Stage},
    "pledged": ("Pledged troops (committed, approved or deployed)", PLEDGED_STAGES),
    "plan": ("Every contingent in the plan (any stage but withdrawn)",
             tuple(s for s in Stage if s != Stage.WITHDRAWN)),
}
LEVELS = {"proposed": ForceLevelKind.PROPOSED, "requested": ForceLevelKind.REQUESTED}
#: The scenarios shown side by side when none are chosen, in this order.
STANDARD = ("proposed", "requested", "announced", "committed", "deployed", "pledged", "plan")
DEFAULT_A, DEFAULT_B = "proposed", "committed"

_LEVEL_ID = re.compile(r"level-(\d{1,9})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
HELP = ("a force level (proposed, requested, or level-ID for any force level), a stage total "
        f"({', '.join(s.value for s in Stage)}, pledged, plan), either followed by "
        "@YYYY-MM-DD for the plan as it stood that day, or a date alone (the whole plan "
        "that day)")


@dataclass(frozen=True)
class Scenario:
    measure: str  # "proposed", "committed", "level-3", ...
    day: date | None = None  # its own date; None: the page's (the present, or its as_of)

    @property
    def code(self) -> str:
        return self.measure + (f"@{self.day.isoformat()}" if self.day else "")

    @property
    def level_id(self) -> int | None:
        found = _LEVEL_ID.fullmatch(self.measure)
        return int(found[1]) if found else None

    @property
    def is_level(self) -> bool:
        return self.measure in LEVELS or self.level_id is not None

    @property
    def stages(self) -> tuple[Stage, ...]:
        return STAGE_SETS[self.measure][1] if self.measure in STAGE_SETS else ()


def parse_scenario(value: str) -> Scenario:
    """A scenario as written in `?a=` or `?b=`, or ValueError saying how to write one."""
    text = value.strip().lower()
    measure, _, day = text.partition("@")
    if not day and _DAY.fullmatch(measure):
        measure, day = "plan", measure
    when = None
    if day:
        try:
            when = date.fromisoformat(day) if _DAY.fullmatch(day) else None
        except ValueError:
            when = None
        if when is None:
            raise ValueError(f"'{day}' is not a date: write it as YYYY-MM-DD, e.g. 2025-02-21")
    if measure not in STAGE_SETS and measure not in LEVELS and not _LEVEL_ID.fullmatch(measure):
        raise ValueError(f"unknown scenario '{value.strip()}': choose {HELP}")
    return Scenario(measure, when)


def choices() -> list[tuple[str, str]]:
    """The scenarios a form offers, as (code, label)."""
    out = [("proposed", "Proposed force level (the UK's proposal)"),
           ("requested", "Requested force level (Ukraine's request)")]
    return out + [(code, label) for code, (label, _) in STAGE_SETS.items()]


# --- A scenario's figures ---


@dataclass
class Figures:
    scenario: Scenario
    label: str
    when: str  # "today", "as of 1 Mar 2025", "figure dated 21 Feb 2025"
    day: date | None  # the day the figures stand for, where known
    total: Range
    href: str | None  # the rows behind the total
    rows: int | None = None  # contingents counted; None for a force level
    unknown: int = 0  # of them, of unknown size
    disputed: int = 0
    citations: list[Citation] = field(default_factory=list)  # a force level's own
    sources: list[Source] = field(default_factory=list)  # behind a stage total
    # Breakdowns; None for a force level, which is one plan-wide figure.
    by_contributor: list[overview.Group] | None = None
    by_site_kind: list[overview.Group] | None = None
    by_asset_type: list[overview.Group] | None = None
    missing: str | None = None  # why there is no figure at all

    @property
    def plan_wide(self) -> bool:
        return self.by_contributor is None


def dated(href: str | None, day: date | None) -> str | None:
    """A link to rows as they stood on the scenario's own date."""
    if href is None or day is None:
        return href
    return f"{href}{'&' if '?' in href else '?'}as_of={day.isoformat()}"


def _when(scenario: Scenario, day: date | None, present: bool) -> str:
    if scenario.is_level:
        return f"figure dated {format_date(day)}" if day else "figure undated"
    return "as recorded today" if present else f"as of {format_date(day)}"


def figures(session: Session, scenario: Scenario, country: Sequence[str], day: date | None,
            present: bool) -> Figures:
    """The figures of `scenario` read from `session` (the plan as it stood on `day`, or
    the present), narrowed to `country` where the figure is not plan-wide."""
    if scenario.is_level:
        return _level(session, scenario, day, present)
    return _stages(session, scenario, list(country), day, present)


def _level(session: Session, scenario: Scenario, day: date | None, present: bool) -> Figures:
    wanted = LEVELS.get(scenario.measure)
    stmt = select(ForceLevel).order_by(ForceLevel.as_of.desc().nulls_last(), ForceLevel.id)
    # The latest figure of its kind, as the overview's headline shows it.
    stmt = (stmt.where(ForceLevel.kind == wanted) if wanted
            else stmt.where(ForceLevel.id == scenario.level_id))
    level = session.scalars(stmt.limit(1)).first()
    if level is None:
        name = f"{wanted.label} force level" if wanted else f"Force level {scenario.level_id}"
        return Figures(scenario, name, "not recorded", None, Range(), None,
                       missing="no such force level recorded"
                       + ("" if present else f" by {format_date(day)}"))
    who = level.advocate.name if level.advocate else "unattributed"
    cited = queries.citations(session=session, kind=kinds.FORCE_LEVELS, ids=[level.id])
    href = dated(f"/force-levels/{level.id}", None if present else day)
    return Figures(scenario, f"{level.kind.label} force level, by {who}",
                   _when(scenario, level.as_of, present), level.as_of,
                   Range(level.troops_low, level.troops_high), href,
                   disputed=int(level.disputed), citations=cited.get(level.id, []))


def _stages(session: Session, scenario: Scenario, country: list[str], day: date | None,
            present: bool) -> Figures:
    stages = list(scenario.stages)
    narrowed = kinds.DEPLOYMENTS.filters(country=country, stage=stages)
    asset_filters = kinds.ASSETS.filters(country=country, stage=stages)
    on = None if present else day
    # The lists cannot pick out the rows with no contributor named: those are in the
    # total's rows, but have no link of their own.
    contributors = [
        replace(g, href=dated("/deployments" + narrowed.query(country=[g.key]), on)
                if g.key else None)
        for g in overview.troops_by_contributor(session, narrowed)]
    assets = [replace(g, href=dated(g.href, on))
              for g in overview.assets_by_type(session, asset_filters)]
    cited = {s.id: s for g in contributors for s in g.sources}
    return Figures(
        scenario, STAGE_SETS[scenario.measure][0], _when(scenario, day, present), day,
        total(g.amount for g in contributors), dated("/deployments" + narrowed.query(), on),
        rows=sum(g.rows for g in contributors), unknown=sum(g.unknown for g in contributors),
        disputed=sum(g.disputed for g in contributors),
        sources=sorted(cited.values(), key=lambda s: (s.published_on is None,
                                                      s.published_on, s.id)),
        by_contributor=contributors, by_site_kind=by_site_kind(session, narrowed, on),
        by_asset_type=assets)


def by_site_kind(session: Session, narrowed: BaseFilters, on: date | None
                 ) -> list[overview.Group]:
    """Troops by the kind of site they would stand at. A contingent given sites of several
    kinds cannot be split among them: it counts in full toward the upper figure of each of
    its kinds, and toward the lower figure only of the one kind all its sites share."""
    model = kinds.DEPLOYMENTS
    pairs = links.deployment_site_kinds().subquery()
    only = (select(pairs.c.id, func.min(pairs.c.value).label("value")).group_by(pairs.c.id)
            .having(func.count(pairs.c.value) == 1).subquery())
    low, high = Deployment.troops_low, Deployment.troops_high

    def sums(key, *extra):
        return {g.key: g for g in queries.sums_by(session, kind=model, filters=narrowed,
                                                  key=key, low=low, high=high, extra=extra)}

    anywhere = sums(pairs.c.value, pairs.c.id == Deployment.id)
    alone = sums(only.c.value, only.c.id == Deployment.id)
    nowhere = list(sums(Deployment.stage, ~Deployment.sites.any()).values())
    order = list(SiteKind)
    out = []
    for key in sorted(anywhere, key=lambda k: order.index(SiteKind(k))):
        g = anywhere[key]
        lower = alone[key].low if key in alone else None
        out.append(overview.Group(
            key, SiteKind(key).label, g.rows, Range(lower, g.high), g.unknown, [],
            dated("/deployments" + narrowed.query(site_kind=[key]), on), g.disputed))
    if nowhere:
        amount = total(Range(g.low, g.high) for g in nowhere)
        out.append(overview.Group(
            None, "No site named", sum(g.rows for g in nowhere), amount,
            sum(g.unknown for g in nowhere), [], None, sum(g.disputed for g in nowhere)))
    return out


# --- Differences ---


@dataclass(frozen=True)
class Difference:
    """b minus a, for two ranges: the least and the most it can be (None: no bound that way),
    or unknown where either figure is."""

    low: int | None
    high: int | None
    known: bool = True
    comparable: bool = True  # False where one side is a plan-wide figure, not broken down

    def __str__(self) -> str:
        if not self.comparable:
            return "not broken down"
        if not self.known:
            return "unknown"
        if self.low is None and self.high is None:
            return "cannot be bounded"
        if self.low is None:
            return f"at most {signed(self.high)}"
        if self.high is None:
            return f"at least {signed(self.low)}"
        if self.low == self.high:
            return signed(self.low)
        return f"{signed(self.low)} to {signed(self.high)}"


def signed(n: int) -> str:
    return "0" if n == 0 else f"{'+' if n > 0 else '−'}{abs(n):,}"


def difference(a: Range, b: Range) -> Difference:
    """How far `b` is above `a` (negative: below). A range with only an upper bound
    ("up to") has zero as its lower one: troops are never fewer than none."""
    if not a.known or not b.known:
        return Difference(None, None, known=False)
    low = None if a.high is None else (b.low or 0) - a.high
    high = None if b.high is None else b.high - (a.low or 0)
    return Difference(low, high)


# --- Two scenarios compared ---


@dataclass(frozen=True)
class Line:
    """One row of a comparison: a contributor, a site kind or an asset type."""

    key: str | None
    label: str
    a: Range | None  # None: that scenario is one plan-wide figure
    b: Range | None
    a_href: str | None
    b_href: str | None
    a_unknown: int = 0
    b_unknown: int = 0
    # The sources of a row with no list of its own to link (no contributor named).
    a_sources: Sequence[Source] = ()
    b_sources: Sequence[Source] = ()

    @property
    def drawn(self) -> bool:
        """Whether either scenario gives it a figure a bar can show."""
        return any(r is not None and r.known for r in (self.a, self.b))

    @property
    def difference(self) -> Difference:
        if self.a is None or self.b is None:
            return Difference(None, None, known=False, comparable=False)
        return difference(self.a, self.b)


def lines(a: list[overview.Group] | None, b: list[overview.Group] | None) -> list[Line] | None:
    """The rows of both breakdowns, matched by key; a row absent from one scenario is
    none there (zero), as its list would show it. A scenario that is one plan-wide figure
    has no rows (None); neither has, no breakdown at all (None)."""
    if a is None and b is None:
        return None
    by_a, by_b = {g.key: g for g in a or ()}, {g.key: g for g in b or ()}
    keys = list(by_a) + [k for k in by_b if k not in by_a]
    none = Range(0, 0)

    def side(groups, by, k):
        return None if groups is None else by[k].amount if k in by else none

    return [Line(k, (by_a.get(k) or by_b[k]).label, side(a, by_a, k), side(b, by_b, k),
                 by_a[k].href if k in by_a else None, by_b[k].href if k in by_b else None,
                 by_a[k].unknown if k in by_a else 0, by_b[k].unknown if k in by_b else 0,
                 by_a[k].sources if k in by_a else (), by_b[k].sources if k in by_b else ())
            for k in keys]


@dataclass
class Comparison:
    a: Figures
    b: Figures

    @property
    def total(self) -> Line:
        return Line(None, "Total", self.a.total if not self.a.missing else Range(),
                    self.b.total if not self.b.missing else Range(), self.a.href,
                    self.b.href, self.a.unknown, self.b.unknown)

    @property
    def sections(self) -> list[tuple[str, str, str, list[Line] | None]]:
        """(slug, title, unit, rows) of each breakdown."""
        return [
            ("contributor", "Troops by contributor", "troops",
             lines(self.a.by_contributor, self.b.by_contributor)),
            ("site-kind", "Troops by kind of site", "troops",
             lines(self.a.by_site_kind, self.b.by_site_kind)),
            ("asset-type", "Assets by type", "quantity reported",
             lines(self.a.by_asset_type, self.b.by_asset_type)),
        ]
