"""The events list as a timeline: order, date precision, participants, sources, date range."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from app.plan.models import Event
from tests.html import soup


def timeline(response) -> list[dict]:
    return [
        {"id": int(li["id"].removeprefix("event-")), "date": li["data-date"],
         "precision": li["data-precision"], "when": li.select_one(".when").text.strip(),
         "title": li.select_one("h2").text.strip(), "meta": li.select_one(".meta")}
        for li in soup(response).select("ol.timeline > li")
    ]


def test_events_in_date_order_either_way(client, session):
    events = session.scalars(select(Event)).all()
    newest = timeline(client.get("/events"))
    oldest = timeline(client.get("/events?sort=happened_on"))
    assert len(newest) == len(oldest) == len(events)
    dated = [e["date"] for e in newest if e["date"]]
    assert dated == sorted(dated, reverse=True)
    dated = [e["date"] for e in oldest if e["date"]]
    assert dated == sorted(dated)
    # Undated events come last in both orders.
    for order in (newest, oldest):
        blanks = [i for i, e in enumerate(order) if not e["date"]]
        assert blanks == list(range(len(order) - len(blanks), len(order)))


def test_each_event_shows_its_precision_participants_and_sources(client, session):
    items = {e["title"]: e for e in timeline(client.get("/events"))}
    washington = items["Starmer to propose the plan to Trump in Washington"]
    assert (washington["precision"], washington["when"]) == ("week", "week of 24 Feb 2025")
    assert washington["date"] == "2025-02-24"
    names = [a.text for a in washington["meta"].select("a[href^='/stakeholders/']")]
    assert names == ["Donald Trump", "Keir Starmer"]
    assert washington["meta"].select("a.cite[href^='/sources/']")
    reported = items["Starmer's 30,000-troop plan reported"]
    assert (reported["precision"], reported["when"]) == ("day", "21 Feb 2025")
    for event in session.scalars(select(Event)):
        shown = next(i for i in items.values() if i["id"] == event.id)
        assert shown["precision"] == event.precision


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [("since=2025-02-22", date(2025, 2, 22), None),
     ("until=2025-02-21", None, date(2025, 2, 21)),
     ("since=2025-02-21&until=2025-02-21", date(2025, 2, 21), date(2025, 2, 21)),
     ("since=2025-02-21&until=2025-03-31&country=US", date(2025, 2, 21), date(2025, 3, 31))],
)
def test_date_range_on_page_csv_and_api(client, session, query, start, end):
    expected = {
        e.id for e in session.scalars(select(Event))
        if e.happened_on is not None
        and (start is None or e.happened_on >= start) and (end is None or e.happened_on <= end)
    }
    if "country=US" in query:
        expected = {i for i in expected if any(
            p.country_code == "US" for p in session.get(Event, i).participants)}
    shown = {e["id"] for e in timeline(client.get(f"/events?{query}"))}
    exported = {int(r["id"]) for r in csv.DictReader(io.StringIO(
        client.get(f"/events.csv?{query}").text))}
    api = {i["id"] for i in client.get(f"/api/v1/events?{query}").json()["items"]}
    assert shown == exported == api == expected
    assert expected, "the range should hold at least one seeded event"


def test_date_range_inputs_keep_their_values_and_links_keep_the_range(client):
    page = soup(client.get("/events?since=2025-02-22&until=2025-03-01"))
    assert page.select_one("input#f-since")["value"] == "2025-02-22"
    assert page.select_one("input#f-until")["value"] == "2025-03-01"
    assert page.select_one("label[for=f-since]") and page.select_one("label[for=f-until]")
    assert "from 22 Feb 2025 until 1 Mar 2025" in page.select_one(".summary").text
    csv_link = page.select_one(".exports a[download]")["href"]
    assert csv_link == "/events.csv?since=2025-02-22&until=2025-03-01"


@pytest.mark.parametrize(
    ("query", "message"),
    [("since=yesterday", "valid date"),
     ("since=2025-03-01&until=2025-02-01", "the end date 2025-02-01 is before the start date")],
)
def test_bad_dates_are_explained(client, query, message):
    page = client.get(f"/events?{query}")
    assert page.status_code == 400
    assert message in soup(page).select_one("[role=alert]").text
    api = client.get(f"/api/v1/events?{query}")
    assert api.status_code == 422 and message in api.text


def test_only_dated_kinds_take_a_date_range(client):
    assert client.get("/assets?since=2025-01-01").status_code == 200  # ignored, not an error
    assert not soup(client.get("/assets")).select_one("input[name=since]")
