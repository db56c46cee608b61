from datetime import date

import pytest

from app.plan.quantities import Range, format_date, format_range, total


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [(30000, 30000, "30,000"), (25000, 30000, "25,000–30,000"), (None, 5000, "up to 5,000"),
     (100, None, "at least 100"), (None, None, "unknown")],
)
def test_format_range(low, high, text):
    assert format_range(low, high) == text


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([Range(10, 10), Range(5, 5)], Range(15, 15)),
        ([Range(10, 10), Range()], Range(10, None)),  # an unknown part opens the top
        ([Range(), Range()], Range()),
        ([Range(None, 10), Range(5, 5)], Range(5, 15)),
        ([], Range(0, 0)),
    ],
)
def test_total(parts, expected):
    assert total(parts) == expected


@pytest.mark.parametrize(
    ("precision", "text"),
    [("day", "24 Feb 2025"), ("week", "week of 24 Feb 2025"), ("month", "February 2025"),
     ("year", "2025"), ("on_or_before", "by 24 Feb 2025")],
)
def test_format_date(precision, text):
    assert format_date(date(2025, 2, 24), precision) == text
    assert format_date(None, precision) == "date not given"
