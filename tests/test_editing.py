"""Forms for every kind: add, edit, delete, cite; validation next to the field; conflicts
shown instead of lost; every change in the history and revertible."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.editing import forms, writes
from app.evidence import claims
from app.loading import corrections, seed
from app.plan.kinds import KINDS
from app.plan.models import Asset, Citation, Demand, Site, Source
from app.plan.records import Change
from tests.html import form_values, soup

REPORT = "report-2025-02-21"


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _report(session) -> Source:
    return session.scalars(select(Source).where(Source.key == REPORT)).one()


def _drone(session) -> Asset:
    return session.scalars(select(Asset).where(Asset.key == "european-drones")).one()


def valid_data(session, kind, creating=True) -> dict:
    """A valid submission for any kind's form, built from its fields."""
    form = forms.form_for(kind, creating=creating)
    data = {}
    for f in form.fields:
        match f.widget:
            case "text" | "textarea":
                data[f.name] = f"Test {f.label.lower()} {kind.slug}"
            case "integer":
                data[f.name] = "5"
            case "decimal":
                data[f.name] = "48.5"
            case "date":
                data[f.name] = "2025-03-01"
            case "vocab":
                data[f.name] = f.vocab_options[0][0]
            case "country":
                data[f.name] = "FR"
            case "ref" if f.required:
                data[f.name] = forms.options(session, KINDS[f.ref])[0][0]
    # A site's region is an ISO 3166-2 code, which no placeholder text is.
    data.pop("region_code", None)
    if any(f.name == "source_id" for f in form.fields):
        # Words the report holds: a quote is refused unless its source's text has it.
        data["source_id"] = str(_report(session).id)
        data["quote"] = "30,000 European troops"
    return data


def _errors(response) -> dict[str, str]:
    """Field name -> error message, as shown next to each field."""
    page = soup(response)
    out = {}
    for error in page.select(".field .error"):
        control = error.find_parent(class_="field").select_one("input, select, textarea")
        out[control["name"]] = error.get_text(" ", strip=True)
    return out


# --- Adding ---


@pytest.mark.parametrize("slug", list(KINDS))
def test_every_kind_can_be_added_with_its_source(slug, session, editor_client):
    kind = KINDS[slug]
    page = editor_client.get(f"/{slug}/new")
    assert page.status_code == 200
    labels = {label["for"] for label in soup(page).select("#row-form label[for]")}
    assert {f"f-{f.name}" for f in forms.form_for(kind, True).fields} <= labels

    before = _count(session, kind.model)
    response = editor_client.post(f"/{slug}/new", data=valid_data(session, kind),
                                  follow_redirects=False)
    assert response.status_code == 303, _errors(response)
    row_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert _count(session, kind.model) == before + 1
    detail = editor_client.get(f"/{slug}/{row_id}")
    assert detail.status_code == 200
    change = session.scalars(select(Change).order_by(Change.id.desc())).first()
    assert (change.actor, change.action) == ("editor", "create")
    if kind.cited:
        cited = session.scalars(select(Citation.source_id).where(
            Citation.subject_type == kind.subject_type, Citation.subject_id == row_id)).all()
        # A row with figures cites its source once per figure: a claim about each.
        assert set(cited) == {_report(session).id}
        assert len(cited) == max(1, len(claims.fields_of(kind.model)))
        assert "History" in detail.text and change.summary in detail.text


@pytest.mark.parametrize(("slug", "field", "value", "message"), [
    ("assets", "quantity_low", "-3", "Enter 0 or more."),
    ("assets", "quantity_low", "many", "Enter a whole number, such as 250."),
    ("assets", "quantity_high", "2", "cannot be below"),
    ("sites", "latitude", "123", "Enter 90 or less."),
    ("sites", "latitude", "north", "Enter a number, such as 48.5."),
    ("sites", "country_code", "XX", "unknown country code"),
    ("sites", "region_code", "UA-99", "not a region code"),
    ("sites", "region_code", "UA-51", "not a region of France"),
    ("stakeholders", "name", "", "required"),
    ("events", "happened_on", "21/02/2025", "use YYYY-MM-DD"),
    ("sites", "name", "port of odesa", "Another site has this"),
    ("deployments", "sites", "99999", "No site with id 99999"),
])
def test_a_bad_value_is_shown_next_to_its_field_with_everything_typed_kept(
        slug, field, value, message, session, editor_client):
    kind = KINDS[slug]
    data = valid_data(session, kind)
    if slug == "assets" and field == "quantity_high":
        data["quantity_low"] = "10"
    if field == "name" and value:  # a duplicate: same name and country as a seeded site
        data["country_code"] = "UA"
    data[field] = value
    before = _count(session, kind.model)
    response = editor_client.post(f"/{slug}/new", data=data)
    assert response.status_code == 422
    assert message in _errors(response)[field]
    page = soup(response)
    for name, typed in data.items():
        control = page.select_one(f"#row-form [name='{name}']")
        shown = control.get("value") if control.name == "input" else (
            control.get_text() if control.name == "textarea"
            else [o["value"] for o in control.select("option[selected]")])
        if control.name == "select":
            assert typed in shown, name
        else:
            assert shown == typed, name
    assert _count(session, kind.model) == before


def test_a_refused_form_shows_what_was_typed_without_what_is_dropped(session, editor_client):
    # A browser would send a NUL shown to it back as U+FFFD, a character that is kept.
    data = {**valid_data(session, KINDS["stakeholders"]), "name": "Nul\x00 and bell\x07",
            "verified_on": "soon"}
    response = editor_client.post("/stakeholders/new", data=data)
    assert response.status_code == 422
    assert soup(response).select_one("#f-name")["value"] == "Nul and bell"


def test_with_htmx_the_form_is_swapped_in_place(session, editor_client):
    editor_client.headers["HX-Request"] = "true"
    data = {**valid_data(session, KINDS["assets"]), "quantity_low": "-1"}
    response = editor_client.post("/assets/new", data=data)
    assert response.status_code == 422
    assert "<html" not in response.text and 'id="row-form"' in response.text
    data["quantity_low"] = "1"
    response = editor_client.post("/assets/new", data=data)
    assert response.status_code == 204
    assert response.headers["HX-Location"].startswith("/assets/")


def test_viewers_see_no_editing_controls(session, client, viewer_client):
    asset = _drone(session)
    for c in (client, viewer_client):
        page = c.get(f"/assets/{asset.id}")
        assert not soup(page).select(f"a[href='/assets/{asset.id}/edit']")
        assert not soup(c.get("/assets")).select("a[href='/assets/new']")
        assert c.get("/assets/new", follow_redirects=False).status_code in (303, 403)


def test_editors_see_edit_and_delete_where_the_row_is_shown(session, editor_client):
    asset = _drone(session)
    page = soup(editor_client.get(f"/assets/{asset.id}"))
    assert page.select_one(f"a[href='/assets/{asset.id}/edit']")
    assert page.select_one(f"a[href='/assets/{asset.id}/delete']")
    assert soup(editor_client.get("/assets")).select_one("a[href='/assets/new']")


# --- Editing and conflicts ---


def _cites(session) -> dict[str, str]:
    """What an edit changing a figure must carry: its source, the words, a reason."""
    return {"source_id": str(_report(session).id), "quote": "drones",
            "reason": "A later count of the drones"}


def _edit(client, asset, **changes):
    form = soup(client.get(f"/assets/{asset.id}/edit")).select_one("#row-form")
    return {**form_values(form), **changes}


def test_an_edit_is_saved_and_shown_in_the_row_history(session, editor_client):
    asset = _drone(session)
    version = asset.version
    data = _edit(editor_client, asset, quantity_low="12", **_cites(session))
    response = editor_client.post(f"/assets/{asset.id}/edit", data=data, follow_redirects=False)
    assert response.status_code == 303
    session.refresh(asset)
    assert (asset.quantity_low, asset.version) == (12, version + 1)
    history = soup(editor_client.get(f"/assets/{asset.id}")).select_one("#history-h").parent
    row = next(tr for tr in history.select("table.diff tr") if "Quantity" in tr.text)
    assert [td.get_text(strip=True) for td in row.select("td")] == ["unknown", "at least 12"]


def test_two_editors_saving_the_same_version_second_sees_the_conflict(
        session, editor_client, new_client):
    from tests.conftest import sign_in
    from tests.factories import make_user

    make_user(session, "second")
    other = new_client()
    sign_in(other, "second")
    asset = _drone(session)
    first_form = _edit(editor_client, asset, quantity_low="12", **_cites(session))
    second_form = _edit(other, asset, quantity_low="30", **_cites(session), role="Counting drones")

    assert editor_client.post(f"/assets/{asset.id}/edit", data=first_form).status_code == 200
    conflict = other.post(f"/assets/{asset.id}/edit", data=second_form)
    assert conflict.status_code == 409
    page = soup(conflict)
    assert "changed since you opened the form" in page.text
    assert "editor" in page.select_one("[role=alert]").text
    theirs = page.select_one("#f-quantity_low-theirs").get_text(" ", strip=True)
    assert theirs == "Their value: 12"
    assert page.select_one("#f-quantity_low")["value"] == "30"  # what the second typed
    session.refresh(asset)
    assert asset.quantity_low == 12

    # Saving again, now knowingly over the newer version, works; both stay in history.
    again = {**second_form, "version": page.select_one("input[name=version]")["value"]}
    assert other.post(f"/assets/{asset.id}/edit", data=again).status_code == 200
    session.refresh(asset)
    assert (asset.quantity_low, asset.role) == (30, "Counting drones")
    edits = session.scalars(select(Change).where(Change.action == "update")
                            .order_by(Change.id)).all()
    assert [c.actor for c in edits[-2:]] == ["editor", "second"]


# --- Deleting, restoring, reverting ---


def test_delete_asks_first_then_can_be_restored(session, editor_client):
    asset = _drone(session)
    asset_id = asset.id
    confirm = editor_client.get(f"/assets/{asset_id}/delete")
    assert confirm.status_code == 200 and "can be undone" in confirm.text
    response = editor_client.post(f"/assets/{asset_id}/delete", follow_redirects=False)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Asset, asset_id) is None
    change_url = response.headers["location"]
    page = soup(editor_client.get(change_url))
    assert page.select_one(f"form[action='{change_url}/revert'] button").text.startswith(
        "Restore")

    assert editor_client.post(f"{change_url}/revert", follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(Asset, asset_id) is not None
    assert editor_client.get(f"/assets/{asset_id}").status_code == 200


def test_a_row_others_refer_to_is_not_deleted(session, editor_client):
    site = session.scalars(select(Site).where(Site.id.in_(
        select(Asset.site_id).where(Asset.site_id.is_not(None))))).first()
    response = editor_client.post(f"/sites/{site.id}/delete")
    assert response.status_code == 409
    assert "cannot be deleted while other rows refer to it" in response.text
    assert session.get(Site, site.id) is not None


def test_the_delete_page_names_whatever_refers_to_a_row(session, editor_client):
    # A demand raised by several stakeholders is held by a table of its own.
    demand = session.scalars(select(Demand).where(Demand.also_raised_by.any())).first()
    for url in (f"/demands/{demand.id}/delete",
                f"/stakeholders/{demand.also_raised_by[0].id}/delete"):
        page = editor_client.get(url)
        assert page.status_code == 200, url
        assert "cannot be deleted while other rows refer to it" in page.text
    for kind in KINDS.values():
        for row_id in session.scalars(select(kind.model.id)):
            writes.references(session, kind, row_id)


def test_editors_revert_their_own_changes_admins_any(session, editor_client, admin_client):
    asset = _drone(session)
    editor_client.post(f"/assets/{asset.id}/edit",
                       data=_edit(editor_client, asset, quantity_low="12", **_cites(session)))
    admin_client.post(f"/assets/{asset.id}/edit",
                      data=_edit(admin_client, asset, quantity_high="40", **_cites(session)))
    editor_change, admin_change = session.scalars(
        select(Change).where(Change.action == "update").order_by(Change.id)).all()[-2:]
    assert editor_client.post(f"/changes/{admin_change.id}/revert").status_code == 403
    assert admin_client.post(f"/changes/{admin_change.id}/revert").status_code == 200
    assert editor_client.post(f"/changes/{editor_change.id}/revert").status_code == 200
    session.refresh(asset)
    assert (asset.quantity_low, asset.quantity_high) == (None, None)


def test_a_revert_over_a_later_edit_is_refused_and_explained(session, editor_client):
    asset = _drone(session)
    editor_client.post(f"/assets/{asset.id}/edit",
                       data=_edit(editor_client, asset, quantity_low="12", **_cites(session)))
    first = session.scalars(select(Change).order_by(Change.id.desc())).first()
    editor_client.post(f"/assets/{asset.id}/edit",
                       data=_edit(editor_client, asset, quantity_low="14", **_cites(session)))
    response = editor_client.post(f"/changes/{first.id}/revert")
    assert response.status_code == 409
    assert "has changed since" in response.text
    session.refresh(asset)
    assert asset.quantity_low == 14


# --- Citations ---


def test_citing_and_uncitng_a_source(session, editor_client):
    asset = _drone(session)
    other = session.scalars(select(Source).where(Source.key != REPORT)).first()
    response = editor_client.post(f"/assets/{asset.id}/sources",
                                  data={"source_id": str(other.id), "quote": ""})
    assert response.status_code == 200
    cited = {c.source_id: c.quote for c in session.scalars(select(Citation).where(
        Citation.subject_type == "asset", Citation.subject_id == asset.id))}
    assert other.id in cited and cited[other.id] is None
    assert editor_client.post(
        f"/assets/{asset.id}/sources/{other.id}/delete").status_code == 200
    assert other.id not in set(session.scalars(select(Citation.source_id).where(
        Citation.subject_type == "asset", Citation.subject_id == asset.id)))
    # The report's citations of the drones are claims about their quantity and stage:
    # they go through the claims' own form, which keeps every figure sourced.
    last = _report(session).id
    assert editor_client.post(f"/assets/{asset.id}/sources/{last}/delete").status_code == 404


def test_a_quote_the_source_does_not_hold_is_refused_next_to_the_field(session, editor_client):
    site = session.scalars(select(Site).where(Site.key == "eastern-europe")).one()
    report = _report(session)
    refused = editor_client.post(f"/sites/{site.id}/sources", data={
        "source_id": str(report.id), "quote": "Poland offered 5,000 troops"})
    assert refused.status_code == 422
    page = soup(refused)
    assert "not in the text" in page.select_one("#cite-quote-error").text
    assert page.select_one("#cite-quote").text == "Poland offered 5,000 troops"
    # Spacing and the shape of quote marks are forgiven; the words as held are kept.
    taken = editor_client.post(f"/sites/{site.id}/sources", data={
        "source_id": str(report.id), "quote": "in   Eastern\nEurope, ready to act"})
    assert taken.status_code == 200
    quotes = set(session.scalars(select(Citation.quote).where(
        Citation.subject_type == "site", Citation.subject_id == site.id)))
    assert "in Eastern Europe, ready to act" in quotes


# --- The change log ---


def test_editors_see_the_change_log_filtered_by_user_kind_and_date(session, admin_client,
                                                                    editor_client,
                                                                    viewer_client):
    asset = _drone(session)
    editor_client.post(f"/assets/{asset.id}/edit",
                       data=_edit(editor_client, asset, quantity_low="12", **_cites(session)))
    assert viewer_client.get("/admin/changes").status_code == 403
    assert editor_client.get("/admin/changes?actor=editor").status_code == 200
    page = admin_client.get("/admin/changes?actor=editor")
    assert page.status_code == 200
    items = soup(page).select("ol.changes > li")
    assert len(items) == 1 and "Edited asset" in items[0].text
    assert soup(admin_client.get("/admin/changes?kind=sites&actor=editor")).select(
        "ol.changes > li") == []
    today = date.today().isoformat()
    assert "seed" not in soup(admin_client.get(f"/admin/changes?start={today}")).select_one(
        "ol.changes").text
    seeded = soup(admin_client.get("/admin/changes?end=2025-02-21")).select("ol.changes > li")
    # The seed, then each correction found on re-reading the report, with its reason.
    assert "Loaded from seeds/" in seeded[-1].text
    assert all("Correction:" in item.text and "Reason:" in item.text for item in seeded[:-1])
    assert len(seeded) == 1 + len(corrections.read(seed.SEEDS_DIR))


def test_date_fields_leave_the_format_to_the_browsers_picker(editor_client):
    page = soup(editor_client.get("/events/new"))
    day = page.select_one("input[name=happened_on]")
    assert day["type"] == "date"
    hint = page.select_one("#f-happened_on-hint")
    assert hint is None or "YYYY" not in hint.text


def test_the_error_summary_links_each_field_that_needs_attention(editor_client, session):
    asset = _drone(session)
    data = _edit(editor_client, asset, quantity_low="many", quantity_high="-3")
    response = editor_client.post(f"/assets/{asset.id}/edit", data=data)
    assert response.status_code == 422
    summary = soup(response).select_one("#row-form .problems")
    links = {a["href"]: a.text for a in summary.select("li a")}
    assert set(links) >= {"#f-quantity_low", "#f-quantity_high"}
    assert "Enter a whole number" in summary.text
    page = soup(response)
    assert all(page.select_one(href) for href in links)
