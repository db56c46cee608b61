"""The write API: the forms' validation, roles and version checks, in JSON."""

import pytest
from sqlalchemy import func, select

from app.plan.kinds import KINDS
from app.plan.models import Asset
from app.plan.records import Change
from tests.test_editing import _drone, _report, valid_data


def _json(session, slug):
    data = valid_data(session, KINDS[slug])
    out = {}
    for key, value in data.items():
        if value.isdigit() and not key.endswith("_code"):
            value = int(value)
        out[key] = value
    return out


@pytest.mark.parametrize("slug", ["assets", "sites", "stakeholders", "sources"])
def test_create_returns_the_new_row_with_its_source(slug, session, editor_client):
    response = editor_client.post(f"/api/v1/{slug}", json=_json(session, slug))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/{slug}/{body['id']}"
    assert body["version"] == 1
    assert editor_client.get(f"/api/v1/{slug}/{body['id']}").json() == body
    if KINDS[slug].cited:
        # A row with figures cites its source once per figure: a claim about each.
        assert {s["source_id"] for s in body["sources"]} == {_report(session).id}
        assert all(s["cited_as"] == "unnamed outlet, 2025-02-21" for s in body["sources"])


def test_bad_values_answer_422_naming_each_field(session, editor_client):
    before = session.scalar(select(func.count(Asset.id)))
    data = {**_json(session, "assets"), "quantity_low": -1, "country_code": "XX"}
    response = editor_client.post("/api/v1/assets", json=data)
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert {("body", "quantity_low"), ("body", "country_code")} <= fields
    data = {**_json(session, "assets"), "quantity_low": 9, "quantity_high": 3, "site_id": 99999}
    response = editor_client.post("/api/v1/assets", json=data)
    assert response.status_code == 422
    messages = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert "cannot be below" in messages["quantity_high"]
    assert "No site with id 99999" in messages["site_id"]
    assert session.scalar(select(func.count(Asset.id))) == before


def test_update_needs_the_current_version(session, editor_client):
    asset = _drone(session)
    item = editor_client.get(f"/api/v1/assets/{asset.id}").json()
    body = {**_json(session, "assets"), "quote": "drones", "reason": "A later count",
            "quantity_low": 12, "quantity_high": 20, "version": item["version"]}
    first = editor_client.put(f"/api/v1/assets/{asset.id}", json=body)
    assert first.status_code == 200, first.text
    assert (first.json()["quantity_low"], first.json()["version"]) == (12, item["version"] + 1)
    stale = editor_client.put(f"/api/v1/assets/{asset.id}", json={**body, "quantity_low": 19})
    assert stale.status_code == 409
    assert stale.json()["detail"]["current"]["quantity_low"] == 12
    session.refresh(asset)
    assert asset.quantity_low == 12


def test_delete_with_version_is_recorded_and_revertible(session, editor_client):
    asset = _drone(session)
    asset_id, version = asset.id, asset.version
    assert editor_client.delete(f"/api/v1/assets/{asset_id}?version={version + 1}"
                                ).status_code == 409
    assert editor_client.delete(f"/api/v1/assets/{asset_id}?version={version}"
                                ).status_code == 204
    assert editor_client.get(f"/api/v1/assets/{asset_id}").status_code == 404
    change = session.scalars(select(Change).order_by(Change.id.desc())).first()
    assert change.action == "delete"
    assert editor_client.post(f"/changes/{change.id}/revert").status_code == 200
    assert editor_client.get(f"/api/v1/assets/{asset_id}").status_code == 200


def test_reading_needs_no_account_writing_does(session, client, viewer_client):
    asset = _drone(session)
    assert client.get(f"/api/v1/assets/{asset.id}").status_code == 200
    for c in (client, viewer_client):
        assert c.post("/api/v1/assets", json=_json(session, "assets")).status_code in (401, 403)
        assert c.delete(f"/api/v1/assets/{asset.id}?version=1").status_code in (401, 403)
    assert session.get(Asset, asset.id) is not None


def test_writes_are_documented_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/assets"])
    assert {"get", "put", "delete"} <= set(paths["/api/v1/assets/{row_id}"])
