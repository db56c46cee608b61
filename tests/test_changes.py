"""The compare view and the Atom feed, on a scripted change history."""

import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import pytest
from sqlalchemy import func, select

from app.history import compare
from app.plan.models import Asset
from tests.html import soup

ATOM = "{http://www.w3.org/2005/Atom}"


def _rows(page, action: str) -> dict[str, str]:
    """Row title -> its text, for the rows listed under an action heading."""
    out = {}
    for heading in page.select("section.changes h3"):
        if heading.text == action:
            for item in heading.find_next_sibling("ul").select("li"):
                out[item.select_one("a").text] = item.get_text(" ", strip=True)
    return out


def test_compare_lists_the_edit_the_addition_and_the_deletion(client, scripted):
    response = client.get("/compare?from=2025-02-21&to=2025-03-10")
    assert response.status_code == 200
    page = soup(response)
    changed = _rows(page, "Changed")
    # Named as the tables name it.
    assert "Quantity unknown" in changed["Fighter jets (US)"]
    edit = page.select_one(f"a[href='/assets/{scripted['jets']}?as_of=2025-03-10']")
    item = edit.find_parent("li")
    assert [d.text for d in item.select("dd del, dd ins")] == ["unknown", "24"]
    # Each row links to the change that made it, listed with who, when and why.
    anchor = item.select_one("a[href^='#change-']")["href"]
    listed = page.select_one(anchor).text
    assert "ana" in listed and "Jets counted" in listed and "1 Mar 2025" in listed

    assert "Port of Odesa" in _rows(page, "Added")
    removed = page.select_one(f"a[href='/assets/{scripted['gone']}?as_of=2025-02-21']")
    assert removed.find_parent("ul").find_previous_sibling("h3").text == "Removed"
    # Citations removed with the asset are listed under their own heading.
    assert "Citations" in [h.contents[0].strip() for h in page.select("section.changes h2")]


def test_compare_covers_only_its_period_and_countries(client, scripted):
    page = soup(client.get("/compare?from=2025-03-02&to=2025-03-09"))
    assert not _rows(page, "Changed") and not _rows(page, "Added")
    assert _rows(page, "Removed")
    ukraine = soup(client.get("/compare?from=2025-02-21&to=2025-03-10&country=UA"))
    assert list(_rows(ukraine, "Added")) == ["Port of Odesa"]
    assert not _rows(ukraine, "Changed")
    us = soup(client.get("/compare?from=2025-02-21&to=2025-03-10&country=US"))
    assert list(_rows(us, "Changed")) and not _rows(us, "Added")


def test_compare_defaults_and_bad_dates(client, scripted):
    page = soup(client.get("/compare"))
    assert page.select_one("input[type=date][name=from]")["value"]
    assert page.select_one("input[type=date][name=to]")["value"]
    # Dates past today mean today; reversed dates are put in order.
    for query in ("from=9999-12-31&to=2025-03-01", "from=2025-03-10&to=9999-12-31",
                  "from=0001-01-01&to=2025-02-20"):
        assert client.get(f"/compare?{query}").status_code == 200, query
    swapped = soup(client.get("/compare?from=2025-03-10&to=2025-02-21"))
    assert swapped.select_one("input[name=from]")["value"] == "2025-02-21"
    bad = client.get("/compare?from=soon&to=2025-03-10")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in soup(bad).select_one(".problems").text


def test_compare_opens_on_the_latest_changes_however_old(client, scripted):
    """The page opens on the week before the latest change, not on a last week in which
    nothing happened."""
    page = soup(client.get("/compare"))
    assert page.select_one("input[name=from]")["value"] == "2025-03-03"
    assert "Port of Odesa" in _rows(page, "Added")


def test_compare_names_rows_not_ids_and_attributes_once(client, scripted):
    page = soup(client.get("/compare?from=2025-03-02&to=2025-03-09"))
    text = page.select_one("section.results").get_text(" ", strip=True)
    assert "#" not in text.replace("#change-", "")
    citations = [li.get_text(" ", strip=True) for h2 in page.select("section.changes h2")
                 if h2.contents[0].strip() == "Citations"
                 for li in h2.find_parent("section").select("li")]
    assert citations and all("cited for asset “Surveillance systems" in c for c in citations)
    assert all("21 Feb 2025" in c for c in citations)  # the source by outlet and date
    # Every row here was changed by ana on the same day: said once, above the rows.
    summary = " ".join(page.select_one("#compare-summary").text.split())
    assert "All by ana on 5 Mar 2025" in summary
    assert not page.select("section.changes li p.muted")


def test_compare_attributes_each_row_once_per_actor_and_day(client, scripted):
    page = soup(client.get("/compare?from=2025-02-20&to=2025-03-10"))
    lines = [p.text for p in page.select("section.changes li p.muted")]
    assert lines and not any(line.count("seed,") > 1 for line in lines)
    assert any("changes)" in line for line in lines)  # a row the seed touched twice


def test_pages_link_the_feed(client):
    for path in ("/", "/assets", "/compare"):
        link = soup(client.get(path)).select_one("link[rel=alternate]")
        assert link["type"] == "application/atom+xml" and link["href"] == "/changes.atom"
    assert soup(client.get("/compare")).select_one("main a[href^='/changes.atom']")


def test_the_feed_is_valid_atom_with_the_latest_changes_first(client, scripted):
    response = client.get("/changes.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert titles[:3] == ["Odesa named", "Surveillance dropped", "Jets counted"]
    edit = parsed.entries[2]
    assert edit.author == "ana"
    assert "Quantity unknown → 24" in edit.content[0].value
    assert "#change-" in edit.link and "to=2025-03-01" in edit.link
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)

    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith("/changes.atom")
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "author/" + ATOM + "name", "content"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert entry.find(f"{ATOM}link").get("href").startswith("http")


def test_the_feed_narrows_to_a_country(client, scripted):
    us = feedparser.parse(client.get("/changes.atom?country=us").content)
    assert us.bozo == 0
    assert "Jets counted" in [e.title for e in us.entries]
    assert "Odesa named" not in [e.title for e in us.entries]
    ukraine = [e.title for e in feedparser.parse(client.get("/changes.atom?country=UA").content)
               .entries]
    assert "Odesa named" in ukraine and "Jets counted" not in ukraine
    assert client.get("/changes.atom?country=XX").status_code == 422


@pytest.mark.parametrize("path", ["/compare", "/changes.atom"])
def test_history_views_ignore_as_of(client, path):
    assert client.get(f"{path}?as_of=2025-02-20").status_code == 200


def test_a_bulk_load_is_listed_in_part_with_its_full_count(session):
    seeded = compare.compare(session, date(2025, 2, 20), date(2025, 2, 21), listed=2)
    assets = next(g for g in seeded.groups if g.label == "Assets")
    assert len(assets.rows["added"]) == 2
    assert assets.totals["added"] == assets.count == session.scalar(select(func.count(Asset.id)))


def test_compare_offers_the_plan_on_a_date(client):
    form = soup(client.get("/compare?from=2025-02-21&to=2025-03-01")).select_one("#as-of-form")
    field = form.select_one("input[type=date]")
    assert (form["action"], field["name"], field["value"]) == ("/", "as_of", "2025-02-21")
    submitted = client.get(f"{form['action']}?{field['name']}={field['value']}")
    assert "21 Feb 2025" in soup(submitted).select_one(".as-of").text
