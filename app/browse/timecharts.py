"""Charts along time, drawn as SVG by `_timecharts.html`: troops by stage as the plan stood
on each day its contingents changed, and stances by date; both with the timeline's events
as numbered markers, so that a change can be read next to what happened.

Positions along the axis are percentages of the chart's width (SVG takes them as they are,
so markers stay round and labels upright at any width); heights are pixels.
"""

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.browse import overview
from app.plan.filters import BaseFilters
from app.plan.quantities import Range, format_date, last_day
from app.plan.vocab import Position, Stage

#: The height of one lane of the troops chart, in pixels.
LANE = 64

# --- The time axis ---


@dataclass(frozen=True)
class Axis:
    start: date
    end: date

    def x(self, day: date) -> float:
        """A day as a percentage of the width."""
        span = max((self.end - self.start).days, 1)
        return round(100 * (day - self.start).days / span, 2)

    @property
    def ticks(self) -> list[tuple[float, str, str]]:
        """(x, label, anchor) of up to six dates along the axis: month starts (year starts
        over more than three years), or Mondays when the axis spans under two months."""
        days = (self.end - self.start).days
        if days < 62:
            first = self.start + timedelta(days=(7 - self.start.weekday()) % 7)
            found = [first + timedelta(weeks=i) for i in range(days // 7 + 1)]
            label = "%-d %b"
        else:
            # Month starts, or year starts over more than three years.
            months = 1 if days < 3 * 366 else 12
            found, month = [], date(self.start.year, self.start.month if months == 1 else 1, 1)
            while month <= self.end:
                if month >= self.start:
                    found.append(month)
                index = month.year * 12 + month.month - 1 + months
                if index // 12 > date.max.year:
                    break
                month = date(index // 12, index % 12 + 1, 1)
            label = "%b %Y" if months == 1 else "%Y"
        found = [d for d in found if self.start <= d <= self.end]
        step = max(1, -(-len(found) // 6))
        return [(self.x(d), d.strftime(label), anchor(self.x(d))) for d in found[::step]]


def anchor(x: float) -> str:
    """Where a label at `x` hangs from, so that none runs off either edge."""
    return "start" if x < 8 else "end" if x > 92 else "middle"


def axis_for(days: Iterable[date]) -> Axis:
    """An axis over `days`, with a little room on each side (at least a fortnight in all)."""
    found = sorted(set(days))
    if not found:
        found = [date.today()]
    start, end = found[0], found[-1]
    pad = max((end - start).days // 20, 3)
    if (end - start).days + 2 * pad < 14:
        pad = (14 - (end - start).days + 1) // 2
    # Room that would run off the calendar (a scenario dated 0001-01-01) is left out.
    room = timedelta(days=pad)
    return Axis(start - room if start - date.min >= room else date.min,
                end + room if date.max - end >= room else date.max)


# --- Events as markers ---


@dataclass(frozen=True)
class Event:
    number: int
    day: date
    when: str  # as precisely as reported: "week of 24 Feb 2025"
    title: str
    href: str
    last: date | None = None  # the period's last day, for one known to its week or month


#: Events closer than this (a percentage of the width) share one label: apart, their
#: numbers would print over each other on a long axis or a phone.
NEAR = 6.0


@dataclass(frozen=True)
class Marker:
    """Events on one day, or on days too close to label apart, drawn as one label with
    their numbers over a line on each day."""

    x: float
    day: date
    events: tuple[Event, ...]
    lines: tuple[float, ...] = ()
    spans: tuple[tuple[float, float], ...] = ()  # (x, width) of events known to a period

    @property
    def label(self) -> str:
        numbers = [e.number for e in self.events]
        return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"

    @property
    def anchor(self) -> str:
        return anchor(self.x)


def events(rows: Sequence[Any]) -> list[Event]:
    """Dated events, oldest first, numbered in that order (undated ones cannot be placed)."""
    placed = sorted((e for e in rows if e.happened_on), key=lambda e: (e.happened_on, e.id))
    return [Event(i, e.happened_on, format_date(e.happened_on, e.precision), e.title,
                  f"/events/{e.id}", last if last != e.happened_on else None)
            for i, e in enumerate(placed, 1) for last in [last_day(e.happened_on, e.precision)]]


def event_days(found: Sequence[Event]) -> list[date]:
    """The days the events need on an axis: each one's first, and the day after a
    period's last (where its span ends)."""
    return [d for e in found
            for d in (e.day, e.last + timedelta(days=1) if e.last else None) if d is not None]


def markers(found: Sequence[Event], axis: Axis) -> list[Marker]:
    by_day: dict[date, list[Event]] = {}
    for e in found:
        by_day.setdefault(e.day, []).append(e)
    out: list[Marker] = []
    for day, group in sorted(by_day.items()):
        x = axis.x(day)
        # A period is drawn across its days: a line on its first would make one up.
        lines = (x,) if any(e.last is None for e in group) else ()
        spans = tuple(sorted({(x, round(axis.x(e.last + timedelta(days=1)) - x, 2))
                              for e in group if e.last is not None}))
        if out and x - out[-1].x < NEAR:
            last = out.pop()
            out.append(Marker(last.x, last.day, last.events + tuple(group),
                              (*last.lines, *lines), (*last.spans, *spans)))
        else:
            out.append(Marker(x, day, tuple(group), lines, spans))
    return out


@dataclass(frozen=True)
class Highlight:
    """A day drawn across the chart: a scenario's date."""

    x: float
    label: str
    style: str

    @property
    def anchor(self) -> str:
        return anchor(self.x)


# --- Troops by stage over time ---


@dataclass(frozen=True)
class Step:
    """A stage's troops from one day until the next change (or the edge of the chart)."""

    x: float
    width: float
    amount: Range
    y_low: float  # pixels from the top of the lane
    y_high: float  # 0 where the range is open upwards
    label: bool  # wide enough to print its figure

    @property
    def label_at(self) -> tuple[float, str]:
        """Where its figure is printed: from its start, or in the right half of the chart
        back from its end, so that it never runs off the edge."""
        if self.x > 50:
            return round(self.x + self.width - 0.6, 2), "end"
        return round(self.x + 0.6, 2), "start"


@dataclass(frozen=True)
class Lane:
    key: str
    label: str
    href: str
    steps: Sequence[Step]


@dataclass(frozen=True)
class Level:
    """A reference figure across every lane: a force level."""

    label: str
    value: int
    y: float | None  # None: above the chart's scale, not drawn


@dataclass
class TroopsOverTime:
    axis: Axis
    days: list[date]
    lanes: list[Lane]
    table: list[tuple[date, list[Range | None]]]  # per day, each lane's troops
    levels: list[Level]
    markers: list[Marker]
    events: list[Event]
    highlights: list[Highlight] = field(default_factory=list)
    height: int = LANE
    slug: str = "troops-over-time"

    @property
    def highlight_labels(self) -> list[tuple[float, str, str]]:
        """(x, text, anchor) over the chart: scenarios on days too close to label apart
        share one label ("a, b")."""
        out: list[tuple[float, str, str]] = []
        for h in sorted(self.highlights, key=lambda h: h.x):
            if out and h.x - out[-1][0] < NEAR:
                x, text, at = out.pop()
                out.append((x, f"{text}, {h.style}", at))
            else:
                out.append((h.x, h.style, h.anchor))
        return out


def stage_history(days: Sequence[date],
                  plan_on: Callable[[date], AbstractContextManager[Session]],
                  narrowed: BaseFilters) -> list[tuple[date, list[overview.Group]]]:
    """Troops by stage as the plan stood at the end of each of `days`, each read by the
    overview's own query from the plan of that day (`plan_on`)."""
    out = []
    for day in days:
        with plan_on(day) as session:
            out.append((day, overview.troops_by_stage(session, narrowed)))
    return out


def troops_over_time(history: Sequence[tuple[date, list[overview.Group]]],
                     levels: Sequence[overview.Headline], found: Sequence[Event],
                     narrowed: BaseFilters, extra_days: Iterable[date] = (),
                     highlights: Sequence[tuple[date, str, str]] = ()) -> TroopsOverTime:
    """The chart of a stage history: one lane per stage that ever held troops, each step
    drawn solid up to its lower figure and hatched to its upper one (to the top where it
    has none), the force levels as dashed lines, events and `highlights` as marks."""
    days = [day for day, _ in history]
    axis = axis_for([*days, *event_days(found), *extra_days,
                     *(d for d, _, _ in highlights)])
    order = list(Stage)
    keys = sorted({g.key for _, groups in history for g in groups},
                  key=lambda k: order.index(Stage(k)))
    amounts = [{g.key: g.amount for g in groups} for _, groups in history]
    # Scaled to the stages' own figures, so that their changes show: a force level far
    # above them is named in the key rather than drawn.
    values = [v for by in amounts for r in by.values() for v in (r.low, r.high) if v]
    scale = round(max(values or [h.troops.high or h.troops.low or 0 for h in levels] or [1])
                  * 1.15) or 1

    def y(value: int | None) -> float:
        return round(LANE - (LANE - 4) * (value or 0) / scale, 1)

    lanes = []
    for key in keys:
        steps = []
        for i, day in enumerate(days):
            amount = amounts[i].get(key, Range(0, 0))
            end = axis.x(days[i + 1]) if i + 1 < len(days) else 100.0
            x = axis.x(day)
            open_top = amount.high is None and amount.known
            steps.append(Step(x, round(end - x, 2), amount, y(amount.low),
                              0 if open_top else y(amount.high if amount.high else amount.low),
                              end - x >= 12 and bool(amount.low or amount.high
                                                     or not amount.known)
                              and (i == 0 or amounts[i - 1].get(key) != amount)))
        lanes.append(Lane(key, Stage(key).label,
                          "/deployments" + narrowed.query(stage=[key]), steps))
    return TroopsOverTime(
        axis, days, lanes,
        [(day, [amounts[i].get(k) for k in keys]) for i, day in enumerate(days)],
        [Level(f"{h.label} ({h.troops})", top, y(top) if top <= scale else None)
         for h in levels if h.troops.known for top in [h.troops.high or h.troops.low]],
        markers(found, axis), list(found),
        [Highlight(axis.x(d), label, style) for d, label, style in highlights])


# --- Stances over time ---


#: A mark per position, so that none is told by colour alone.
SHAPES = {Position.LEADS: "★", Position.SUPPORTS: "▲", Position.CONDITIONAL: "◆",
          Position.OPPOSES: "▼", Position.NOT_STATED: "○"}


@dataclass(frozen=True)
class StanceMark:
    x: float
    stance: Any
    shape: str

    @property
    def anchor(self) -> str:
        return anchor(self.x)


@dataclass(frozen=True)
class StanceLane:
    label: str  # the stakeholder and the subject
    stakeholder: Any
    subject: str
    marks: Sequence[StanceMark]
    undated: Sequence[Any]


@dataclass
class StanceTimeline:
    axis: Axis
    lanes: list[StanceLane]
    markers: list[Marker]
    events: list[Event]
    slug: str = "stances-over-time"

    @property
    def key(self) -> list[tuple[str, str]]:
        used = {m.stance.position for lane in self.lanes for m in lane.marks}
        return [(SHAPES[p], p.label) for p in Position if p in used]


def stance_lanes(stances: Sequence[Any]) -> dict[tuple[int, str], list[Any]]:
    """Stances by stakeholder, then by what they are about, oldest first: a stance on one
    subject follows the earlier ones on the same subject, never one on another."""
    out: dict[tuple[int, str], list[Any]] = {}
    ordered = sorted(stances, key=lambda s: (s.stakeholder.name, s.subject.lower(),
                                             s.as_of or date.max, s.id))
    for s in ordered:
        out.setdefault((s.stakeholder.id, s.subject), []).append(s)
    return out


def stance_timeline(stances: Sequence[Any], found: Sequence[Event]) -> StanceTimeline:
    grouped = stance_lanes(stances)
    axis = axis_for([*(s.as_of for s in stances if s.as_of), *event_days(found)])
    lanes = [StanceLane(f"{group[0].stakeholder.name}, on {subject}", group[0].stakeholder,
                        subject,
                        [StanceMark(axis.x(s.as_of), s, SHAPES[s.position])
                         for s in group if s.as_of],
                        [s for s in group if not s.as_of])
             for (_, subject), group in grouped.items()]
    return StanceTimeline(axis, lanes, markers(found, axis), list(found))
