"""The import's template and column guide: an example row from the plan itself, refused if
uploaded unchanged; every column with what it takes, vocabularies listing their values."""

import csv
import io

import pytest
from sqlalchemy import select

from app.editing import imports
from app.plan.kinds import KINDS
from app.plan.models import Citation
from app.plan.vocab import AssetType, Posture, SiteKind
from tests.html import soup


def _template(client, slug) -> list[dict[str, str]]:
    response = client.get(f"/admin/import/{slug}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("slug", imports.IMPORTABLE)
def test_the_template_holds_one_example_row_from_the_plan(slug, editor_client, session):
    rows = _template(editor_client, slug)
    assert len(rows) == 1
    example = rows[0]
    assert list(example) == imports.columns(KINDS[slug])
    assert example["source_id"] and example["quote"]
    # The example is a real row of the plan, its quote one of the row's citations.
    model = KINDS[slug].model

    def shown(row, name):
        value = getattr(row, name, None)
        return "" if value is None or isinstance(value, list) else str(value)

    same = [row for row in session.scalars(select(model))
            if all(example[n] == shown(row, n) for n in example
                   if hasattr(row, n) and not isinstance(getattr(row, n), list))]
    assert len(same) >= 1
    quoted = session.scalars(select(Citation.quote).where(
        Citation.subject_type == KINDS[slug].subject_type, Citation.subject_id == same[0].id))
    assert example["quote"] in quoted.all()


def _upload(client, text, slug):
    return client.post("/admin/import", data={"kind": slug},
                       files={"file": (f"{slug}.csv", text.encode(), "text/csv")})


@pytest.mark.parametrize("slug", imports.IMPORTABLE)
def test_the_example_uploaded_unchanged_is_refused_saying_so(slug, editor_client):
    text = editor_client.get(f"/admin/import/{slug}.csv").text
    preview = _upload(editor_client, text, slug)
    assert preview.status_code == 422
    row = soup(preview).select_one("tbody tr")
    assert "the template's example" in row.text
    assert not soup(preview).select("form[action='/admin/import/confirm']")


def test_the_example_changed_is_an_ordinary_row(editor_client):
    rows = _template(editor_client, "assets")
    rows[0]["country_code"] = "NL"
    rows[0]["role"] = "Dutch drones for monitoring"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    preview = _upload(editor_client, buffer.getvalue(), "assets")
    assert preview.status_code == 200, soup(preview).select_one("tbody").text
    assert "all valid" in preview.text


def test_the_import_page_lists_every_column_and_the_allowed_values(editor_client):
    page = soup(editor_client.get("/admin/import?kind=assets"))
    guide = page.select_one("#columns-assets")
    assert guide is not None and guide.has_attr("open")  # the chosen kind's guide is open
    rows = {tr.select_one("th code").text: tr for tr in guide.select("tbody tr")}
    assert list(rows) == imports.columns(KINDS["assets"])
    for member in AssetType:
        assert member.value in rows["asset_type"].text
    assert "On standby" in rows["posture"].text and Posture.MONITORING.value in rows["posture"].text
    assert "ISO 3166-1" in rows["country_code"].text
    assert "required" in rows["source_id"].text.lower()
    # ... and says that labels and case do not matter.
    assert "any case" in page.select_one("section[aria-labelledby=columns-h]").text
    sites = page.select_one("#columns-sites")
    assert not sites.has_attr("open")
    assert all(m.value in sites.text for m in SiteKind)
    template_links = {a["href"] for a in page.select("a[href$='.csv']")}
    assert {f"/admin/import/{s}.csv" for s in imports.IMPORTABLE} <= template_links
