"""What a feed entry says, in both feeds and both formats, written by one function: the
change's reason, the rows or figures it changed, and for an alert the change it came from."""

import feedparser
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.alerts import outbox
from app.plan.records import Change
from tests.html import soup
from tests.test_api_writes import _json
from tests.test_editing import _drone


def _html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def _change_figure(session, editor_client, asset_id: int, reason: str) -> None:
    item = editor_client.get(f"/api/v1/assets/{asset_id}").json()
    changed = editor_client.put(f"/api/v1/assets/{asset_id}", json={
        **_json(session, "assets"), "quote": "drones", "reason": reason,
        "quantity_low": 12, "quantity_high": 20, "version": item["version"]})
    assert changed.status_code == 200, changed.text


def test_the_change_feed_gives_the_reason_and_the_rows_in_both_formats(session, editor_client,
                                                                       client):
    drone = _drone(session)
    _change_figure(session, editor_client, drone.id, "A later count")
    entry = feedparser.parse(client.get("/changes.atom").content).entries[0]
    html = entry.content[0].value
    assert "<p>Reason: A later count</p>" in html
    assert any("12–20" in li.get_text() for li in _html(html).select("li"))
    # A citation's line quotes its source once.
    cited = [li.get_text() for li in _html(html).select("li") if li.get_text().startswith(
        "Citation")]
    assert cited and all("““" not in line and "””" not in line for line in cited)
    twin = client.get("/changes.json").json()["items"][0]
    assert _html(twin["content_html"]).get_text() == _html(html).get_text()


def test_an_alert_entry_gives_the_reason_its_lines_and_the_change(session, editor_client,
                                                                  client):
    drone = _drone(session)
    subscribed = editor_client.post("/api/v1/subscriptions", json={
        "row": {"kind": "assets", "id": drone.id}, "events": ["figure_changed"]})
    assert subscribed.status_code == 201, subscribed.text
    _change_figure(session, editor_client, drone.id, "A later count")
    outbox.fan_out(session)
    summary = session.scalars(select(Change.summary).order_by(Change.id.desc())).first()
    feed_url = soup(editor_client.get("/account/alerts")).select_one("#feed-atom")["href"]
    entry = feedparser.parse(client.get(feed_url).content).entries[0]
    page = _html(entry.content[0].value)
    assert page.select_one("p").get_text() == "Reason: A later count"
    assert any("→ 12–20" in li.get_text() for li in page.select("li"))
    assert page.select("p")[-1].get_text() == f"Change: {summary}"
