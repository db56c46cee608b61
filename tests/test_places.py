"""A site's location precision: what each precision needs, said where the editor looks."""

import json

import pytest
from sqlalchemy import func, select

from app.plan import places
from app.plan.kinds import KINDS
from app.plan.models import Site
from tests.html import soup
from tests.test_api_writes import _json
from tests.test_editing import _errors, _report, valid_data
from tests.test_importing import _confirm, _upload


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"precision": "point", "latitude": None, "longitude": None}, "latitude",
     "needs its coordinates"),
    ({"precision": "near", "latitude": "46.5", "longitude": None}, "longitude",
     "both latitude and longitude"),
    ({"precision": "region", "region_code": None, "region_name": None}, "region_code",
     "needs the region"),
    ({"precision": "country", "country_code": None}, "country_code", "needs the country"),
    ({"precision": "region", "region_code": "XX-1"}, "region_code", "not a region code"),
])
def test_each_precision_says_what_it_needs_next_to_the_field(values, field, message, session,
                                                             editor_client):
    data = {k: v for k, v in {**valid_data(session, KINDS["sites"]), **values}.items()
            if v is not None}
    before = session.scalar(select(func.count(Site.id)))
    response = editor_client.post("/sites/new", data=data)
    assert response.status_code == 422
    assert message in _errors(response)[field]
    assert session.scalar(select(func.count(Site.id))) == before


def test_the_api_takes_and_returns_precision_and_region(session, editor_client):
    body = {**_json(session, "sites"), "precision": "region", "country_code": "UA",
            "region_code": "ua-51", "region_name": None, "latitude": None,
            "longitude": None}
    created = editor_client.post("/api/v1/sites", json=body)
    assert created.status_code == 201, created.text
    # Stored as ISO 3166-2 writes it, whatever the case typed.
    assert (created.json()["precision"], created.json()["region_code"]) == ("region", "UA-51")
    feature = editor_client.get(f"/sites.geojson?q={body['name']}").json()["features"][0]
    assert feature["properties"]["area"]["name"] == "Odesa Oblast"
    refused = editor_client.post("/api/v1/sites", json={**body, "name": "Another",
                                                        "precision": "point"})
    assert refused.status_code == 422
    messages = {e["loc"][-1]: e["msg"] for e in refused.json()["detail"]}
    assert "needs its coordinates" in messages["latitude"]
    bad = editor_client.post("/api/v1/sites", json={**body, "name": "Third",
                                                    "precision": "somewhere"})
    assert bad.status_code == 422 and "choose from point (Exact point), near" in bad.text


def test_csv_carries_precision_and_region(client):
    lines = client.get("/sites.csv").text.splitlines()
    header = lines[0].split(",")
    assert {"precision", "region_code", "region_name"} <= set(header)
    east = next(line for line in lines if line.startswith(tuple("0123456789"))
                and "Eastern Europe (no country named)" in line)
    assert ",region," in east and "Eastern Europe" in east


def test_rules_pass_rows_without_a_precision_and_coherent_sites():
    assert places.problems({"name": "an asset"}) == {}
    assert places.problems({"precision": "country", "country_code": "UA"}) == {}
    assert places.problems({"precision": "region", "region_name": "Eastern Europe"}) == {}
    assert places.problems({"precision": "unknown"}) == {}


def test_every_oblast_shape_is_in_the_vendored_boundaries():
    import json
    from pathlib import Path
    static = Path(__file__).resolve().parent.parent / "static" / "vendor"
    oblasts = json.loads((static / "ukraine-oblasts" / "ukr.topo.json").read_text())
    names = {g["properties"]["name"] for g in oblasts["objects"]["ukr"]["geometries"]}
    assert {shape for _, shape in places.UKRAINE_REGIONS.values()} == names
    europe = json.loads((static / "world-atlas" / "europe-50m.json").read_text())
    drawn = {g["properties"]["a3"] for g in europe["objects"]["countries"]["geometries"]}
    assert drawn == places.DRAWN_COUNTRIES


# --- Callers that predate precision: inferred from the location, in every door ---

LOCATIONS = [  # what is sent besides the name -> the precision stored
    ({"latitude": 46.5, "longitude": 30.7, "country_code": "UA"}, "point"),
    ({"region_code": "UA-51", "country_code": "UA"}, "region"),
    ({"region_name": "Eastern Europe"}, "region"),
    ({"country_code": "UA"}, "country"),
    ({}, "unknown"),
]
NO_LOCATION = {"precision": None, "latitude": None, "longitude": None, "region_code": None,
               "region_name": None, "country_code": None}


def _site(session, name: str) -> Site:
    return session.scalars(select(Site).where(Site.name == name)).one()


@pytest.mark.parametrize(("location", "precision"), LOCATIONS)
def test_the_api_infers_a_precision_not_given(location, precision, session, editor_client):
    body = {k: v for k, v in {**_json(session, "sites"), **NO_LOCATION, **location,
                              "name": f"Inferred {precision}"}.items() if v is not None}
    assert "precision" not in body
    created = editor_client.post("/api/v1/sites", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["precision"] == precision
    # An update that leaves it out infers it again, from the values it sends.
    row = created.json()
    moved = {**body, "latitude": 50.45, "longitude": 30.52, "version": row["version"]}
    moved.pop("source_id"), moved.pop("quote")
    updated = editor_client.put(f"/api/v1/sites/{row['id']}", json=moved)
    assert updated.status_code == 200, updated.text
    assert updated.json()["precision"] == "point"


def test_a_precision_given_is_still_checked_against_the_location(session, editor_client):
    body = {**_json(session, "sites"), **NO_LOCATION, "country_code": "UA", "precision": "near"}
    refused = editor_client.post("/api/v1/sites", json=body)
    assert refused.status_code == 422
    assert "needs its coordinates" in {e["loc"][-1]: e["msg"]
                                       for e in refused.json()["detail"]}["latitude"]


def test_the_openapi_says_precision_is_optional_and_how_it_is_inferred(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("SiteNew", "SiteEditBody"):
        assert "precision" not in schemas[name].get("required", [])
        described = schemas[name]["properties"]["precision"]["description"]
        assert '"point" with coordinates' in described and '"unknown"' in described


@pytest.mark.parametrize(("location", "precision"), LOCATIONS)
def test_the_form_infers_a_precision_left_empty(location, precision, session, editor_client):
    data = {**valid_data(session, KINDS["sites"]), **NO_LOCATION, **location,
            "name": f"Form {precision}"}
    data = {k: "" if v is None else str(v) for k, v in data.items()}
    response = editor_client.post("/sites/new", data=data)
    assert response.status_code in (200, 303), _errors(response)
    assert _site(session, f"Form {precision}").precision == precision


def test_the_form_offers_to_infer_the_precision(session, editor_client):
    page = soup(editor_client.get("/sites/new"))
    empty = page.select_one("select[name=precision] option[value='']")
    assert empty is not None and "infer" in empty.text
    assert '"country" with a country' in page.select_one("select[name=precision]")\
        .find_parent(class_="field").text


def test_an_import_without_precision_infers_it(session, admin_client):
    source = _report(session).id
    rows = [{"name": f"Imported {p}", "kind": "port", "basis": "candidate",
             "certainty": "unreported", "source_id": source, **location}
            for location, p in LOCATIONS if "region_name" not in location]
    preview = _upload(admin_client, json.dumps(rows), kind="sites", name="sites.json")
    assert preview.status_code == 200, soup(preview).select_one("tbody").text
    assert _confirm(admin_client, preview).status_code == 303
    for location, p in LOCATIONS:
        if "region_name" not in location:
            assert _site(session, f"Imported {p}").precision == p


# --- Region codes are stored as ISO 3166-2 writes them ---

def test_the_form_stores_a_region_code_upper_case(session, editor_client):
    data = {**valid_data(session, KINDS["sites"]), "name": "Typed lower", "country_code": "UA",
            "precision": "region", "region_code": "  ua-51 ", "latitude": "", "longitude": ""}
    response = editor_client.post("/sites/new", data=data)
    assert response.status_code in (200, 303), _errors(response)
    assert _site(session, "Typed lower").region_code == "UA-51"


def test_the_import_stores_a_region_code_upper_case(session, admin_client):
    row = {"name": "Imported oblast", "kind": "region", "basis": "candidate",
           "certainty": "unreported", "source_id": _report(session).id,
           "country_code": "ua", "region_code": " ua-48"}
    preview = _upload(admin_client, json.dumps([row]), kind="sites", name="sites.json")
    assert preview.status_code == 200, soup(preview).select_one("tbody").text
    assert _confirm(admin_client, preview).status_code == 303
    site = _site(session, "Imported oblast")
    assert (site.region_code, site.precision) == ("UA-48", "region")


def test_rules_judge_the_region_code_as_normalised():
    settled = places.settle({"region_code": " ua-51 ", "country_code": "UA"})
    assert settled == {"region_code": "UA-51", "country_code": "UA", "precision": "region"}
    assert places.problems(settled) == {}
    assert places.settle({"region_code": "   "})["region_code"] is None
