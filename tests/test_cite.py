"""The Cite box: permalinks pinned to a moment and a change keep showing what was cited,
and the citation's BibTeX and CSL-JSON carry the pinned address."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
import pytest
from sqlalchemy import func, select

from app.plan.records import Change
from tests.html import result_ids, soup
from tests.test_api_writes import _json
from tests.test_datapackage import tables
from tests.test_editing import _drone

CSL_SCHEMA = jsonschema_rs.validator_for(
    json.loads((Path(__file__).parent / "vendor" / "csl-data.json").read_text()))


def _box(response):
    box = soup(response).select_one("details#cite-this")
    assert box is not None, "the page has no Cite box"
    return box


def permalink(response) -> str:
    """The Cite box's permalink, as a path and query the test client can ask for."""
    url = urlsplit(_box(response).select_one(".permalink a")["href"])
    return f"{url.path}?{url.query}"


def _figures(response) -> list[str]:
    """What a list shows: its total and every cell of its table."""
    page = soup(response)
    return [page.select_one("#total").get_text()] + [
        td.get_text(" ", strip=True) for td in page.select("#results tbody td")]


@pytest.mark.parametrize("path", ["/", "/assets?country=US", "/map", "/brief?country=GB",
                                  "/deployments/1", "/sources/1", "/events?since=2025-01-01",
                                  "/search?q=drones", "/scenarios?a=proposed&b=committed",
                                  "/stances/timeline?country=FR"])
def test_every_page_has_a_cite_box_pinned_to_the_newest_change(path, client, session):
    response = client.get(path)
    assert response.status_code == 200
    link = permalink(response)
    query = parse_qs(urlsplit(link).query)
    newest = session.scalar(select(func.max(Change.id)))
    assert query["change"] == [str(newest)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", query["as_of"][0])
    # The page's own filter stays in it.
    for key, values in parse_qs(urlsplit(path).query).items():
        assert query[key] == values
    pinned = client.get(link)
    assert pinned.status_code == 200
    assert "The plan as it stood at" in pinned.text


def test_pages_without_plan_data_have_no_cite_box(client, editor_client):
    assert soup(client.get("/login")).select_one("#cite-this") is None
    assert soup(editor_client.get("/assets/new")).select_one("#cite-this") is None
    assert soup(editor_client.get("/account/password")).select_one("#cite-this") is None


def test_a_permalink_shows_the_same_figures_after_later_edits(session, editor_client, client):
    drone = _drone(session)
    page = client.get("/assets?asset_type=drone")
    cited, link = _figures(page), permalink(page)
    detail_link = permalink(client.get(f"/assets/{drone.id}"))
    detail = soup(client.get(detail_link)).select_one("main").get_text(" ", strip=True)
    csv_before = client.get("/assets.csv?asset_type=drone").text

    # Later: a figure changes through the API, and a new asset is added.
    item = editor_client.get(f"/api/v1/assets/{drone.id}").json()
    changed = editor_client.put(f"/api/v1/assets/{drone.id}", json={
        **_json(session, "assets"), "quote": "drones", "reason": "A later count",
        "quantity_low": 12, "quantity_high": 20, "version": item["version"]})
    assert changed.status_code == 200, changed.text
    added = editor_client.post("/api/v1/assets", json={**_json(session, "assets"),
                                                       "asset_type": "drone"})
    assert added.status_code == 201, added.text

    now = client.get("/assets?asset_type=drone")
    assert _figures(now) != cited  # the present moved on
    assert added.json()["id"] in result_ids(now, "assets")
    again = client.get(link)
    assert _figures(again) == cited
    assert added.json()["id"] not in result_ids(again, "assets")
    assert soup(client.get(detail_link)).select_one("main").get_text(" ", strip=True) == detail
    # The export and the API pinned the same way agree.
    pin = link.partition("?")[2].split("&", 1)[1]
    assert client.get(f"/assets.csv?asset_type=drone&{pin}").text == csv_before
    # So does the data package among the pinned page's exports.
    exports = soup(again).select_one(".exports a[href^='/datapackage.zip']")["href"]
    assert "change=" in exports
    package = client.get(exports)
    assert package.status_code == 200, package.text
    held = {int(r["id"]): r for r in tables(package.content)["asset"]}
    assert added.json()["id"] not in held
    assert (held[drone.id]["quantity_low"], held[drone.id]["quantity_high"]) == ("", "")


def test_a_change_that_does_not_fit_its_time_is_said_and_not_followed(client, session):
    link = permalink(client.get("/assets"))
    as_of = parse_qs(urlsplit(link).query)["as_of"][0]
    newest = session.scalar(select(func.max(Change.id)))
    unknown = client.get(f"/assets?as_of={as_of}&change={newest + 1000}")
    assert unknown.status_code == 200
    banner = soup(unknown).select_one(".as-of").get_text(" ", strip=True)
    assert f"names change {newest + 1000}, which does not exist" in banner
    assert f"up to change {newest}" in banner
    assert _figures(unknown) == _figures(client.get(link))
    # Links on the page carry the time alone, not the change that did not fit.
    assert all("change=" not in a["href"] for a in soup(unknown).select("#results a[href^='/']"))
    early = client.get(f"/assets?as_of=2025-01-01&change={newest}")
    assert "took effect after that time" in soup(early).select_one(".as-of").get_text()
    assert client.get("/assets?as_of=2025-02-21T25:00:00Z").status_code == 400
    assert client.get("/api/v1/assets?as_of=2025-02-21T10:00").status_code == 422


def test_bibtex_and_csl_json_carry_the_pinned_address(client):
    response = client.get("/assets?country=US")
    box = _box(response)
    url = box.select_one(".permalink a")["href"]
    assert url.startswith("http://testserver/assets?country=US&as_of=")
    bibtex, csl_text = (pre.get_text() for pre in box.select("pre.cite-code"))
    assert f"url = {{{url}}}" in bibtex
    assert bibtex.startswith("@misc{peaceplan-") and "title = {{Assets}}" in bibtex
    assert url in box.select_one(".citation").get_text()

    shown = json.loads(csl_text)
    CSL_SCHEMA.validate(shown)
    (item,) = shown
    assert item["type"] == "dataset" and item["id"]
    assert (item["title"], item["publisher"], item["URL"]) == ("Assets", "Peaceplan", url)
    assert item["issued"]["date-parts"][0][:3] == [2025, 2, 21]
    assert len(item["accessed"]["date-parts"][0]) == 3

    download = client.get(box.select_one("a[download]")["href"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    assert download.json() == shown


def test_cite_json_names_rows_and_refuses_other_addresses(client):
    item, = client.get("/cite.json", params={"path": "/deployments/1"}).json()
    page_title = soup(client.get("/deployments/1")).title.get_text()
    assert page_title == f"{item['title']} · Peaceplan"
    for path, status in [("https://elsewhere.example/", 422), ("//elsewhere.example/", 422),
                         ("/deployments/999999", 404), ("/admin/users", 404)]:
        response = client.get("/cite.json", params={"path": path})
        assert response.status_code == status
        assert response.json()["detail"]


def test_a_filtered_fragment_sends_its_new_cite_box(htmx):
    response = htmx.get("/assets?asset_type=drone")
    assert "<html" not in response.text
    box = soup(response).select_one("#cite-this[hx-swap-oob]")
    assert "asset_type=drone" in box.select_one(".permalink a")["href"]


def test_each_host_gets_its_own_addresses_from_the_page_cache(client):
    first = client.get("/assets", headers={"host": "one.example"})
    second = client.get("/assets", headers={"host": "two.example"})
    assert _box(first).select_one(".permalink a")["href"].startswith("http://one.example/")
    assert _box(second).select_one(".permalink a")["href"].startswith("http://two.example/")


def test_a_page_of_the_past_is_pinned_to_its_own_date(client, session):
    past = client.get("/assets?as_of=2025-02-21&country=US")
    query = parse_qs(urlsplit(permalink(past)).query)
    newest_then = session.scalar(select(func.max(Change.id)).where(
        Change.at < datetime(2025, 2, 22, tzinfo=UTC)))
    assert (query["as_of"], query["change"], query["country"]) == (
        ["2025-02-21"], [str(newest_then)], ["US"])
    assert _figures(client.get(permalink(past))) == _figures(past)


def test_a_cached_page_is_not_cited_as_read_on_an_earlier_day(client, monkeypatch):
    from app.caching import pages
    from app.web import citing

    first = json.loads(_box(client.get("/assets")).select("pre.cite-code")[1].get_text())
    later = datetime(2031, 5, 17, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(pages, "utcnow", lambda: later)
    monkeypatch.setattr(citing, "today", lambda: later.date())
    second = json.loads(_box(client.get("/assets")).select("pre.cite-code")[1].get_text())
    assert first[0]["accessed"] != second[0]["accessed"]
    assert second[0]["accessed"] == {"date-parts": [[2031, 5, 17]]}


def test_a_change_dated_back_before_the_moment_leaves_the_permalink_alone(client, session):
    from app.history import record
    from tests.scripted import EDITOR, asset

    page = client.get("/assets?country=US")
    cited, link = _figures(page), permalink(page)
    # Recorded later, but dated before the moment the permalink names (after the seed,
    # whose changes take effect at the start of 21 Feb 2025, within the same second).
    jets = asset(session, "us-fighter-jets-backstop")
    record.attribute(session, EDITOR, "update", "Jets counted",
                     at=datetime(2025, 2, 21, 0, 0, 0, 500_000, tzinfo=UTC))
    jets.quantity_low = jets.quantity_high = 24
    session.commit()
    as_of = parse_qs(urlsplit(link).query)["as_of"][0]
    assert _figures(client.get(f"/assets?country=US&as_of={as_of}")) != cited
    pinned = client.get(link)
    assert _figures(pinned) == cited
    assert "as recorded up to change" in soup(pinned).select_one(".as-of").get_text()


def test_the_change_log_offers_no_pin_it_would_not_honour(client):
    # /compare reads the history as recorded now: a permalink pinned to a change would
    # promise what it cannot keep.
    assert soup(client.get("/compare")).select_one("#cite-this") is None


@pytest.mark.parametrize("path", [
    "/", "/assets?country=US", "/map", "/brief?country=GB", "/deployments/1", "/sources/1",
    "/stakeholders/1", "/force-levels", "/events?since=2025-01-01", "/events?view=timeline",
    "/search?q=drones", "/scenarios", "/scenarios?a=proposed&b=requested",
    "/stances/timeline?country=FR&country=DE"])
def test_every_cite_box_downloads_its_page_by_the_page_title(path, client):
    page = client.get(path)
    box = _box(page)
    download = client.get(box.select_one("a[download]")["href"])
    assert download.status_code == 200, (path, download.text)
    CSL_SCHEMA.validate(download.json())
    (item,) = download.json()
    assert soup(page).title.get_text() == f"{item['title']} · Peaceplan"
    assert item["URL"].endswith(permalink(page))
