"""Vocabulary values as people type them: slugs or labels, in any case, through the forms'
models (the write API, forms and the import); an unknown value names the allowed ones."""

import csv
import io

import pytest
from sqlalchemy import select

from app.plan.models import Asset
from app.plan.vocab import AssetType, Credibility, Posture, SiteKind, Vocab, vocab_value
from tests.html import soup
from tests.test_api_writes import _json
from tests.test_editing import _report


def _check(enum: type[Vocab]):
    from pydantic import TypeAdapter
    return TypeAdapter(vocab_value(enum, "value")).validate_python


@pytest.mark.parametrize(("typed", "member"), [
    ("monitoring", Posture.MONITORING),
    ("Monitoring", Posture.MONITORING),
    (" MONITORING ", Posture.MONITORING),
    ("On standby", Posture.STANDBY),
    ("on STANDBY", Posture.STANDBY),
    ("standby", Posture.STANDBY),
])
def test_a_posture_is_taken_by_slug_or_label_in_any_case(typed, member):
    assert _check(Posture)(typed) is member


@pytest.mark.parametrize("typed", ["fighter_jet", "Fighter jets", "fighter jet", "FIGHTER-JET",
                                   "Fighter_Jet"])
def test_an_asset_type_is_taken_by_slug_label_or_their_words(typed):
    assert _check(AssetType)(typed) is AssetType.FIGHTER_JET


def test_labels_with_their_own_words_are_taken_too():
    assert _check(SiteKind)("Other critical infrastructure") is SiteKind.CRITICAL_INFRASTRUCTURE
    assert _check(Credibility)("2: probably true") is Credibility.PROBABLY_TRUE
    assert _check(Credibility)("2") is Credibility.PROBABLY_TRUE


def test_no_label_of_a_vocabulary_reads_as_another_member():
    from app.plan import vocab
    for enum in [v for v in vars(vocab).values()
                 if isinstance(v, type) and issubclass(v, Vocab) and v is not Vocab]:
        for member in enum:
            assert _check(enum)(member.label) is member, (enum, member)
            assert _check(enum)(member.value.upper()) is member, (enum, member)


def test_an_unknown_value_lists_what_is_allowed():
    with pytest.raises(ValueError) as refused:
        _check(Posture)("Watching")
    message = str(refused.value)
    assert "unknown value 'Watching'" in message
    for member in Posture:
        assert member.value in message
    assert "On standby" in message  # the label, where it reads unlike the slug


def test_the_api_takes_labels_and_any_case(session, editor_client):
    data = {**_json(session, "assets"), "asset_type": "Fighter jets", "posture": "On standby",
            "stage": "Committed", "certainty": "REPORTED"}
    response = editor_client.post("/api/v1/assets", json=data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["asset_type"], body["posture"], body["certainty"]) == (
        "fighter_jet", "standby", "reported")


def test_the_api_refuses_an_unknown_value_listing_the_allowed(session, editor_client):
    data = {**_json(session, "assets"), "posture": "Watching"}
    response = editor_client.post("/api/v1/assets", json=data)
    assert response.status_code == 422
    messages = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert "'Watching'" in messages["posture"]
    assert "monitoring" in messages["posture"] and "standby" in messages["posture"]


def _import_csv(session, posture: str, asset_type: str) -> str:
    plan_id = session.scalar(select(Asset.plan_id).limit(1))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["plan_id", "country_code", "asset_type", "quantity_low", "posture",
                     "stage", "role", "certainty", "source_id", "quote"])
    writer.writerow([plan_id, "pl", asset_type, 3, posture, "Committed", "Jets on standby",
                     "Reported", _report(session).id, "drones"])
    return buffer.getvalue()


def _upload(client, text):
    return client.post("/admin/import", data={"kind": "assets"},
                       files={"file": ("assets.csv", text.encode(), "text/csv")})


def test_the_import_takes_capitalised_values_and_labels(session, admin_client):
    preview = _upload(admin_client, _import_csv(session, "Monitoring", "Fighter jets"))
    assert preview.status_code == 200, soup(preview).select_one("main").text
    assert "all valid" in preview.text


def test_the_import_refuses_an_unknown_value_listing_the_allowed(session, admin_client):
    preview = _upload(admin_client, _import_csv(session, "Watching", "Jets"))
    assert preview.status_code == 422
    row = soup(preview).select_one("tbody tr").text
    assert "'Watching'" in row and "monitoring" in row and "On standby" in row
    assert "'Jets'" in row and "fighter_jet" in row


def test_a_claim_takes_its_stage_and_rank_by_label(session, editor_client):
    from tests.test_evidence import _force
    force = _force(session)
    response = editor_client.post(f"/api/v1/deployments/{force.id}/claims", json={
        "field": "stage", "stage": "Committed", "rank": "Preferred",
        "credibility": "2: probably true", "source_id": _report(session).id,
        "quote": "calling for the deployment of 30,000 European troops",
        "reason": "Stages typed as they read"})
    assert response.status_code == 201, response.text
    assert (response.json()["stage"], response.json()["rank"],
            response.json()["credibility"]) == ("committed", "preferred", "2")
    refused = editor_client.post(f"/api/v1/deployments/{force.id}/claims", json={
        "field": "stage", "stage": "Promised", "source_id": _report(session).id})
    assert refused.status_code == 422
    message = next(e["msg"] for e in refused.json()["detail"] if e["loc"][-1] == "stage")
    assert "'Promised'" in message and "committed" in message
