"""The JSON API and the CSV exports: same filters, same rows as the pages."""

import csv
import io

import pytest
from sqlalchemy import select

from app.plan.kinds import KINDS
from app.plan.models import Asset
from tests.html import result_ids


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("slug", list(KINDS))
def test_api_list_and_item(client, slug):
    body = client.get(f"/api/v1/{slug}").json()
    assert body["total"] == len(body["items"]) > 0
    first = body["items"][0]
    item = client.get(f"/api/v1/{slug}/{first['id']}").json()
    assert item == first
    assert first["html_url"] == f"/{slug}/{first['id']}"
    if KINDS[slug].cited:
        assert first["sources"] and first["sources"][0]["published_on"] in (None, "2025-02-21")


@pytest.mark.parametrize("slug", list(KINDS))
def test_csv_holds_the_api_fields(client, slug):
    response = client.get(f"/{slug}.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = csv_rows(response)
    items = client.get(f"/api/v1/{slug}?per_page=500").json()["items"]
    assert [int(r["id"]) for r in rows] == [i["id"] for i in items]
    assert set(rows[0]) == {k for k in items[0] if k not in ("html_url", "version")}


@pytest.mark.parametrize(
    "query",
    ["asset_type=drone", "country=US", "country=us&asset_type=missile", "country=FR",
     "asset_type=drone&asset_type=fighter_jet", "posture=monitoring&sort=-asset_type"],
)
def test_page_fragment_csv_and_api_agree(client, session, query):
    api = client.get(f"/api/v1/assets?{query}").json()
    csv_ids = [int(r["id"]) for r in csv_rows(client.get(f"/assets.csv?{query}"))]
    page_ids = result_ids(client.get(f"/assets?{query}"), "assets")
    fragment = client.get(f"/assets?{query}", headers={"HX-Request": "true"})
    assert [i["id"] for i in api["items"]] == csv_ids
    assert set(csv_ids) == page_ids == result_ids(fragment, "assets")
    assert api["total"] == len(csv_ids)


def test_api_matches_seed_for_drones_and_us(client, session):
    drones = set(session.scalars(select(Asset.id).where(Asset.asset_type == "drone")))
    us = set(session.scalars(select(Asset.id).where(Asset.country_code == "US")))
    body = client.get("/api/v1/assets?asset_type=drone").json()
    assert {i["id"] for i in body["items"]} == drones
    body = client.get("/api/v1/assets?country=US").json()
    assert {i["id"] for i in body["items"]} == us and len(us) == 2
    facets = {f["param"]: {v["value"]: v["count"] for v in f["values"]} for f in body["facets"]}
    assert {v: n for v, n in facets["asset_type"].items() if n} == {"fighter_jet": 1,
                                                                     "missile": 1}


def test_api_pagination(client):
    body = client.get("/api/v1/sites?per_page=5&page=3&sort=name").json()
    assert (body["page"], body["per_page"], body["pages"], body["total"]) == (3, 5, 3, 11)
    assert len(body["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [("country=ZZ", "country", "unknown country code 'ZZ'"),
     ("asset_type=tank", "asset_type", "unknown asset type 'tank'"),
     ("sort=colour", "sort", "cannot sort by 'colour'"),
     ("per_page=0", "per_page", "greater than or equal to 1")],
)
@pytest.mark.parametrize("path", ["/api/v1/assets", "/assets.csv"])
def test_bad_filters_are_422_with_reasons(client, path, query, field, words):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][:2] == ["query", field]
    assert words in detail[0]["msg"]


def test_api_missing_item_is_404_json(client):
    response = client.get("/api/v1/assets/424242")
    assert response.status_code == 404
    assert response.json() == {"detail": "No asset with id 424242."}


def test_openapi_documents_every_kind_and_its_filters(client):
    spec = client.get("/openapi.json").json()
    for slug, kind in KINDS.items():
        params = {p["name"] for p in spec["paths"][f"/api/v1/{slug}"]["get"]["parameters"]}
        assert {"q", "sort", "page", "per_page"} | {d.param for d in kind.dims} <= params
        assert f"/api/v1/{slug}/{{row_id}}" in spec["paths"]
    country = next(p for p in spec["paths"]["/api/v1/assets"]["get"]["parameters"]
                   if p["name"] == "country")
    assert country["schema"]["type"] == "array"
    assert "Peaceplan" in client.get("/docs").text


def test_docs_load_nothing_from_elsewhere(client):
    html = client.get("/docs").text
    assert "cdn." not in html and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static/vendor/swagger-ui/{asset}" in html
        assert client.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200


def test_csv_defuses_formulas_and_keeps_its_header_when_empty(client, session):
    from app.plan.models import Plan

    plan = session.scalars(select(Plan)).first()
    session.add(Asset(key="formula", plan_id=plan.id, asset_type="drone", posture="monitoring",
                      stage="floated", role='=HYPERLINK("http://x","y")', country_code="NO"))
    session.flush()
    rows = csv_rows(client.get("/assets.csv?country=NO"))
    assert rows[0]["role"] == "'=HYPERLINK(\"http://x\",\"y\")"
    empty = client.get("/assets.csv?country=JP").text.splitlines()
    assert empty[0].startswith("id,asset_type,country,country_note,quantity_low")
    assert len(empty) == 1
