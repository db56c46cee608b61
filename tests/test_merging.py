"""Saving over a colleague's version merges, it never reverts: a three-way merge per field
of the version opened, theirs and mine, through the forms and through PATCH."""

from sqlalchemy import select

from app.plan.models import Asset, Deployment, Site
from app.plan.records import Revision
from tests.conftest import sign_in
from tests.factories import make_user
from tests.html import form_values, soup
from tests.test_editing import _cites, _drone, _edit


def _colleague(session, new_client):
    make_user(session, "second")
    other = new_client()
    sign_in(other, "second")
    return other


def _form_of(response) -> dict:
    """The values a conflict page's form would send back as it stands."""
    return form_values(soup(response).select_one("#row-form"))


def _save(client, row, data, **kw):
    return client.post(f"/assets/{row.id}/edit", data=data, follow_redirects=False, **kw)


# --- The reported defect ---


def test_saving_over_a_colleague_keeps_the_field_only_they_changed(session, editor_client,
                                                                   new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    mine = _edit(editor_client, asset)  # A opens
    theirs = _edit(other, asset)  # B opens
    assert _save(other, asset, {**theirs, "role": "Counting drones"}).status_code == 303
    response = _save(editor_client, asset, {**mine, "country_note": "Operated jointly"})
    assert response.status_code == 303, response.text
    session.refresh(asset)
    assert (asset.role, asset.country_note) == ("Counting drones", "Operated jointly")
    # The editor is told what of theirs was kept, by whom.
    notice = soup(editor_client.get(response.headers["location"])).select_one(".notice").text
    assert "Kept what was saved since you opened the form" in notice
    assert "Counting drones" in notice and "second" in notice


def test_each_recorded_state_keeps_the_rows_version(session, editor_client):
    asset = _drone(session)
    _save(editor_client, asset, _edit(editor_client, asset, role="A new role"))
    session.refresh(asset)
    latest = session.scalars(select(Revision).where(
        Revision.subject_type == "asset", Revision.subject_id == asset.id)
        .order_by(Revision.id.desc())).first()
    assert (latest.after["role"], latest.version) == ("A new role", asset.version)


# --- True conflicts and the choices ---


def _conflicted(session, editor_client, other, asset, their_role="Their role"):
    mine = _edit(editor_client, asset)
    theirs = _edit(other, asset)
    _save(other, asset, {**theirs, "role": their_role, "country_note": "Their note"})
    return _save(editor_client, asset, {**mine, "role": "My role", "posture": "deployed"})


def test_a_field_both_changed_differently_is_asked_about_with_everything_kept(
        session, editor_client, new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    response = _conflicted(session, editor_client, other, asset)
    assert response.status_code == 409
    page = soup(response)
    alert = page.select_one("[role=alert]").text
    assert "changed since you opened the form" in alert and "second" in alert
    assert page.select_one("#f-role")["value"] == "My role"  # what was typed
    assert page.select_one("#f-role-theirs").get_text(" ", strip=True) == (
        "Their value: Their role")
    choice = page.select_one("#resolve-role")
    assert {i["value"] for i in choice.select("input[name=take_role]")} == {"mine", "theirs"}
    assert "My role" in choice.text and "Their role" in choice.text
    # What only they changed is kept, said so, and carried by the form.
    assert "Their note" in page.select_one("ul.kept").text
    assert page.select_one("#f-country_note")["value"] == "Their note"
    assert page.select_one("#f-posture option[selected]")["value"] == "deployed"
    assert not page.select("#resolve-country_note, #resolve-posture")
    session.refresh(asset)
    assert (asset.role, asset.posture.value) == ("Their role", asset.posture.value)
    assert page.select_one("input[name=version]")["value"] == str(asset.version)


def test_taking_theirs_or_keeping_mine_settles_exactly_that_field(
        session, editor_client, new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    data = _form_of(_conflicted(session, editor_client, other, asset))
    assert _save(editor_client, asset, {**data, "take_role": "theirs"}).status_code == 303
    session.refresh(asset)
    assert (asset.role, asset.country_note, asset.posture.value) == (
        "Their role", "Their note", "deployed")

    data = _form_of(_conflicted(session, editor_client, other, asset, "Their second role"))
    assert data["take_role"] == "mine"
    assert _save(editor_client, asset, data).status_code == 303
    session.refresh(asset)
    assert asset.role == "My role"


def test_choices_are_merged_again_when_the_row_moved_once_more(
        session, editor_client, new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    data = _form_of(_conflicted(session, editor_client, other, asset))
    # They save again while the conflict is on screen.
    assert _save(other, asset, _edit(other, asset, verified_on="2025-03-03")).status_code == 303
    response = _save(editor_client, asset, {**data, "take_role": "mine"})
    assert response.status_code == 303, response.text
    session.refresh(asset)
    assert (asset.role, asset.verified_on.isoformat(), asset.posture.value) == (
        "My role", "2025-03-03", "deployed")


def test_a_version_the_history_does_not_hold_asks_about_every_difference(
        session, editor_client):
    asset = _drone(session)
    data = _edit(editor_client, asset, role="My role", version="0")
    response = _save(editor_client, asset, data)
    assert response.status_code == 409
    page = soup(response)
    assert "not in the history" in page.select_one("[role=alert]").text
    assert page.select_one("#resolve-role")


# --- Figures and their evidence ---


def test_their_figure_is_kept_without_asking_me_for_its_source(session, editor_client,
                                                               new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    mine = _edit(editor_client, asset)
    _save(other, asset, _edit(other, asset, quantity_low="12", **_cites(session)))
    response = _save(editor_client, asset, {**mine, "role": "My role"})
    assert response.status_code == 303, response.text
    session.refresh(asset)
    assert (asset.quantity_low, asset.role) == (12, "My role")


def test_my_figure_over_their_change_still_needs_its_source(session, editor_client,
                                                            new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    mine = _edit(editor_client, asset, quantity_low="20")
    _save(other, asset, _edit(other, asset, role="Their role"))
    refused = _save(editor_client, asset, mine)
    assert refused.status_code == 422
    page = soup(refused)
    assert "choose the source" in page.select_one("#f-source_id-error").text
    # Shown again on the version merged onto, with their change in it.
    session.refresh(asset)
    assert page.select_one("input[name=version]")["value"] == str(asset.version)
    assert page.select_one("#f-role")["value"] == "Their role"
    again = _form_of(refused) | _cites(session)
    assert _save(editor_client, asset, again).status_code == 303
    session.refresh(asset)
    assert (asset.quantity_low, asset.role) == (20, "Their role")


def test_a_figures_parts_conflict_as_one_value(session, editor_client, new_client):
    other = _colleague(session, new_client)
    asset = _drone(session)
    mine = _edit(editor_client, asset, quantity_high="40", **_cites(session))
    _save(other, asset, _edit(other, asset, quantity_low="12", **_cites(session)))
    response = _save(editor_client, asset, mine)
    assert response.status_code == 409
    choice = soup(response).select_one("#resolve-quantity")
    assert "up to 40" in choice.text and "at least 12" in choice.text
    assert not soup(response).select("#resolve-quantity_low, #resolve-quantity_high")


# --- Links to other rows merge as sets ---


def test_sites_added_and_removed_by_each_editor_are_all_applied(session, editor_client,
                                                                new_client):
    other = _colleague(session, new_client)
    deployment = session.scalars(select(Deployment).where(Deployment.sites.any())).first()
    had = {s.id for s in deployment.sites}
    added = session.scalars(select(Site).where(Site.id.not_in(had))).first()
    removed = min(had)
    url = f"/deployments/{deployment.id}/edit"
    page = lambda client: _form_of(client.get(url))  # noqa: E731
    mine, theirs = page(editor_client), page(other)
    version = deployment.version
    their_sites = [str(i) for i in sorted(had | {added.id})]
    assert other.post(url, data={**theirs, "sites": their_sites}).status_code == 200
    session.refresh(deployment)
    assert deployment.version == version + 1  # a change of links alone moves the version
    my_sites = [str(i) for i in sorted(had - {removed})]
    response = editor_client.post(url, data={**mine, "sites": my_sites},
                                  follow_redirects=False)
    assert response.status_code == 303, response.text
    session.refresh(deployment)
    assert {s.id for s in deployment.sites} == (had | {added.id}) - {removed}
    notice = soup(editor_client.get(response.headers["location"])).select_one(".notice").text
    assert f"added {added.name}" in notice


# --- The write API ---


def _patch(client, asset, version, **fields):
    return client.patch(f"/api/v1/assets/{asset.id}", json={"version": version, **fields})


def test_patch_over_a_newer_version_applies_fields_nobody_else_changed(session,
                                                                      editor_client):
    asset = _drone(session)
    opened = asset.version
    assert _patch(editor_client, asset, opened, role="Their role").status_code == 200
    response = _patch(editor_client, asset, opened, country_note="My note")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["role"], body["country_note"], body["version"]) == (
        "Their role", "My note", opened + 2)


def test_patch_of_a_field_changed_since_answers_409_with_each_value(session, editor_client):
    asset = _drone(session)
    opened, before = asset.version, asset.role
    _patch(editor_client, asset, opened, role="Their role")
    response = _patch(editor_client, asset, opened, role="My role", country_note="My note")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["conflicts"] == [{"field": "role", "base": before, "theirs": "Their role",
                                    "mine": "My role"}]
    assert detail["current"]["role"] == "Their role"
    session.refresh(asset)
    assert asset.country_note != "My note"  # nothing written
    # Sending their value again is no conflict.
    same = _patch(editor_client, asset, opened, role="Their role", country_note="My note")
    assert same.status_code == 200, same.text


def test_patch_keeps_the_forms_rules(session, editor_client):
    asset = _drone(session)
    refused = _patch(editor_client, asset, asset.version, quantity_low=12)
    assert refused.status_code == 422
    assert {e["loc"][-1] for e in refused.json()["detail"]} >= {"source_id", "reason"}
    assert _patch(editor_client, asset, asset.version, plan_id=None).status_code == 422
    done = _patch(editor_client, asset, asset.version, quantity_low=12, **{
        k: (int(v) if k == "source_id" else v) for k, v in _cites(session).items()})
    assert done.status_code == 200, done.text
    assert done.json()["quantity_low"] == 12


def test_put_over_a_newer_version_is_refused_naming_the_conflicts(session, editor_client):
    asset = _drone(session)
    opened = asset.version
    item = editor_client.get(f"/api/v1/assets/{asset.id}").json()
    _patch(editor_client, asset, opened, role="Their role")
    body = {k: item[k] for k in ("plan_id", "asset_type", "posture", "stage", "certainty",
                                 "quantity_low", "quantity_high")}
    response = editor_client.put(f"/api/v1/assets/{asset.id}",
                                 json={**body, "role": "My role", "version": opened})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert [c["field"] for c in detail["conflicts"]] == ["role"]
    assert "PATCH" in detail["message"]


def test_patch_is_documented(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/assets/{row_id}"]["patch"]
    assert operation["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Stale"}
    assert "merged" in operation["description"]
    _ = Asset  # the kind documented
