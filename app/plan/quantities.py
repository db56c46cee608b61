"""Reported quantities as ranges, so vague figures stay vague and totals never invent a point.

`low`/`high` both set and equal: an exact figure ("30,000"); apart: a reported range;
only `high`: "up to"; only `low`: "at least"; neither: unknown.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.plan.vocab import DatePrecision


@dataclass(frozen=True)
class Range:
    low: int | None = None
    high: int | None = None

    @property
    def known(self) -> bool:
        return self.low is not None or self.high is not None

    def __add__(self, other: "Range") -> "Range":
        # An unknown part leaves the upper bound open; the lower bound still holds.
        if not self.known and not other.known:
            return Range()
        low = (self.low or 0) + (other.low or 0)
        high = None if self.high is None or other.high is None else self.high + other.high
        return Range(low or None, high)

    def __str__(self) -> str:
        return format_range(self.low, self.high)


def largest_first(amount: Range, label: str) -> tuple[int, int, str]:
    """A sort key for figures: the largest known lower bound first, then the larger upper
    bound, then by name; one order for a chart and the table beside it."""
    return (-(amount.low or 0), -(amount.high or amount.low or 0), label)


def total(ranges: Iterable[Range]) -> Range:
    """The sum of ranges; an empty sum is exactly zero."""
    result = Range(0, 0)
    for r in ranges:
        result = result + r
    return result


def format_range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "unknown"
    if low is None:
        return f"up to {high:,}"
    if high is None:
        return f"at least {low:,}"
    if low == high:
        return f"{low:,}"
    return f"{low:,}–{high:,}"


def last_day(value: date, precision: str = DatePrecision.DAY) -> date:
    """The last day a date known to its week, month or year may be (the day itself when
    known to the day, or as the latest it can be)."""
    match precision:
        case DatePrecision.WEEK:
            return value + timedelta(days=6)
        case DatePrecision.MONTH:
            return date(value.year + value.month // 12, value.month % 12 + 1, 1) - timedelta(days=1)
        case DatePrecision.YEAR:
            return date(value.year, 12, 31)
        case _:
            return value


def format_date(value: date | None, precision: str = DatePrecision.DAY) -> str:
    """A date as precisely as it is known: '21 Feb 2025', 'week of 24 Feb 2025', ..."""
    if value is None:
        return "date not given"
    day = f"{value.day} {value:%b %Y}"
    match precision:
        case DatePrecision.WEEK:
            return f"week of {day}"
        case DatePrecision.MONTH:
            return f"{value:%B %Y}"
        case DatePrecision.YEAR:
            return f"{value:%Y}"
        case DatePrecision.ON_OR_BEFORE:
            return f"by {day}"
        case _:
            return day
