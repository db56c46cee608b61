"""The map page and /sites.geojson select exactly the sites the sites list selects."""

import pytest
from sqlalchemy import select

from app.plan.models import Asset, Deployment, Plan, Site
from app.plan.vocab import Certainty, Precision, SiteBasis, SiteKind
from tests.html import result_ids, soup

QUERIES = [
    "",
    "country=UA",
    "asset_type=fighter_jet",
    "asset_type=drone",
    "kind=port",
    "kind=port&kind=nuclear_power_plant",
    "basis=candidate",
    "basis=unnamed&country=UA",
    "q=odesa",
    "country=US",
    "precision=country",
    "precision=point&precision=region",
    "as_of=2025-02-21",
    "as_of=2025-02-21&country=US",
    "as_of=2025-02-21&precision=country&kind=port",
    "as_of=2025-02-20",
]


def geojson_ids(client, query: str) -> set[int]:
    response = client.get(f"/sites.geojson?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return {f["id"] for f in body["features"]}


def map_ids(response) -> set[int]:
    return {int(tr["data-site"]) for tr in soup(response).select("tr[data-site]")}


@pytest.mark.parametrize("query", QUERIES)
def test_map_geojson_and_list_select_the_same_sites(client, session, query):
    listed = result_ids(client.get(f"/sites?{query}&per_page=500"), "sites")
    page = client.get(f"/map?{query}")
    fragment = client.get(f"/map?{query}", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert geojson_ids(client, query) == listed == map_ids(page) == map_ids(fragment)
    # The map draws the same filter's GeoJSON.
    src = soup(fragment).select_one("#map-data")["data-src"]
    assert geojson_ids(client, src.split("?", 1)[1] if "?" in src else "") == listed


def test_asset_type_filter_keeps_sites_holding_such_assets(client, session):
    holding = set(session.scalars(select(Asset.site_id).where(Asset.asset_type == "missile")))
    assert holding and geojson_ids(client, "asset_type=missile") == holding


def test_each_site_is_drawn_as_precisely_as_it_is_known(client, session):
    sites = {s.id: s for s in session.scalars(select(Site))}
    features = {f["id"]: f for f in client.get("/sites.geojson").json()["features"]}
    assert set(features) == set(sites)
    by_precision: dict[str, set[str]] = {}
    for site in sites.values():
        feature = features[site.id]
        props = feature["properties"]
        assert props["precision"] == site.precision
        by_precision.setdefault(site.precision, set()).add(site.name)
        assert props["candidate"] == (site.basis == "candidate")
        if site.precision in ("point", "near"):
            assert feature["geometry"] == {"type": "Point",
                                           "coordinates": [site.longitude, site.latitude]}
            assert props["area"] is None
        else:
            assert feature["geometry"] is None
    # The six candidates are points; the four categories carrying the 30,000 troops are
    # Ukraine, drawn from its shape; the US backstop's Eastern Europe is a region with no
    # borders, noted at the map's edge.
    assert len(by_precision["point"]) == 6
    assert by_precision["country"] == {
        "Ukrainian cities (none named)", "Ukrainian ports (none named)",
        "Ukrainian critical infrastructure (none named)",
        "Ukrainian nuclear power plants (none named)"}
    for f in features.values():
        if f["properties"]["precision"] == "country":
            assert f["properties"]["area"] == {"level": "country", "code": "UA",
                                               "name": "Ukraine", "shape": "UKR"}
    east = next(f for f in features.values() if f["properties"]["precision"] == "region")
    assert east["properties"]["area"] == {"level": "region", "code": None,
                                          "name": "Eastern Europe", "shape": None}
    assert set(by_precision) == {"point", "country", "region"}


def _site(session, name: str, **values) -> Site:
    values["precision"] = Precision(values["precision"])
    site = Site(key=name.lower().replace(" ", "-"), name=name, kind=SiteKind.CITY,
                basis=SiteBasis.NAMED, certainty=Certainty.REPORTED, **values)
    session.add(site)
    session.flush()
    return site


def test_an_oblast_is_drawn_by_its_own_shape_and_near_is_a_point(client, session):
    oblast = _site(session, "Somewhere in Odesa Oblast", precision="region", country_code="UA",
                   region_code="UA-51")
    near = _site(session, "Near Izmail", precision="near", country_code="UA",
                 latitude=45.35, longitude=28.84)
    poland = _site(session, "Somewhere in Poland", precision="country", country_code="PL")
    us = _site(session, "Somewhere in the US", precision="country", country_code="US")
    features = {f["id"]: f for f in client.get("/sites.geojson?basis=named").json()["features"]}
    assert features[oblast.id]["properties"]["area"] == {
        "level": "region", "code": "UA-51", "name": "Odesa Oblast", "shape": "Odessa"}
    assert features[near.id]["geometry"]["coordinates"] == [28.84, 45.35]
    assert features[near.id]["properties"]["precision_label"] == "Near a place"
    assert features[poland.id]["properties"]["area"]["shape"] == "POL"
    # Outside the boundaries the map holds: noted at its edge, not drawn.
    assert features[us.id]["properties"]["area"]["shape"] is None


def test_only_sites_of_unknown_location_are_left_off_the_map(client, session):
    lost = _site(session, "Somewhere unreported", precision="unknown")
    page = soup(client.get("/map"))
    tables = page.select("section.results table")
    placed = {int(tr["data-site"]) for tr in tables[0].select("tr[data-site]")}
    unplaced = {int(tr["data-site"]) for tr in tables[1].select("tr[data-site]")}
    assert unplaced == {lost.id}
    assert placed == set(session.scalars(select(Site.id))) - {lost.id}
    # Each placed row can be shown on the map; the unknown one cannot.
    assert {int(a["data-show-site"]) for a in page.select("[data-show-site]")} == placed
    assert page.select_one("#map[hx-preserve]") and page.select_one(".map-key")
    assert client.get("/sites.geojson?q=unreported").json()["features"][0]["geometry"] is None


def test_site_figures_sum_what_stands_there(client, session):
    features = {f["properties"]["name"]: f["properties"]
                for f in client.get("/sites.geojson").json()["features"]}
    # The one 30,000 contingent is spread over four kinds of site: one figure shared by
    # them, never 30,000 at each (which would read as 120,000).
    cities = features["Ukrainian cities (none named)"]
    assert (cities["troops_low"], cities["troops_high"]) == (None, None)
    assert cities["troops"] == "30,000 shared by 4 sites"
    assert [(d["troops"], d["sites"]) for d in cities["deployments"]] == [("30,000", 4)]
    rows = soup(client.get("/map")).select("tbody tr")
    shared = [r for r in rows if "30,000" in r.text]
    assert len(shared) == 4 and all("shared by 4 sites" in r.text for r in shared)
    assert cities["sources"] and cities["sources"][0]["url"].startswith("/sources/")
    east = features["Eastern Europe (no country named)"]
    assert sorted(a["asset_type"] for a in east["assets"]) == ["fighter_jet", "missile"]
    assert east["troops_low"] is None and east["troops"] == "none reported"


def test_troops_at_a_site_add_as_ranges(client, session):
    plan = session.scalars(select(Plan)).first()
    odesa = session.scalars(select(Site).where(Site.name == "Port of Odesa")).one()
    session.add_all([
        Deployment(key="t1", plan_id=plan.id, role="A", troops_low=1000, troops_high=2000,
                   stage="floated", sites=[odesa]),
        Deployment(key="t2", plan_id=plan.id, role="B", troops_low=500, troops_high=None,
                   stage="floated", sites=[odesa]),
    ])
    session.flush()
    feature = next(f for f in client.get("/sites.geojson?q=odesa").json()["features"])
    assert (feature["properties"]["troops_low"], feature["properties"]["troops_high"]) == (
        1500, None)
    assert feature["properties"]["troops"] == "at least 1,500"
    row = soup(client.get("/map?q=odesa")).select_one(f"tr#site-{odesa.id}")
    assert "at least 1,500" in row.text


def test_bad_filters(client):
    assert client.get("/sites.geojson?country=ZZ").status_code == 422
    response = client.get("/map?country=ZZ")
    assert response.status_code == 400
    assert "unknown country code 'ZZ'" in soup(response).select_one("[role=alert]").text


def test_map_loads_nothing_from_elsewhere(client):
    html = client.get("/map").text
    assert "https://" not in html and "cdn." not in html
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                 "/static/vendor/topojson-client/topojson-client.min.js",
                 "/static/vendor/world-atlas/europe-50m.json",
                 "/static/vendor/ukraine-oblasts/ukr.topo.json", "/static/map.js"):
        assert client.get(path).status_code == 200, path
    js = client.get("/static/map.js").text
    assert "tileLayer" not in js  # vector layers only: no tile server


def test_overview_and_sites_link_to_the_filtered_map(client):
    overview = soup(client.get("/?country=UA"))
    assert overview.select_one("#map-data")["data-src"] == "/sites.geojson?country=UA"
    assert overview.select_one("a[href='/map?country=UA']")
    assert soup(client.get("/sites?kind=port")).select_one("a[href='/map?kind=port']")


def test_geojson_comes_in_pages_of_at_most_500(client, session):
    everything = client.get("/sites.geojson?sort=name").json()
    assert (everything["total"], everything["page"], everything["per_page"]) == (11, 1, 500)
    second = client.get("/sites.geojson?sort=name&per_page=4&page=2").json()
    assert second["total"] == 11
    assert [f["id"] for f in second["features"]] == [
        f["id"] for f in everything["features"][4:8]]
    assert client.get("/sites.geojson?per_page=501").status_code == 422


def test_site_page_links_to_its_place_on_the_map(client, session):
    odesa = session.scalars(select(Site).where(Site.name == "Port of Odesa")).one()
    link = soup(client.get(f"/sites/{odesa.id}")).select_one(f"a[href='/map#site-{odesa.id}']")
    assert link and link.text == "Show on the map"
    assert soup(client.get("/map")).select_one(f"tr#site-{odesa.id}")


def test_geojson_is_in_the_api_docs_with_the_sites_filters(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/sites.geojson"]["get"]["parameters"]}
    assert {"country", "asset_type", "kind", "basis", "q", "page", "per_page"} <= params
    assert "/map" not in spec["paths"]


# --- A country's sites: where it stands, and where its troops and assets would stand ---


def test_brief_for_the_us_lists_where_its_jets_and_missiles_wait(client, session):
    east = session.scalars(select(Site).where(Site.name.startswith("Eastern Europe"))).one()
    page = soup(client.get("/brief?country=US"))
    assert "No sites for this selection" not in page.text
    assert {int(tr["data-site"]) for tr in page.select("tr[data-site]")} == {east.id}


def test_country_filter_keeps_sites_hosting_its_assets_or_troops(client, session):
    plan = session.scalars(select(Plan)).first()
    odesa = session.scalars(select(Site).where(Site.name == "Port of Odesa")).one()
    session.add(Deployment(key="fr-odesa", plan_id=plan.id, country_code="FR", role="Guard",
                           stage="floated", sites=[odesa]))
    session.flush()
    east = session.scalar(select(Site.id).where(Site.name.startswith("Eastern Europe")))
    assert result_ids(client.get("/sites?country=US"), "sites") == {east}
    assert geojson_ids(client, "country=US") == {east}
    assert geojson_ids(client, "country=FR") == {odesa.id}
    # The host still counts: every Ukrainian site, Odesa among them, once.
    ua = set(session.scalars(select(Site.id).where(Site.country_code == "UA")))
    assert geojson_ids(client, "country=UA") == ua
    # The facet counts the same sites its filter keeps.
    label = soup(client.get("/sites")).select_one("input[name=country][value=US]")
    assert label is not None and "1" in label.find_parent("label").text
