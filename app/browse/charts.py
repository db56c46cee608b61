"""Charts as data: bars, their parts and reference lines, drawn as SVG by `_charts.html`.

A chart is built from the same figures as the table beside it (the overview's groups, the
list's counts), so what the bars show and what the table says cannot drift apart. Each bar
prints its figure as text and each part has its own fill pattern: nothing is told by
colour alone.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.browse import overview, queries
from app.caching.memo import memo
from app.plan import kinds
from app.plan.filters import BaseFilters
from app.plan.models import Asset, Stance
from app.plan.quantities import Range, largest_first, total
from app.plan.vocab import AssetType, Position, Posture


@dataclass(frozen=True)
class Part:
    """A stacked part of a bar (one posture of an asset type)."""

    label: str
    value: int
    style: int  # which fill pattern, 0..3


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Range  # drawn solid up to `low`, hatched from `low` to `high`
    text: str  # the figure as printed beside the bar
    href: str | None = None
    parts: Sequence[Part] = ()


@dataclass(frozen=True)
class Line:
    """A reference line across every bar: the proposed or the requested force level."""

    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    unit: str  # what the numbers count: "troops", "entries", "stances"
    bars: Sequence[Bar]
    lines: Sequence[Line] = ()
    key: Sequence[Part] = field(default_factory=list)  # legend of the part patterns
    note: str = ""
    empty: str = "Nothing to chart for this selection."  # said where there are no bars

    @property
    def scale(self) -> float:
        values = [v for b in self.bars for v in (b.amount.low, b.amount.high) if v]
        largest = max([*values, *(line.value for line in self.lines), 1])
        # Room past the largest figure when a bar is open-ended, so that its open end shows.
        if any(b.amount.low and b.amount.high is None for b in self.bars):
            return largest * 1.25
        return largest

    def x(self, value: int | None) -> float:
        """A value as a percentage of the plot's width."""
        return round(100 * (value or 0) / self.scale, 2)


def troops(groups: Sequence[overview.Group], levels: Sequence[overview.Headline]) -> Chart:
    """Troops by contributor, against the plan's proposed and requested force levels."""
    bars = [Bar(g.label, g.amount, str(g.amount) + (f" ({g.unknown} of unknown size)"
                                                    if g.unknown else ""), g.href)
            for g in groups]
    lines = [Line(f"{h.label} ({h.troops})", h.troops.high or h.troops.low)
             for h in levels if h.troops.known]
    return Chart("troops", "Troops by contributor", "troops", bars, lines,
                 note="Dashed lines: the plan's proposed and requested force levels.")


def assets(sums: Sequence[queries.GroupSum], href: Callable[[str], str]) -> Chart:
    """Asset quantities by type, each bar split by posture: the quantities reported, not the
    number of entries, so that 55 drones outweigh 2 aircraft. An entry of unknown quantity
    leaves the bar open-ended, as a range with no upper bound. From range sums keyed by
    (asset type, posture); in the order of the table beside it."""
    postures = list(Posture)
    by_type: dict[str, list[queries.GroupSum]] = {}
    for g in sums:
        by_type.setdefault(str(g.key[0]), []).append(g)
    bars = []
    for asset_type, groups in by_type.items():
        groups.sort(key=lambda g: postures.index(Posture(g.key[1])))
        parts = [Part(Posture(g.key[1]).label, g.low or 0, postures.index(Posture(g.key[1])))
                 for g in groups if g.low]
        n = sum(g.rows for g in groups)
        unknown = sum(g.unknown for g in groups)
        quantity = total(Range(g.low, g.high) for g in groups)
        said = [", ".join(f"{p.label.lower()} {p.value:,}" for p in parts),
                f"{n} {'entry' if n == 1 else 'entries'}"
                + (f", {unknown} of unknown quantity" if unknown and quantity.known else "")]
        text = (f"{quantity if quantity.known else 'quantity not reported'} "
                f"({'; '.join(filter(None, said))})")
        bars.append(Bar(AssetType(asset_type).label, quantity, text, href(asset_type), parts))
    bars.sort(key=lambda b: largest_first(b.amount, b.label))
    key = [Part(p.label, 0, i) for i, p in enumerate(postures)]
    if not any(b.amount.known for b in bars):
        # Bars of nothing would look like a chart of zeros.
        return Chart("assets", "Assets by type and posture", "quantity reported", [],
                     empty="No quantity is reported for any of these assets; the table "
                           "lists each one.")
    return Chart("assets", "Assets by type and posture", "quantity reported", bars, key=key,
                 note="Open-ended bars: at least this many, the rest not reported.")


def stances(counts: Sequence[tuple[str, str, int]],
             href: Callable[[str], str]) -> Chart:
    """Stances by what they are about, each bar split by position: a stance against large
    deployments and one for Ukraine's security are about different things, and are never
    added into one "supports" or "opposes" total. From (subject, position, count) rows."""
    positions = list(Position)
    by_subject: dict[str, dict[Position, int]] = {}
    for subject, position, n in counts:
        by_subject.setdefault(subject, {})[Position(position)] = n
    bars = []
    for subject, found in by_subject.items():
        parts = [Part(p.label, found[p], positions.index(p)) for p in positions if p in found]
        n = sum(found.values())
        text = ", ".join(f"{p.label.lower()} {found[p]}" for p in positions if p in found)
        bars.append(Bar(f"On {subject}", Range(n, n), text, href(subject), parts))
    bars.sort(key=lambda b: (-(b.amount.low or 0), b.label))
    key = [Part(p.label, 0, positions.index(p)) for p in positions
           if any(p in found for found in by_subject.values())]
    return Chart("stances", "Stances by subject and position", "stances", bars, key=key)


# --- Charts for the overview and for each kind's list page ---


def overview_charts(session: Session, filters: overview.OverviewFilters,
                    o: overview.Overview) -> dict[str, Chart]:
    """The overview's charts, from the figures its tables show."""
    narrowed = kinds.STANCES.filters(country=filters.country)
    asset_filters = kinds.ASSETS.filters(country=filters.country)
    return {
        "troops": troops(o.troops_by_contributor, o.levels),
        "assets": assets(asset_sums(session, asset_filters),
                         overview.asset_type_href(asset_filters)),
        "stances": stances([(subject, p, len(rows)) for subject, board in o.stances.items()
                            for p, rows in board.items()],
                           lambda subject: "/stances" + narrowed.query(q=subject)),
    }


def stance_counts(session: Session, narrowed: BaseFilters) -> list[tuple[str, str, int]]:
    return [(subject, Position(p), n) for subject, p, n in queries.counts_by(
        session, kind=kinds.STANCES, filters=narrowed, keys=[Stance.subject, Stance.position])]


def asset_sums(session: Session, narrowed: BaseFilters) -> list[queries.GroupSum]:
    return queries.sums_by(session, kind=kinds.ASSETS, filters=narrowed,
                           key=[Asset.asset_type, Asset.posture], low=Asset.quantity_low,
                           high=Asset.quantity_high)


def _deployment_charts(session: Session, filters: BaseFilters) -> list[Chart]:
    return [troops(overview.troops_by_contributor(session, filters, sources=False),
                   overview.plan_levels(session))]


def _asset_charts(session: Session, filters: BaseFilters) -> list[Chart]:
    return [assets(asset_sums(session, filters), overview.asset_type_href(filters))]


def _stance_charts(session: Session, filters: BaseFilters) -> list[Chart]:
    return [stances(stance_counts(session, filters),
                    lambda subject: "/stances" + filters.query(q=subject, page=None))]


#: The charts above each kind's list, under the list's own filter.
BY_KIND: dict[str, Callable[[Session, BaseFilters], list[Chart]]] = {
    "deployments": _deployment_charts,
    "assets": _asset_charts,
    "stances": _stance_charts,
}


def for_kind(session: Session, kind: kinds.Kind, filters: BaseFilters) -> list[Chart]:
    make = BY_KIND.get(kind.slug)
    if make is None:
        return []
    # Like the counts, the charts depend on the filter, not on the page or the sort.
    key = ("charts", kind.slug, filters.query(page=None, sort=None, per_page=None))
    # Sized by what they hold (a bar with its label, figure, link and parts is some 600
    # bytes), so the memo's bound holds.
    return memo(session, key, lambda: make(session, filters), size=lambda charts: 1024 + sum(
        600 + 150 * sum(len(b.parts) for b in c.bars) + 600 * len(c.bars) for c in charts))
