"""Scenarios side by side: every figure equals the total of the list it links to, for the
seeded plan and for a scripted plan with ranges, open ends and unknowns, today and as of a
date; differences are the least and the most they can be."""

import csv
import io
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.browse.scenarios import Difference, difference, parse_scenario
from app.history import record
from app.plan.models import Asset, Deployment, Plan, Site
from app.plan.quantities import Range, total
from tests.html import soup

EDITOR = record.Actor("ana", user_id=7)
PLANNED, MOVED = (datetime(2025, 3, d, 12, tzinfo=UTC) for d in (1, 5))


def _int(value: str) -> int | None:
    return int(value) if value else None


def list_total(client, path: str, low: str, high: str) -> tuple[Range, list[dict]]:
    """The rows of a list's CSV export and the range sum of one of their figures."""
    rows = list(csv.DictReader(io.StringIO(client.get(path).text)))
    return total(Range(_int(r[low]), _int(r[high])) for r in rows), rows


def troops_of(client, href: str) -> tuple[Range, list[dict]]:
    """The troops of the deployments behind a link, summed from the list's CSV."""
    parts = urlsplit(href)
    assert parts.path == "/deployments", href
    return list_total(client, f"/deployments.csv?{parts.query}", "troops_low", "troops_high")


def amount(data: dict | None) -> Range:
    return Range(data["low"], data["high"])


def check_against_lists(client, code: str, query: str = "") -> dict:
    """Every figure of scenario `code` (as a) equals the total of the rows it links to."""
    api = client.get(f"/api/v1/scenarios?a={code}&b=plan{query}")
    assert api.status_code == 200, api.text
    data = api.json()
    a = data["a"]
    listed, rows = troops_of(client, a["html_url"])
    assert amount(a["total"]) == listed
    assert a["rows"] == len(rows)
    # The deployments list's own chart, over the same filter, adds up to the same.
    page = soup(client.get(a["html_url"]))
    bars = [Range(_int(r["data-low"]), _int(r["data-high"]))
            for r in page.select("#chart-troops .chart-row")]
    if rows:
        assert total(bars) == listed
    for line in data["contributor"]:
        if line["a_url"]:
            assert amount(line["a"]) == troops_of(client, line["a_url"])[0]
    # Rows of the other scenario alone are none (0) here.
    assert total(amount(line["a"]) for line in data["contributor"]
                 if amount(line["a"]) != Range(0, 0)) == listed
    for line in data["asset_type"]:
        if not line["a_url"]:
            assert amount(line["a"]) == Range(0, 0)  # only in the other scenario
            continue
        parts = urlsplit(line["a_url"])
        assert amount(line["a"]) == list_total(
            client, f"/assets.csv?{parts.query}", "quantity_low", "quantity_high")[0]
    behind = parse_qs(urlsplit(a["html_url"]).query)
    assets, _ = list_total(client, "/assets.csv?" + "&".join(
        [f"stage={s}" for s in behind["stage"]] + [p for p in query.split("&") if p]
        + [f"as_of={d}" for d in behind.get("as_of", [])]),
        "quantity_low", "quantity_high")
    assert total(amount(line["a"]) for line in data["asset_type"]
                 if amount(line["a"]) != Range(0, 0)) == assets
    return data


SEEDED = ["floated", "announced", "committed", "deployed", "pledged", "plan"]


@pytest.mark.parametrize("query", ["", "&country=US", "&country=FR&country=GB"])
@pytest.mark.parametrize("code", SEEDED)
def test_seeded_stage_totals_equal_the_lists(client, code, query):
    check_against_lists(client, code, query)


def test_the_page_shows_30000_against_200000_against_committed(client):
    page = soup(client.get("/scenarios"))
    side = {tr["data-code"]: tr for tr in page.select("#table-side tbody tr")}
    assert (side["proposed"]["data-low"], side["proposed"]["data-high"]) == ("30000", "30000")
    assert (side["requested"]["data-low"], side["requested"]["data-high"]) == ("200000",
                                                                                "200000")
    # Nothing is committed in the seeded plan, and the page says so rather than a bare 0.
    committed = side["committed"].get_text(" ", strip=True)
    assert "none" in committed and "no contingent at this stage" in committed
    assert side["proposed"].select_one("a")["href"].startswith("/force-levels/")
    assert side["proposed"].select_one("a.cite")
    # The pair chosen by default: the proposal against what is committed.
    assert page.select_one("#scenario-a")["data-code"] == "proposed"
    assert page.select_one("#scenario-b")["data-code"] == "committed"
    assert page.select_one("#difference-total strong").text == "−30,000"
    # The plan-wide figure is not broken down, and the page says why.
    assert "one plan-wide figure" in page.select_one("#h-contributor + p").text


@pytest.fixture
def ranged(session):
    """A plan of ranges, dated: on 1 March France commits 5,000-10,000 troops at a port and
    a city, Germany at least 2,000 at a port, Poland a contingent of unknown size at no
    named site, Britain 1,000 (announced) at a city, and 4-6 committed drones; on 5 March
    Britain's contingent is committed."""
    plan = session.scalars(select(Plan)).first()
    record.attribute(session, EDITOR, "create", "Contingents reported", at=PLANNED)
    port = Site(key="t-port", name="Test port", kind="port", basis="candidate",
                country_code="UA")
    city = Site(key="t-city", name="Test city", kind="city", basis="candidate",
                country_code="UA")
    rows = {
        "fr": Deployment(key="t-fr", plan_id=plan.id, role="French", country_code="FR",
                         troops_low=5000, troops_high=10000, stage="committed",
                         sites=[port, city]),
        "de": Deployment(key="t-de", plan_id=plan.id, role="German", country_code="DE",
                         troops_low=2000, troops_high=None, stage="committed", sites=[port]),
        "pl": Deployment(key="t-pl", plan_id=plan.id, role="Polish", country_code="PL",
                         stage="committed"),
        "gb": Deployment(key="t-gb", plan_id=plan.id, role="British", country_code="GB",
                         troops_low=1000, troops_high=1000, stage="announced", sites=[city]),
    }
    session.add_all([port, city, *rows.values(),
                     Asset(key="t-drones", plan_id=plan.id, country_code="FR",
                           asset_type="drone", quantity_low=4, quantity_high=6,
                           posture="monitoring", stage="committed", role="Test")])
    session.commit()
    record.attribute(session, EDITOR, "update", "Britain commits", at=MOVED)
    rows["gb"].stage = "committed"
    session.commit()
    return {k: v.id for k, v in rows.items()}


@pytest.mark.parametrize("code", ["committed", "announced", "plan", "committed@2025-03-02",
                                  "announced@2025-03-02", "2025-03-02", "committed@2025-02-28"])
def test_scripted_ranges_equal_the_lists(client, ranged, code):
    check_against_lists(client, code)


def test_ranges_stay_ranges_and_unknown_is_said(client, ranged):
    data = client.get("/api/v1/scenarios?a=proposed&b=committed").json()
    b = data["b"]
    # 5,000-10,000 + at least 2,000 + unknown + 1,000: at least 8,000, no upper figure.
    assert (b["total"]["low"], b["total"]["high"]) == (8000, None)
    assert b["total"]["text"] == "at least 8,000" and b["unknown"] == 1
    d = data["total"]["difference"]
    assert (d["min"], d["max"], d["known"]) == (8000 - 30000, None, True)
    assert d["text"] == "at least −22,000"

    # The proposal is one plan-wide figure: its side of each breakdown is not broken down.
    assert {line["difference"]["text"] for line in data["site_kind"]} == {"not broken down"}
    assert all(line["a"] is None for line in data["contributor"])

    data = client.get("/api/v1/scenarios?a=announced&b=committed").json()
    kinds = {line["key"]: line for line in data["site_kind"]}
    # France stands at a port and a city: its troops count toward the upper figure of both
    # and the lower of neither; Germany's only site is a port.
    assert kinds["port"]["b"]["text"] == "at least 2,000"
    assert kinds["city"]["b"]["text"] == "1,000–11,000"  # Britain is at a city alone
    assert kinds[None]["b"]["text"] == "unknown" and kinds[None]["label"] == "No site named"
    assert kinds[None]["difference"] == {"min": None, "max": None, "known": False,
                                         "text": "unknown"}
    listed = {r["role"] for r in troops_of(client, kinds["port"]["b_url"])[1]}
    assert listed == {"French", "German"}
    contributors = {line["key"]: line["b"]["text"] for line in data["contributor"]}
    assert contributors == {"FR": "5,000–10,000", "DE": "at least 2,000", "PL": "unknown",
                            "GB": "1,000"}


def test_a_scenario_as_of_a_date_is_the_plan_of_that_day(client, ranged):
    data = client.get("/api/v1/scenarios?a=committed@2025-03-02&b=committed").json()
    assert data["a"]["total"]["text"] == "at least 7,000"  # Britain not yet committed
    assert data["b"]["total"]["text"] == "at least 8,000"
    assert "as_of=2025-03-02" in data["a"]["html_url"]
    line = {x["key"]: x for x in data["contributor"]}["GB"]
    assert (line["a"], line["b"]["text"]) == ({"low": 0, "high": 0, "text": "0"}, "1,000")
    before = client.get("/api/v1/scenarios?a=2025-02-20&b=plan").json()
    assert before["a"]["rows"] == 0 and before["a"]["code"] == "plan@2025-02-20"
    # The page's own as_of dates the scenarios that have no date of their own.
    page = client.get("/api/v1/scenarios?a=committed&b=committed&as_of=2025-03-02").json()
    assert page["a"]["total"]["text"] == "at least 7,000"


def test_the_csv_has_the_apis_figures(client, ranged):
    query = "a=announced@2025-03-02&b=committed&country=GB&country=FR"
    api = client.get(f"/api/v1/scenarios?{query}").json()
    rows = list(csv.DictReader(io.StringIO(client.get(f"/scenarios.csv?{query}").text)))
    assert rows[0]["section"] == "total"
    assert (_int(rows[0]["a_low"]), _int(rows[0]["b_low"])) == (
        api["total"]["a"]["low"], api["total"]["b"]["low"])
    by = {(r["section"], r["key"]): r for r in rows}
    for line in api["contributor"]:
        row = by[("contributor", line["key"])]
        assert (_int(row["b_low"]), _int(row["b_high"])) == (line["b"]["low"], line["b"]["high"])
        assert _int(row["difference_min"]) == line["difference"]["min"]
    assert {r["key"] for r in rows if r["section"] == "contributor"} == {"FR", "GB"}


@pytest.mark.parametrize(("a", "b", "expected"), [
    (Range(30000, 30000), Range(200000, 200000), Difference(170000, 170000)),
    (Range(30000, 30000), Range(0, 0), Difference(-30000, -30000)),
    (Range(25000, 30000), Range(200000, 200000), Difference(170000, 175000)),
    (Range(None, 5000), Range(1000, 1000), Difference(-4000, 1000)),
    (Range(2000, None), Range(1000, 1000), Difference(None, -1000)),
    (Range(), Range(1000, 1000), Difference(None, None, known=False)),
])
def test_a_difference_is_the_least_and_the_most_it_can_be(a, b, expected):
    assert difference(a, b) == expected


def test_bad_scenarios_are_said_where_they_are_chosen(client):
    page = client.get("/scenarios?a=bogus&b=committed@2025-13-45")
    assert page.status_code == 400
    html = soup(page)
    assert "unknown scenario 'bogus'" in html.select_one("#pick-a-error").text
    assert "is not a date" in html.select_one("#pick-b-error").text
    api = client.get("/api/v1/scenarios?a=level-x")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "a"]
    assert client.get("/scenarios.csv?b=2025-02-30").status_code == 422
    assert client.get("/api/v1/scenarios?country=XX").status_code == 422
    missing = client.get("/api/v1/scenarios?a=level-999999&b=proposed").json()["a"]
    assert missing["missing"] == "no such force level recorded"
    assert missing["total"]["text"] == "unknown" and missing["html_url"] is None
    assert missing["label"] == "Force level 999999"
    with pytest.raises(ValueError, match="unknown scenario"):
        parse_scenario("committed troops")


def test_the_troops_over_time_chart_follows_the_history_and_marks_the_events(client, ranged):
    page = soup(client.get("/scenarios"))
    chart = page.select_one("#chart-troops-over-time")
    lanes = [lane["data-stage"] for lane in chart.select(".time-lane")]
    assert lanes == ["floated", "announced", "committed"]
    table = page.select_one(".timechart-table")
    days = [th.text for th in table.select("tbody th")]
    assert days == ["21 Feb 2025", "1 Mar 2025", "5 Mar 2025"]
    cells = {th.text: [td.text.strip() for td in tr.select("td")]
             for tr in table.select("tbody tr") for th in [tr.select_one("th")]}
    assert cells["1 Mar 2025"] == ["30,000", "1,000", "at least 7,000"]
    assert cells["5 Mar 2025"] == ["30,000", "none", "at least 8,000"]
    # Each cell links to the list of that stage as it stood that day, which agrees.
    link = table.select("tbody tr")[1].select("td a")[2]["href"]
    assert link == "/deployments?stage=committed&as_of=2025-03-01"
    assert troops_of(client, link)[0] == Range(7000, None)
    # The events are numbered markers, named in the key below the chart.
    events = client.get("/api/v1/events?per_page=500").json()["items"]
    key = page.select(".event-key li")
    assert len(key) == len([e for e in events if e["happened_on"]])
    numbers = {t.contents[-1].strip() for t in chart.select(".event-number")}
    assert "8" in numbers and any("–" in n for n in numbers)


def test_the_over_time_chart_honours_the_country_filter(client, ranged):
    page = soup(client.get("/scenarios?country=GB"))
    lanes = [lane["data-stage"] for lane in page.select("#chart-troops-over-time .time-lane")]
    assert lanes == ["announced", "committed"]


def test_scenarios_is_in_the_figures_menu(client):
    page = soup(client.get("/"))
    group = page.select_one("nav[aria-label=Sections]")
    assert group.select_one("a[href='/scenarios']").text == "Scenarios"


def test_each_comparison_chart_draws_the_figures_of_its_table(client, ranged):
    query = "a=announced@2025-03-02&b=committed"
    page = soup(client.get(f"/scenarios?{query}"))
    api = client.get(f"/api/v1/scenarios?{query}").json()
    for slug, section in [("contributor", "contributor"), ("site-kind", "site_kind"),
                          ("asset-type", "asset_type")]:
        drawn = {(g["data-key"], r["data-scenario"]): Range(_int(r["data-low"]),
                                                            _int(r["data-high"]))
                 for g in page.select(f"#chart-pair-{slug} .pair-group")
                 for r in g.select(".pair-row")}
        expected = {(line["key"] or "", name): amount(line[name])
                    for line in api[section] for name in "ab"}
        assert drawn == expected
        cells = {tr["data-key"]: [td.get_text(" ", strip=True) for td in tr.select("td")]
                 for tr in page.select(f"#table-{slug} tbody tr")}
        for line in api[section]:
            assert cells[line["key"] or ""] == [
                line["a"]["text"] + (f" ({line['a_unknown']} of unknown size)"
                                     if line["a_unknown"] and line["a"]["text"] != "unknown"
                                     else ""),
                line["b"]["text"] + (f" ({line['b_unknown']} of unknown size)"
                                     if line["b_unknown"] and line["b"]["text"] != "unknown"
                                     else ""),
                line["difference"]["text"]]


def test_event_numbers_close_on_a_long_axis_share_one_label(client, session):
    # A change a year and a half after the seeded plan squeezes the events of 21 and 24 Feb
    # 2025 into a few pixels: their numbers would print over each other.
    record.attribute(session, EDITOR, "update", "Fewer troops", at=datetime(2026, 9, 1, tzinfo=UTC))
    session.scalars(select(Deployment)).first().troops_low = 25000
    session.commit()
    chart = soup(client.get("/scenarios")).select_one("#chart-troops-over-time")
    labels = sorted((float(t["x"].rstrip("%")), t.contents[-1].strip())
                    for t in chart.select(".time-events .event-number"))
    assert [label for _, label in labels] == ["1–8"]
    # Each event keeps its own mark on its own day (the week of 24 Feb as a span).
    lane = chart.select_one(".time-lane")
    marks = {line["x1"] for line in lane.select(".event-line")} | {
        span["x"] for span in lane.select(".event-span")}
    assert len(marks) == 2


@pytest.mark.parametrize("path", ["/scenarios?a=committed@0001-01-02&b=committed@9999-12-31",
                                  "/scenarios?a=plan@9999-12-30", "/scenarios.csv?a=0001-01-01",
                                  "/api/v1/scenarios?b=committed@9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_answered(client, path):
    # The first day shows the empty plan before any record, the last the present.
    assert client.get(path).status_code == 200


def test_a_breakdown_with_no_figure_known_draws_no_empty_bars(client):
    # No seeded asset has a quantity: bars of nothing would read as a chart of zeros.
    page = soup(client.get("/scenarios?a=proposed&b=plan"))
    assert page.select_one("#chart-pair-asset-type") is None
    assert "No figure is reported" in page.select_one("#table-asset-type").find_previous(
        "p", class_="empty").text
    assert len(page.select("#table-asset-type tbody tr")) == 6
    assert page.select_one("#chart-pair-contributor") is not None


def test_a_row_without_a_list_of_its_own_cites_its_sources(client):
    # No list picks out the contingents with no contributor named: their figure names its
    # sources where the others link their rows.
    page = soup(client.get("/scenarios?a=plan@2025-02-21&b=plan"))
    row = page.select_one("#table-contributor tr[data-key='']")
    for cell in row.select("td.num")[:2]:
        assert cell.select_one("a.cite[href^='/sources/']") is not None, cell
