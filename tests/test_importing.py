"""Bulk import: a preview with per-row errors first, then all rows or none."""

import csv
import io
import json

from sqlalchemy import func, select

from app.editing import imports
from app.plan.kinds import KINDS
from app.plan.models import Asset, Site
from app.plan.records import Change
from tests.html import form_values, soup
from tests.test_editing import _report

HEADER = ["plan_id", "country_code", "asset_type", "quantity_low", "quantity_high", "posture",
          "stage", "role", "certainty", "source_id", "quote"]


def _csv(session, rows):
    plan_id = session.scalar(select(Asset.plan_id).limit(1))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for country, low, high in rows:
        writer.writerow([plan_id, country, "drone", low, high, "monitoring", "committed",
                         f"Imported drones of {country}", "reported", _report(session).id,
                         "drones"])
    return buffer.getvalue()


def _upload(client, text, kind="assets", name="pledges.csv"):
    return client.post("/admin/import", data={"kind": kind},
                       files={"file": (name, text.encode(), "text/csv")})


def _confirm(client, preview):
    """Confirm a previewed import, sending back the form the preview shows."""
    form = soup(preview).select_one("form[action='/admin/import/confirm']")
    return client.post("/admin/import/confirm", data=form_values(form), follow_redirects=False)


def _count(session, model=Asset):
    return session.scalar(select(func.count()).select_from(model))


def test_preview_then_all_rows_are_written_as_one_change(session, admin_client):
    text = _csv(session, [("PL", 10, 12), ("NL", 4, 4)])
    before = _count(session)
    preview = _upload(admin_client, text)
    assert preview.status_code == 200
    assert "all valid" in preview.text
    assert _count(session) == before  # nothing written by the preview

    done = _confirm(admin_client, preview)
    assert done.status_code == 303
    assert _count(session) == before + 2
    change = session.scalars(select(Change).order_by(Change.id.desc())).first()
    assert (change.action, change.actor) == ("import", "admin")
    assert change.summary == "Imported 2 assets from pledges.csv"
    listed = admin_client.get("/api/v1/assets?country=PL&asset_type=drone").json()
    assert [i["quantity_low"] for i in listed["items"]] == [10]


def test_one_bad_row_stops_the_whole_file(session, admin_client):
    text = _csv(session, [("PL", 10, 12), ("XX", -1, 4), ("NL", 9, 3)])
    before = _count(session)
    preview = _upload(admin_client, text)
    assert preview.status_code == 422
    rows = soup(preview).select("section[aria-labelledby=preview-h] tbody tr")
    assert [("invalid" in (r.get("class") or [])) for r in rows] == [False, True, True]
    assert "unknown country code" in rows[1].text and "Enter 0 or more." in rows[1].text
    assert "cannot be below" in rows[2].text
    assert not soup(preview).select("form[action='/admin/import/confirm']")
    # Posting the text for writing anyway is refused the same way.
    refused = admin_client.post("/admin/import/confirm",
                                data={"kind": "assets", "text": text, "name": "x.csv"})
    assert refused.status_code == 422
    assert _count(session) == before


def test_json_and_duplicates_within_the_file(session, admin_client):
    source = _report(session).id
    site = {"name": "Odesa port", "kind": "port", "basis": "candidate", "country_code": "UA",
            "latitude": 46.49, "longitude": 30.74, "certainty": "unreported",
            "source_id": source}
    text = json.dumps([site, {**site, "name": "Mykolaiv port"}, site])
    before = _count(session, Site)
    preview = _upload(admin_client, text, kind="sites", name="sites.json")
    assert preview.status_code == 422
    rows = soup(preview).select("tbody tr")
    assert "The same as row 1" in rows[2].text
    assert _count(session, Site) == before
    # A point needs its coordinates, in the import as in the form.
    lost = {**site, "name": "Izmail port", "latitude": None, "longitude": None,
            "precision": "point"}
    preview = _upload(admin_client, json.dumps([lost]), kind="sites", name="sites.json")
    assert preview.status_code == 422
    assert "needs its coordinates" in soup(preview).select_one("tbody tr").text


def test_unreadable_files_are_explained(session, admin_client):
    assert "no header" in _upload(admin_client, "\n\n").text or \
        "empty" in _upload(admin_client, "\n\n").text
    assert "Not valid JSON" in _upload(admin_client, "[{", name="x.json").text
    assert _upload(admin_client, "a,b\n1,2,3\n").status_code == 422


def test_import_is_for_editors_with_a_template(session, viewer_client, editor_client):
    assert viewer_client.get("/admin/import").status_code == 403
    assert viewer_client.get("/admin/import/assets.csv").status_code == 403
    assert editor_client.get("/admin/import").status_code == 200
    header = editor_client.get("/admin/import/assets.csv").text.strip().split(",")
    assert {"asset_type", "quantity_low", "source_id"} <= set(header)


def test_a_text_cell_is_kept_whole_and_only_references_are_split(session, admin_client):
    plan_id = session.scalar(select(Asset.plan_id).limit(1))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    role = "Monitoring; surveillance; and a; semicolon"
    writer.writerow([plan_id, "PL", "drone", 1, 1, "monitoring", "committed", role,
                     "reported", _report(session).id, "drones"])
    preview = _upload(admin_client, buffer.getvalue())
    assert preview.status_code == 200, preview.text
    assert role in soup(preview).select_one("tbody").text  # the preview shows what is stored
    assert _confirm(admin_client, preview).status_code == 303
    assert session.scalars(select(Asset.role).where(Asset.country_code == "PL")).all() == [role]
    # Several sites of a deployment, in one cell, are still several references.
    site_ids = session.scalars(select(Site.id).limit(2)).all()
    records = imports.read(f"sites,role\n{site_ids[0]};{site_ids[1]},A; B\n", "d.csv")
    split = imports.fields(KINDS["deployments"], records[0])
    assert split["sites"] == [str(i) for i in site_ids] and split["role"] == "A; B"
