"""Stances along time: on a stakeholder's page, grouped by what they are about, each with
its dated quote and source; several stakeholders on one axis at /stances/timeline, with
the events as markers and a table saying the same."""

from datetime import date

import pytest
from sqlalchemy import select

from app.plan.models import Citation, Event, Plan, Source, Stakeholder, Stance
from tests.html import soup


def _stakeholder(session, name: str) -> Stakeholder:
    return session.scalars(select(Stakeholder).where(Stakeholder.name == name)).one()


@pytest.fixture
def macron_changes(session):
    """Macron on the reassurance force: not stated on 21 Feb 2025 (seeded), conditional
    on 3 March, then supporting on 20 March, each quoted from a source of its own day."""
    macron = _stakeholder(session, "Emmanuel Macron")
    plan = session.scalars(select(Plan)).first()
    made = {}
    for key, day, position, quote in [
        ("t-macron-conditional", date(2025, 3, 3), "conditional", "France would take part if"),
        ("t-macron-supports", date(2025, 3, 20), "supports", "France will send troops"),
    ]:
        source = Source(key=f"src-{key}", kind="news_report", title=f"Report {key}",
                        publisher="Test Wire", published_on=day)
        stance = Stance(key=key, plan_id=plan.id, stakeholder_id=macron.id, position=position,
                        subject="the reassurance force", as_of=day)
        session.add_all([source, stance])
        session.flush()
        session.add(Citation(subject_type="stance", subject_id=stance.id, source_id=source.id,
                             quote=quote))
        made[position] = stance.id
    meeting = Event(key="t-paris-summit", plan_id=plan.id, title="Paris summit",
                    happened_on=date(2025, 3, 10), precision="day", participants=[macron])
    session.add(meeting)
    session.commit()
    return {"macron": macron.id, **made}


def test_a_stakeholders_page_shows_their_stances_over_time_by_subject(client, macron_changes):
    page = soup(client.get(f"/stakeholders/{macron_changes['macron']}"))
    section = page.select_one("section.stances-over-time")
    subjects = [h.text for h in section.select("h3")]
    assert subjects == ["On the reassurance force", "On Ukraine's future peace and security"]
    first = section.select_one("ol.stance-history")
    entries = [li.get_text(" ", strip=True) for li in first.select(":scope > li")]
    assert [e.split(":")[0].strip() for e in entries] == [
        "21 Feb 2025", "3 Mar 2025", "20 Mar 2025"]
    assert "Not stated" in entries[0] and "Conditional" in entries[1] and "Supports" in entries[2]
    # Each with its quote and a link to the source, at the quote.
    latest = first.select(":scope > li")[2]
    assert latest.select_one("blockquote").text == "France will send troops"
    assert latest.select_one("a.cite").text == "Test Wire, 20 Mar 2025"
    assert latest.select_one("a.cite")["href"].startswith("/sources/")
    # The chart puts the three on one line of their subject, with the summit he attended.
    chart = section.select_one("#chart-stances-over-time")
    lanes = chart.select(".time-lane")
    assert [lane.select_one(".lane-label").text for lane in lanes] == [
        "on the reassurance force", "on Ukraine's future peace and security"]
    xs = [float(t["x"].rstrip("%")) for t in lanes[0].select(".stance-mark")]
    assert len(xs) == 3 and xs == sorted(xs)
    assert "Paris summit" in section.select_one(".event-key").text


def test_the_timeline_puts_several_stakeholders_on_one_axis(client, macron_changes):
    response = client.get("/stances/timeline?country=FR&country=DE")
    assert response.status_code == 200
    page = soup(response)
    lanes = [lane.select_one(".lane-label").get_text(" ", strip=True)
             for lane in page.select("#chart-stances-over-time .time-lane")]
    assert any(label.startswith("Emmanuel Macron") for label in lanes)
    assert any(label.startswith("Government of Germany") for label in lanes)
    assert not any("Starmer" in label for label in lanes)  # Britain is not chosen
    # The table says what the drawing shows: every stance of the chosen countries.
    rows = page.select(".stance-table tbody tr")
    stances = client.get("/api/v1/stances?country=FR&country=DE&per_page=500").json()
    assert len(rows) == stances["total"]
    dates = [r.select("td")[2].text.strip() for r in rows
             if r.select_one("td a").text == "Emmanuel Macron"
             and r.select("td")[1].text == "the reassurance force"]
    assert dates == ["21 Feb 2025", "3 Mar 2025", "20 Mar 2025"]
    # Events involving the chosen countries are markers, numbered in date order.
    key = [li.get_text(" ", strip=True) for li in page.select(".event-key li")]
    assert any("Paris summit" in k for k in key)
    numbers = [int(li["value"]) for li in page.select(".event-key li")]
    assert numbers == list(range(1, len(numbers) + 1))
    assert page.select("#chart-stances-over-time .event-line")


def test_the_timeline_keeps_the_past_and_refuses_bad_countries(client, macron_changes):
    past = soup(client.get("/stances/timeline?country=FR&as_of=2025-02-21"))
    assert "France will send troops" not in past.text  # recorded today, not on that date
    bad = client.get("/stances/timeline?country=XX")
    assert bad.status_code == 400 and "XX" in soup(bad).select_one(".problems").text


def test_the_stance_marks_are_told_by_shape_not_colour(client):
    page = soup(client.get("/stances/timeline"))
    key = {li.get_text(" ", strip=True) for li in page.select("#chart-stances-over-time "
                                                              ".chart-key li")}
    assert {"★ Leads", "▲ Supports", "▼ Opposes", "○ Not stated"} <= key


def test_the_stances_list_and_a_stance_lead_to_the_timeline(client, macron_changes):
    listing = soup(client.get("/stances?country=FR&position=supports"))
    link = listing.select_one(".exports a[href^='/stances/timeline']")["href"]
    assert link == "/stances/timeline?country=FR&position=supports"
    page = soup(client.get(link))
    positions = {tr.select("td")[3].text for tr in page.select(".stance-table tbody tr")}
    assert positions == {"Supports"}
    stance = macron_changes["supports"]
    shown = soup(client.get(f"/stances/{stance}")).select_one(
        "a[href^='/stances/timeline']")["href"]
    assert shown == f"/stances/timeline#stance-{stance}"
    assert page.select_one(f"tr#stance-{stance}")


def test_an_event_known_to_its_week_spans_the_week_not_a_day(client):
    # Starmer is to present the plan in Washington in the week of 24 Feb 2025: no day of
    # it is known, so no line picks one.
    chart = soup(client.get(f"/stakeholders/{_stakeholder_id(client, 'Keir Starmer')}"))
    chart = chart.select_one("#chart-stances-over-time")
    numbers = [t.contents[-1].strip() for t in chart.select(".time-events .event-number")]
    assert numbers == ["1–2", "3"]
    lane = chart.select_one(".time-lane")
    lines = [float(line["x1"].rstrip("%")) for line in lane.select(".event-line")]
    spans = [(float(r["x"].rstrip("%")), float(r["width"].rstrip("%")))
             for r in lane.select(".event-span")]
    assert len(lines) == 1 and len(spans) == 1
    # The span runs seven days from the week's Monday; the day line is 3 days before it.
    (start, width), = spans
    per_day = (start - lines[0]) / 3
    assert width == pytest.approx(7 * per_day, abs=0.05)


def _stakeholder_id(client, name: str) -> int:
    return client.get("/api/v1/stakeholders", params={"q": name}).json()["items"][0]["id"]
