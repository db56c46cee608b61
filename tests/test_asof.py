"""Pages as they stood on a past date, rebuilt from a scripted change history."""

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import get_session
from app.history import asof, record
from app.main import create_app
from app.plan.models import Asset
from app.web.middleware import with_date
from tests.conftest import csrf_token_of
from tests.html import result_ids, soup
from tests.scripted import asset
from tests.test_query_budget import counting

EDITOR = record.Actor("ana", user_id=7)


def _cell(response, row_id: int, column: str) -> str:
    """The text of one cell of the results table, by column heading."""
    page = soup(response)
    headings = [th.get_text(" ", strip=True).rstrip("▲▼ ") for th in page.select("thead th")]
    link = page.select_one(f"tbody a[href^='/assets/{row_id}']")
    return link.find_parent("tr").select("td")[headings.index(column)].get_text(strip=True)


def test_a_date_before_an_edit_shows_the_old_figure_everywhere(client, scripted):
    jets = scripted["jets"]
    before, after = "?as_of=2025-02-28", "?as_of=2025-03-01"
    assert _cell(client.get(f"/assets{before}"), jets, "Quantity") == "unknown"
    assert _cell(client.get(f"/assets{after}"), jets, "Quantity") == "24"
    assert _cell(client.get("/assets"), jets, "Quantity") == "24"

    fields = soup(client.get(f"/assets/{jets}{before}")).select_one("dl.fields").text
    assert "unknown" in fields and "24" not in fields
    assert "24" in soup(client.get(f"/assets/{jets}{after}")).select_one("dl.fields").text

    old = client.get(f"/api/v1/assets/{jets}{before}").json()
    new = client.get(f"/api/v1/assets/{jets}{after}").json()
    assert (old["quantity_low"], new["quantity_low"]) == (None, 24)
    csv_rows = [line for line in client.get(f"/assets.csv{before}").text.splitlines()
                if line.startswith(f"{jets},")]
    assert csv_rows and ",24," not in csv_rows[0]


def test_deleted_and_added_rows_come_and_go_on_their_dates(client, scripted):
    gone, port = scripted["gone"], scripted["port"]
    assert gone in result_ids(client.get("/assets?as_of=2025-03-04"), "assets")
    assert gone not in result_ids(client.get("/assets?as_of=2025-03-05"), "assets")
    assert client.get(f"/assets/{gone}?as_of=2025-03-04").status_code == 200
    assert client.get(f"/assets/{gone}").status_code == 404
    # Its sources came along with it.
    assert soup(client.get(f"/assets/{gone}?as_of=2025-03-04")).select(".claims-table tbody tr")

    assert port not in result_ids(client.get("/sites?as_of=2025-03-09"), "sites")
    assert port in result_ids(client.get("/sites?as_of=2025-03-10"), "sites")
    api = client.get("/api/v1/sites?as_of=2025-03-09&country=UA").json()
    assert port not in {item["id"] for item in api["items"]}


def test_the_seed_date_shows_the_seeded_plan_and_earlier_an_empty_one(client, session):
    seeded = client.get("/assets?as_of=2025-02-21")
    assert result_ids(seeded, "assets") == set(session.scalars(select(Asset.id)))
    banner = soup(seeded).select_one(".as-of").text
    assert "21 Feb 2025" in banner and "no record before" not in banner

    empty = client.get("/assets?as_of=2025-02-20")
    assert empty.status_code == 200 and result_ids(empty, "assets") == set()
    assert "no record before 21 Feb 2025" in soup(empty).select_one(".as-of").text
    assert "None yet" in client.get("/?as_of=2025-02-20").text
    assert client.get("/api/v1/assets?as_of=0001-01-01").json()["total"] == 0


def test_an_empty_past_says_so_plainly(client):
    page = soup(client.get("/sites?as_of=2025-02-20"))
    empty = page.select_one(".empty").get_text(" ", strip=True)
    assert empty == "No sites recorded by this date."  # no "Show all" with no filter set
    footer = page.select_one("footer.site").get_text(" ", strip=True)
    assert "no source recorded yet" in footer and "not given" not in footer
    brief = soup(client.get("/brief?as_of=2025-02-20")).select_one(".scope").text
    assert "no source recorded yet" in brief and "not given" not in brief
    filtered = soup(client.get("/sites?as_of=2025-02-20&country=FR")).select_one(".empty")
    assert "match these filters" in filtered.text and filtered.select_one("a")


@pytest.mark.parametrize("page", ["/map", "/", "/brief"])
def test_a_map_of_the_past_draws_the_sites_of_that_date(client, page):
    """The map loads its markers from the address in #map-data: it must carry the date,
    or an empty plan of the past is drawn with today's sites."""
    source = soup(client.get(f"{page}?as_of=2025-02-20")).select_one("#map-data")["data-src"]
    assert source.startswith("/sites.geojson") and "as_of=2025-02-20" in source
    assert client.get(source.replace("&amp;", "&")).json()["features"] == []
    present = soup(client.get(page)).select_one("#map-data")["data-src"]
    assert "as_of" not in present


def test_links_on_a_page_of_the_past_keep_its_date(client, scripted):
    page = soup(client.get("/assets?as_of=2025-03-01&country=US"))
    nav = [a["href"] for a in page.select("nav[aria-label=Sections] a")]
    assert "/deployments?as_of=2025-03-01" in nav and "/?as_of=2025-03-01" in nav
    rows = [a["href"] for a in page.select("tbody a")]
    assert rows and all(href.split("#")[0].endswith("as_of=2025-03-01") for href in rows)
    sort = page.select_one("#sort-quantity")
    assert sort["href"] == "/assets?country=US&sort=quantity&as_of=2025-03-01"
    assert sort["hx-get"] == sort["href"]
    assert page.select_one("form#filters input[type=hidden][name=as_of]")["value"] == \
        "2025-03-01"
    present = page.select_one(".as-of a[data-present]")
    assert present["href"] == "/assets?country=US"
    # The HTMX fragment's links keep it too.
    fragment = soup(client.get("/assets?as_of=2025-03-01", headers={"HX-Request": "true"}))
    assert all("as_of=2025-03-01" in a["href"] for a in fragment.select("tbody a"))
    # Pages of the present carry no date (but in their Cite box, pinned on purpose).
    present = soup(client.get("/assets"))
    assert not [a for a in present.select(".as-of, a[href*=as_of]")
                if a.find_parent(id="cite-this") is None]


def test_today_or_later_is_the_present(client, scripted):
    for day in (asof.today().isoformat(), "2999-01-01", "9999-12-31"):
        response = client.get(f"/assets?as_of={day}")
        assert response.status_code == 200
        assert not soup(response).select(".as-of")
        assert _cell(response, scripted["jets"], "Quantity") == "24"


@pytest.mark.parametrize("value", ["yesterday", "2025-02-30", "21/02/2025", "2025-2-1"])
def test_a_bad_date_is_a_clear_error(client, value):
    page = client.get(f"/assets?as_of={value}")
    assert page.status_code == 400
    assert "YYYY-MM-DD" in soup(page).select_one(".problems").text
    api = client.get(f"/api/v1/assets?as_of={value}")
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["query", "as_of"]
    assert client.get(f"/assets.csv?as_of={value}").status_code == 422


def test_nothing_is_written_through_a_view_of_the_past(session):
    # An app of its own: the probe route must not outlive this test in the shared one.
    app: FastAPI = create_app()
    app.dependency_overrides[get_session] = lambda: session
    app.add_api_route("/probe", lambda: {"written": True}, methods=["POST"])
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = csrf_token_of(client)  # only the date is wrong
    assert client.post("/probe").status_code == 200
    for path in ("/probe?as_of=2025-02-21", "/api/v1/assets?as_of=2025-02-21"):
        refused = client.post(path)
        assert refused.status_code == 405, path
        assert "read-only" in refused.text
    assert "GET" in client.post("/probe?as_of=2025-02-21").headers["allow"]


def test_a_snapshot_is_built_once_and_again_after_a_backdated_change(client, session):
    client.get("/assets?as_of=2025-02-25")
    builds = asof.SNAPSHOTS.builds
    client.get("/assets?as_of=2025-02-25")
    client.get("/api/v1/assets?as_of=2025-02-25")
    assert asof.SNAPSHOTS.builds == builds

    jets = asset(session, "us-fighter-jets-backstop")
    record.attribute(session, EDITOR, "update", at=datetime(2025, 2, 24, tzinfo=UTC))
    jets.quantity_low = 9
    session.commit()
    response = client.get("/assets?as_of=2025-02-25")
    assert asof.SNAPSHOTS.builds == builds + 1
    assert _cell(response, jets.id, "Quantity") == "at least 9"


def test_a_snapshot_database_refuses_writes(session):
    _, past = asof.view(session, asof.parse_day("2025-02-21"))
    with past:
        past.get(Asset, asset(session, "european-drones").id).role = "changed"
        with pytest.raises(Exception, match="readonly"):
            past.commit()


def test_a_cached_view_costs_one_statement_on_the_live_database(client, session):
    client.get("/assets?as_of=2025-02-25")
    with counting(session) as statements:
        assert client.get("/assets?as_of=2025-02-25").status_code == 200
    assert len(statements) == 1, statements


@pytest.mark.parametrize(("html", "dated"), [
    ('<a href="/assets?country=US#x">', '<a href="/assets?country=US&amp;as_of=2025-02-21#x">'),
    ('<a href="/static/app.css">', '<a href="/static/app.css">'),
    ('<a href="/changes.atom">', '<a href="/changes.atom">'),
    ('<a href="https://example.org/">', '<a href="https://example.org/">'),
    ('<a href="/assets" data-present>', '<a href="/assets" data-present>'),
    ('<form action="/assets" method="get">',
     '<form action="/assets" method="get"><input type="hidden" name="as_of" '
     'value="2025-02-21">'),
    # A write from a page of the past goes out dated, to be refused.
    ('<form method="post" action="/assets/1/edit">',
     '<form method="post" action="/assets/1/edit?as_of=2025-02-21">'),
    ('<button hx-post="/assets/1/delete">', '<button hx-post="/assets/1/delete?as_of=2025-02-21">'),
])
def test_dating_links(html, dated):
    assert with_date(html, "2025-02-21") == dated
