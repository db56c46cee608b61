"""Charts show the same figures as the tables and lists they stand beside."""

import csv
import io

import pytest

from app.plan.models import Stance
from app.plan.quantities import Range, format_range, total
from app.plan.vocab import AssetType
from tests.html import soup


def bars(page, slug: str) -> dict[str, dict]:
    """Each bar of a chart: its data attributes, printed figure and drawn widths."""
    figure = page.select_one(f"figure#chart-{slug}")
    assert figure is not None, f"no {slug} chart"
    out = {}
    for row in figure.select(".chart-row"):
        out[row["data-label"]] = {
            "low": int(row["data-low"]) if row["data-low"] else None,
            "high": int(row["data-high"]) if row["data-high"] else None,
            "text": row.select_one(".chart-value").text,
            "widths": [float(r["width"]) for r in row.select("svg rect")],
            "lines": [float(line["x1"]) for line in row.select("svg line")],
        }
    return out


def table(page, heading_id: str) -> dict[str, list[str]]:
    section = page.select_one(f"section:has(#{heading_id})")
    return {tr.select_one("th").text.strip(): [td.text.strip() for td in tr.select("td")]
            for tr in section.select("tbody tr")}


def chart_and_table(client, query: str, slug: str) -> tuple[dict, dict]:
    """An overview chart and the table beside it, which list the same things (a chart
    with no figure to draw says so instead of drawing empty bars)."""
    page = soup(client.get(f"/{query}"))
    rows = table(page, f"h-{slug}")
    chart = bars(page, slug) if rows else {}
    assert rows or not page.select(f"#chart-{slug}")
    if rows and all(cells[0].startswith("unknown") for cells in rows.values()):
        assert chart == {}
        assert "No quantity is reported" in page.select_one(f"#chart-{slug} .empty").text
        return chart, {}
    assert set(chart) == set(rows)
    return chart, rows


@pytest.mark.parametrize("query", ["", "?country=US", "?country=FR", "?country=GB&country=US"])
def test_overview_troops_chart_equals_its_table(client, query):
    chart, rows = chart_and_table(client, query, "troops")
    for label, bar in chart.items():
        assert rows[label][0].startswith(format_range(bar["low"], bar["high"]))
        assert bar["text"].startswith(rows[label][0].split(" (")[0])


def test_troops_chart_draws_the_proposed_and_requested_levels(client):
    page = soup(client.get("/"))
    chart = bars(page, "troops")
    cards = {c.select_one(".card-label").text: c.select_one(".figure").text
             for c in page.select(".card")}
    keys = [li.text.strip() for li in page.select("#chart-troops .chart-key li")]
    assert f"Proposed ({cards['Proposed']})" in keys and f"Requested ({cards['Requested']})" in keys
    bar = chart["Contributors not specified"]
    assert (bar["low"], bar["high"]) == (30000, 30000)
    # The scale runs to the largest figure, the 200,000 requested: 30,000 is 15% of it.
    assert bar["widths"][0] == 15.0 and sorted(bar["lines"]) == [15.0, 100.0]


@pytest.mark.parametrize("query", ["", "?country=US", "?country=FR"])
def test_overview_assets_chart_equals_its_table(client, query):
    chart, rows = chart_and_table(client, query, "assets")
    # One order for both: the reader compares a bar with the row in the same place.
    assert list(chart) == list(rows)
    for label, bar in chart.items():
        quantity, entries, _ = rows[label]
        assert quantity.startswith(format_range(bar["low"], bar["high"]))
        shown = "quantity not reported" if quantity.startswith("unknown") else quantity
        assert bar["text"].startswith(shown)
        assert f"{entries} entr" in bar["text"]


@pytest.mark.parametrize("query", ["", "country=US", "posture=monitoring", "stage=floated"])
def test_assets_list_chart_equals_the_list(client, query):
    page = soup(client.get(f"/assets?{query}"))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/assets.csv?{query}").text)))
    expected: dict[str, list[Range]] = {}
    for r in rows:
        expected.setdefault(r["asset_type"], []).append(
            Range(int(r["quantity_low"]) if r["quantity_low"] else None,
                  int(r["quantity_high"]) if r["quantity_high"] else None))
    chart = bars(page, "assets")
    if not any(total(q).known for q in expected.values()):
        assert chart == {}
        return
    assert len(chart) == len(expected)
    for slug, quantities in expected.items():
        bar = chart[AssetType(slug).label]
        assert Range(bar["low"], bar["high"]) == total(quantities)
        n = len(quantities)
        assert f"{n} {'entry' if n == 1 else 'entries'}" in bar["text"]


def test_assets_chart_draws_quantities_not_entries(client, session):
    """55 drones and 2 aircraft, one entry each, are bars of different lengths, the larger
    first, in the chart and the table alike."""
    from sqlalchemy import select

    from app.plan.models import Asset, Plan

    plan = session.scalars(select(Plan)).first()
    for key, asset_type, low in [("few", "reconnaissance_aircraft", 2), ("many", "drone", 55)]:
        session.add(Asset(key=key, plan_id=plan.id, country_code="NO", asset_type=asset_type,
                          posture="monitoring", stage="floated", role="Test",
                          quantity_low=low, quantity_high=None))
    session.flush()
    chart, rows = chart_and_table(client, "?country=NO", "assets")
    assert list(chart) == list(rows) == ["Drones", "Reconnaissance aircraft"]
    drones, aircraft = chart["Drones"], chart["Reconnaissance aircraft"]
    assert drones["text"] == "at least 55 (monitoring 55; 1 entry)"
    assert drones["widths"][0] > 20 * aircraft["widths"][0]
    # "At least": the bar stays open past its known part.
    assert len(drones["widths"]) == 2 and drones["widths"][1] > 0


@pytest.mark.parametrize("query", ["", "country=DE", "country=FR&country=CA", "position=opposes"])
def test_stances_chart_groups_by_subject_and_counts_every_listed_stance(client, session, query):
    page = soup(client.get(f"/stances?{query}&per_page=500"))
    total = int(page.select_one("#total").text)
    chart = bars(page, "stances")
    assert sum(v["low"] for v in chart.values()) == total
    # Each bar is one subject; its text counts the positions on that subject only.
    listed = [a["href"] for a in page.select("tbody a[href^='/stances/']")]
    stances = [session.get(Stance, int(href.rsplit("/", 1)[1].split("?")[0]))
               for href in dict.fromkeys(listed)]
    expected: dict[str, dict[str, int]] = {}
    for s in stances:
        by = expected.setdefault(f"On {s.subject}", {})
        by[s.position.label.lower()] = by.get(s.position.label.lower(), 0) + 1
    assert set(chart) == set(expected)
    for label, positions in expected.items():
        for position, n in positions.items():
            assert f"{position} {n}" in chart[label]["text"]


def test_overview_stances_chart_equals_the_board(client):
    page = soup(client.get("/"))
    board = {}
    for heading in page.select("#h-stances ~ h3.subject"):
        columns = heading.find_next_sibling(class_="board").select(".column")
        board[heading.text.strip()] = sum(int(c.select_one("h4 .count").text) for c in columns)
    assert {k: v["low"] for k, v in bars(page, "stances").items()} == board
    # Opposing large deployments and supporting Ukraine are counted apart, never summed.
    assert board["On large-scale peacekeeping deployments"] == 3


def test_deployments_chart_follows_the_filter(client):
    all_page = soup(client.get("/deployments"))
    assert "Contributors not specified" in bars(all_page, "troops")
    empty = soup(client.get("/deployments?country=US"))
    assert empty.select_one("figure.chart") is None  # no rows: no chart, the empty message


def test_charts_are_readable_without_colour(client):
    page = soup(client.get("/stances"))
    for svg in page.select("figure.chart svg"):
        assert svg["aria-hidden"] == "true"
    for row in page.select("figure.chart .chart-row"):
        assert row.select_one(".chart-label").text.strip()
        assert row.select_one(".chart-value").text.strip()
    # Positions differ by fill pattern, not only by colour.
    fills = {r.get("fill", "solid") for r in page.select("#chart-stances .chart-row rect")}
    assert len(fills) >= 2


def test_asset_quantities_add_as_ranges_in_chart_and_table(client, session):
    from sqlalchemy import select

    from app.plan.models import Asset, Plan

    plan = session.scalars(select(Plan)).first()
    for key, low, high, posture in [("q1", 10, 20, "monitoring"), ("q2", 5, 5, "standby"),
                                    ("q3", None, None, "deployed")]:
        session.add(Asset(key=key, plan_id=plan.id, country_code="NO", asset_type="helicopter",
                          posture=posture, stage="floated", role="Test", quantity_low=low,
                          quantity_high=high))
    session.flush()
    chart, rows = chart_and_table(client, "?country=NO", "assets")
    assert rows["Helicopters"][:2] == ["at least 15", "3"]
    bar = chart["Helicopters"]
    assert bar["text"] == ("at least 15 (monitoring 10, on standby 5; "
                           "3 entries, 1 of unknown quantity)")
    # Drawn to a scale with room past the open-ended 15: 10 and 5, then the open end.
    assert bar["widths"] == [pytest.approx(53.33, abs=.01), pytest.approx(26.67, abs=.01),
                             pytest.approx(20, abs=.01)]
    listed = bars(soup(client.get("/assets?country=NO")), "assets")
    assert listed["Helicopters"]["text"] == bar["text"]
