"""A site's location precision: what each precision needs, said where the editor looks."""

import pytest
from sqlalchemy import func, select

from app.plan import places
from app.plan.kinds import KINDS
from app.plan.models import Site
from tests.test_api_writes import _json
from tests.test_editing import _errors, valid_data


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
    assert (created.json()["precision"], created.json()["region_code"]) == ("region", "ua-51")
    feature = editor_client.get(f"/sites.geojson?q={body['name']}").json()["features"][0]
    assert feature["properties"]["area"]["name"] == "Odesa Oblast"
    refused = editor_client.post("/api/v1/sites", json={**body, "name": "Another",
                                                        "precision": "point"})
    assert refused.status_code == 422
    messages = {e["loc"][-1]: e["msg"] for e in refused.json()["detail"]}
    assert "needs its coordinates" in messages["latitude"]
    bad = editor_client.post("/api/v1/sites", json={**body, "name": "Third",
                                                    "precision": "somewhere"})
    assert bad.status_code == 422 and "choose from point, near" in bad.text


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
