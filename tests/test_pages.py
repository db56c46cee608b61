"""Pages and their HTMX fragments, rendered from the same template blocks."""

import pytest
from sqlalchemy import select

from app.plan.kinds import KINDS, NAV
from app.plan.vocab import AssetType
from tests.html import result_ids, soup


@pytest.mark.parametrize("slug", list(KINDS))
def test_list_page(client, slug):
    response = client.get(f"/{slug}")
    assert response.status_code == 200
    assert soup(response).select_one("h1").text == KINDS[slug].plural
    assert "HX-Request" in response.headers["vary"]
    page = soup(response)
    assert page.select_one("html") and page.select_one("nav[aria-label=Sections]")
    assert page.select_one("form#filters[hx-get][hx-push-url=true]")
    assert page.select_one("#results ol.timeline" if slug == "events" else "#results table")
    assert "source" in page.select_one("footer").text


@pytest.mark.parametrize("slug", list(KINDS))
def test_list_fragment(htmx, slug):
    response = htmx.get(f"/{slug}")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert ('<ol class="timeline">' if slug == "events" else "<tr") in response.text
    assert "HX-Request" in response.headers["vary"]
    # The fragment carries the facets, so counts refresh with the rows.
    assert soup(response).select_one("fieldset.facet") or not KINDS[slug].dims


def test_boosted_and_history_restore_requests_get_the_full_page(client):
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = client.get("/assets", headers={"HX-Request": "true", header: "true"})
        assert "<html" in response.text


@pytest.mark.parametrize("slug", list(KINDS))
def test_every_row_has_a_detail_page(client, session, slug):
    kind = KINDS[slug]
    for row_id in session.scalars(select(kind.model.id)):
        response = client.get(f"/{slug}/{row_id}")
        assert response.status_code == 200, (slug, row_id)
        page = soup(response)
        if kind.cited:
            shown = page.select("figure.citation") or page.select(".claims-table tbody tr")
            assert shown, f"/{slug}/{row_id} shows no source"


def test_detail_shows_quote_and_related_rows(client, session):
    from app.plan.models import Site

    site = session.scalars(select(Site).where(Site.key == "eastern-europe")).one()
    page = soup(client.get(f"/sites/{site.id}"))
    assert "on standby in Eastern Europe" in page.select_one("blockquote").text
    assert {a.text for a in page.select("section a[href^='/assets/']")} == {
        "Fighter jets", "Missiles"}


def test_source_page_shows_full_text_and_cited_facts(client):
    page = soup(client.get("/sources/1"))
    assert "30,000 European troops" in page.select_one(".source-text").text
    assert page.select("section a[href^='/assets/']")


def test_missing_row_is_a_404_page(client):
    response = client.get("/assets/999999")
    assert response.status_code == 404
    assert "No asset with id 999999" in response.text and "<html" in response.text


@pytest.mark.parametrize("path", ["/assets/abc", "/no-such-page"])
def test_bad_paths_are_not_500(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert "<html" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [("country=ZZ", "unknown country code 'ZZ'"), ("asset_type=tank", "unknown asset type 'tank'"),
     ("sort=colour", "cannot sort by 'colour'"), ("page=-1", "page")],
)
def test_bad_filter_values_show_a_message(client, htmx, query, message):
    for c in (client, htmx):
        response = c.get(f"/assets?{query}")
        assert response.status_code == 400
        alert = soup(response).select_one("[role=alert]")
        assert alert and message in alert.text
        assert soup(response).select_one("table")  # the rest of the view still shows


def test_drone_filter_page_and_fragment_agree(client, session):
    from app.plan.models import Asset

    drones = set(session.scalars(select(Asset.id).where(Asset.asset_type == "drone")))
    full = client.get("/assets?asset_type=drone")
    part = client.get("/assets?asset_type=drone", headers={"HX-Request": "true"})
    for response in (full, part):
        page = soup(response)
        assert result_ids(response, "assets") == drones
        assert page.select_one("#total").text == "1"
        box = page.select_one("input[name=asset_type][value=drone]")
        assert box.has_attr("checked")
        assert box.find_parent("label").select_one(".count").text == "1"


def test_us_filter_facet_counts(client):
    page = soup(client.get("/assets?country=US"))
    counts = {i["value"]: i.find_parent("label").select_one(".count").text
              for i in page.select("fieldset.facet input[name=asset_type]")}
    # The types no US asset has stay choosable, at 0.
    assert {v: n for v, n in counts.items() if n != "0"} == {"fighter_jet": "1", "missile": "1"}
    assert counts["drone"] == "0"


def test_sort_links_toggle_and_keep_filters(client):
    page = soup(client.get("/assets?country=US&sort=posture"))
    link = page.select_one("th[aria-sort=ascending] a")
    assert link["href"] == "/assets?country=US&sort=-posture"
    assert link["hx-get"] == link["href"]


def test_pagination_links(client):
    page = soup(client.get("/sites?per_page=4&page=2"))
    nav = page.select_one("nav.pagination")
    assert "Page 2 of 3" in nav.text
    assert nav.select_one("a[rel=prev]")["href"] == "/sites?per_page=4"
    assert nav.select_one("a[rel=next]")["href"] == "/sites?page=3&per_page=4"


def test_empty_state(client):
    page = soup(client.get("/assets?country=JP"))
    assert "No assets match these filters" in page.select_one(".empty").text


def test_exports_link_carries_the_filter(client):
    page = soup(client.get("/assets?country=US&asset_type=missile"))
    hrefs = {a.text: a["href"] for a in page.select(".exports a")}
    assert hrefs["CSV"] == "/assets.csv?country=US&asset_type=missile"
    assert hrefs["JSON"] == "/api/v1/assets?country=US&asset_type=missile"


def test_navigation_marks_the_current_page(client):
    page = soup(client.get("/deployments"))
    assert page.select_one("nav a[aria-current=page]").text == "Deployments"
    assert soup(client.get("/map")).select_one("nav a[aria-current=page]").text == "Map"
    assert soup(client.get("/deployments/1")).select_one(
        "nav a[aria-current=page]").text == "Deployments"
    # A section whose address starts like another's is not taken for it.
    assert soup(client.get("/stances")).select_one("nav a[aria-current=page]").text == "Stances"


def test_navigation_groups_every_section_once_figures_first(client):
    page = soup(client.get("/"))
    groups = page.select("nav[aria-label=Sections] .nav-group")
    headings = [g.select_one(".nav-heading").text for g in groups]
    assert headings == ["Figures", "Positions", "Record"]
    for group in groups:
        assert group.select_one("ul")["aria-labelledby"] == group.select_one(".nav-heading")["id"]
    hrefs = [a["href"] for a in page.select("nav[aria-label=Sections] a")]
    assert sorted(hrefs) == sorted(["/", *(f"/{slug}" for slug in NAV), "/map", "/brief",
                                    "/scenarios", "/compare", "/docs"])
    first = [a.text for a in groups[0].select("a")]
    assert first[:2] == ["Overview", "Force levels"] and "Map" in first and "Brief" in first
    assert "Scenarios" in first


def test_the_change_log_goes_by_one_name(client):
    page = soup(client.get("/"))
    link = page.select_one('nav[aria-label=Sections] a[href="/compare"]')
    assert link.text == "Change log"
    compare = soup(client.get("/compare"))
    assert compare.select_one("h1").text == "Change log"
    assert compare.select_one("title").text.startswith("Change log")


def test_the_age_of_the_newest_source_is_said_near_the_top(client):
    page = soup(client.get("/assets"))
    age = page.select_one("#data-age")
    # Right under the header, before the page's own heading.
    assert age.find_previous_sibling("header") is not None
    assert "Newest source: 21 Feb 2025" in " ".join(age.text.split())
    assert "ago" in age.text


def test_the_age_of_a_source_reads_as_words(monkeypatch):
    from datetime import date

    from app.web import templating
    monkeypatch.setattr(templating, "today", lambda: date(2026, 11, 30))
    assert templating.ago(date(2026, 11, 30)) == "today"
    assert templating.ago(date(2026, 11, 29)) == "yesterday"
    assert templating.ago(date(2026, 11, 20)) == "10 days ago"
    assert templating.ago(date(2025, 2, 21)) == "1 year, 9 months ago"


# --- Overview ---


def test_overview(client):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    cards = {c.select_one(".card-label").text: c for c in page.select(".card")}
    assert cards["Proposed"].select_one(".figure").text == "30,000"
    assert cards["Requested"].select_one(".figure").text == "200,000"
    assert cards["Pledged"].select_one(".figure").text == "None yet"
    assert "no contingent committed, approved or deployed yet" in cards["Pledged"].text
    assert "floated 30,000" in page.select_one("p.stages").text
    # Nothing is pledged: the link leads to every contingent and its stage, not an empty list.
    assert cards["Pledged"].select_one("a")["href"] == "/deployments"
    gap = " ".join(page.select_one(".gap p").text.split())
    assert gap == ("30,000 proposed is 15% of the 200,000 Ukraine requested: 170,000 short. "
                   "None of it is pledged yet.")
    assert page.select_one(".gap-proposed")["width"] == "15.0"
    cite = cards["Proposed"].select_one(".card-sources a.cite")
    assert cite.text == "unnamed outlet, 21 Feb 2025"
    assert cite["href"].startswith("/sources/") and "#q-" in cite["href"]
    troops = page.select_one("#h-troops").find_parent("section")
    assert "Contributors not specified" in troops.text and "30,000" in troops.text
    boards = {h.text.strip(): h.find_next_sibling(class_="board")
              for h in page.select("h3.subject")}
    assert "Government of Germany" in boards["On large-scale peacekeeping deployments"] \
        .select_one(".position-opposes").text
    assert "Keir Starmer" in boards["On the reassurance force"].select_one(".position-leads").text
    assert len(page.select("#h-events ~ ol li")) == 5
    assert "Data last edited" in page.select_one("footer").text


def test_overview_narrowed_to_a_country(client, htmx):
    for c in (client, htmx):
        response = c.get("/?country=US")
        page = soup(response)
        assets = page.select_one("#h-assets").find_parent("section")
        assert {a.text for a in assets.select("tbody th a")} == {"Fighter jets", "Missiles"}
        assert [a.text for a in assets.select("tbody a.cite")] == [
            "unnamed outlet, 21 Feb 2025"] * 2
        jets = assets.select_one("tbody th a")["href"]
        assert jets == "/assets?country=US&asset_type=fighter_jet"
        assert "No troop contingents reported" in page.select_one("#h-troops").find_parent(
            "section").text
        demands = page.select_one("#h-demands").find_parent("section")
        assert "A fair and sustainable peace deal" in demands.text
        assert "frozen reserves" in demands.text  # addressed to the US
        assert "security guarantees" not in demands.text
    assert "<html" not in htmx.get("/?country=US").text


def test_overview_country_choices_have_counts(client):
    page = soup(client.get("/?country=de"))
    box = page.select_one("input[name=country][value=DE]")
    assert box.has_attr("checked")
    assert int(box.find_parent("label").select_one(".count").text) >= 1


def test_overview_bad_country(client):
    response = client.get("/?country=Narnia")
    assert response.status_code == 400
    assert "unknown country code 'Narnia'" in soup(response).select_one("[role=alert]").text


def test_overview_pledged_figure_adds_pledges(client, session):
    from app.plan.models import Deployment, Plan

    plan = session.scalars(select(Plan)).first()
    for key, code, low, high in [("fr", "FR", 5000, 5000), ("se", "SE", 1000, 2000)]:
        session.add(Deployment(key=f"pledge-{key}", plan_id=plan.id, country_code=code,
                               role="Test contingent", troops_low=low, troops_high=high,
                               stage="committed"))
    session.flush()

    def pledged(query=""):
        cards = soup(client.get(f"/{query}")).select(".card")
        return next(c for c in cards if c.select_one(".card-label").text == "Pledged")

    assert pledged().select_one(".figure").text == "6,000–7,000"
    assert pledged("?country=FR").select_one(".figure").text == "5,000"
    assert pledged("?country=DE").select_one(".figure").text == "None yet"
    troops = soup(client.get("/?country=SE")).select_one("#h-troops").find_parent("section")
    assert "Sweden" in troops.text and "1,000–2,000" in troops.text


@pytest.mark.parametrize("path", ["/assets/2147483648", "/sources/99999999999999999999999",
                                  "/api/v1/assets/2147483648", "/assets/0"])
def test_huge_or_zero_ids_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/assets?q=%00", "/api/v1/assets?q=a%00b", "/assets.csv?q=%00"])
def test_nul_in_search_is_a_clear_error(client, path):
    response = client.get(path)
    assert response.status_code in (400, 422)
    assert "NUL" in response.text


def test_page_past_the_end(client):
    page = soup(client.get("/assets?page=999"))
    alert = page.select_one("[role=alert]")
    assert "There is no page 999: the last page is 1" in alert.text
    assert alert.select_one("a")["href"] == "/assets"
    assert "Showing" not in page.select_one(".summary").text


def test_links_drop_rejected_values(client):
    page = soup(client.get("/assets?country=ZZ&asset_type=drone&per_page=abc"))
    hrefs = {a.text: a["href"] for a in page.select(".exports a")}
    assert hrefs["CSV"] == "/assets.csv?asset_type=drone"
    assert hrefs["JSON"] == "/api/v1/assets?asset_type=drone"
    assert client.get(hrefs["CSV"]).status_code == 200


def test_overview_links_carry_only_the_country(client):
    page = soup(client.get("/?country=GB&country=fr"))
    links = [a["href"] for a in page.select("section.panel p > a")]
    assert "/demands?country=GB&country=FR" in links
    assert "/events?country=GB&country=FR" in links
    for href in links:
        assert client.get(href).status_code == 200, href


def test_pledged_counts_every_pledge_not_one_page(client, session):
    from app.plan.models import Deployment, Plan

    plan = session.scalars(select(Plan)).first()
    session.add_all(Deployment(key=f"pledge-{i}", plan_id=plan.id, country_code="FR",
                               role="Test", troops_low=10, troops_high=10, stage="committed")
                    for i in range(60))
    session.flush()
    card = next(c for c in soup(client.get("/?country=FR")).select(".card")
                if c.select_one(".card-label").text == "Pledged")
    assert card.select_one(".figure").text == "600"
    assert "60 contingent(s)" in card.text


@pytest.mark.parametrize(("slug", "button"), [("assets", "Add an asset"),
                                              ("events", "Add an event"),
                                              ("sites", "Add a site")])
def test_add_buttons_and_api_summaries_use_the_right_article(editor_client, slug, button):
    page = soup(editor_client.get(f"/{slug}"))
    assert button in [a.text for a in page.select("a.button")]
    assert soup(editor_client.get(f"/{slug}/new")).select_one("h1").text == button
    summaries = {op["summary"] for path in editor_client.get("/openapi.json").json()["paths"]
                 .values() for op in path.values()}
    assert button in summaries and not any(" a a" in s or " a e" in s for s in summaries)


def test_asset_types_sort_by_the_labels_readers_see(client):
    items = client.get("/api/v1/assets?sort=asset_type&per_page=500").json()["items"]
    labels = [AssetType(item["asset_type"]).label.lower() for item in items]
    assert len(set(labels)) > 2 and labels == sorted(labels)
    items = client.get("/api/v1/assets?sort=-asset_type&per_page=500").json()["items"]
    assert [AssetType(i["asset_type"]).label.lower() for i in items] == sorted(labels,
                                                                               reverse=True)


def test_every_force_level_row_links_to_its_page(client):
    page = soup(client.get("/force-levels"))
    rows = page.select("tbody tr")
    assert rows and all(row.select_one("a[href^='/force-levels/']") for row in rows)


def test_the_api_docs_lead_back_to_the_dashboard(client):
    page = soup(client.get("/docs"))
    back = page.select_one("header.docs-bar a")
    assert back["href"] == "/" and "Peaceplan" in back.text


def test_the_gap_is_only_stated_between_exact_figures():
    from app.browse.overview import Headline, gap
    from app.plan.quantities import Range

    def levels(proposed, requested):
        return [Headline("Proposed", proposed, ""), Headline("Requested", requested, "")]

    assert gap(levels(Range(30_000, 30_000), Range(200_000, 200_000))).percent == 15
    assert gap(levels(Range(25_000, 30_000), Range(200_000, 200_000))) is None
    assert gap(levels(Range(30_000, 30_000), Range(None, 200_000))) is None
    assert gap(levels(Range(30_000, 30_000), Range())) is None
    assert gap([Headline("Proposed", Range(1, 1), "")]) is None


def test_the_age_of_the_data_on_a_past_date(client):
    before = soup(client.get("/?as_of=2025-02-20")).select_one("#data-age").text
    assert "No source recorded by 20 Feb 2025." in " ".join(before.split())
    after = soup(client.get("/assets?as_of=2025-02-22")).select_one("#data-age").text
    assert "Newest source by 22 Feb 2025: 21 Feb 2025" in " ".join(after.split())
