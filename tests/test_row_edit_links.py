"""An "Edit" link on every row of every list table, for signed-in editors only, never on a
past date; and the page cache never hands one reader's page to another."""

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.db import get_session
from app.plan.kinds import KINDS
from app.web.factory import create_app
from tests.conftest import sign_in
from tests.factories import make_user
from tests.html import soup

TABLE_KINDS = [k.slug for k in KINDS.values() if k.listing == "rows/_table.html"]


def _edit_links(response) -> list:
    return soup(response).select("#results table a.edit-row")


@pytest.mark.parametrize("slug", TABLE_KINDS)
def test_editors_get_an_edit_link_per_row_named_by_the_row(slug, editor_client):
    page = editor_client.get(f"/{slug}")
    rows = soup(page).select("#results table tbody tr")
    links = _edit_links(page)
    assert rows and len(links) == len(rows)
    for row, link in zip(rows, links, strict=True):
        shown = row.select_one(f"a[href^='/{slug}/']:not(.edit-row)")
        row_id = shown["href"].rsplit("/", 1)[1]
        assert link["href"] == f"/{slug}/{row_id}/edit"
        # Seen as "Edit"; heard as "Edit <the row's title>".
        assert link.select_one(".visually-hidden").text.strip() == shown.text.strip()
        assert link.get_text(" ", strip=True) == f"Edit {shown.text.strip()}"
    assert editor_client.get(links[0]["href"]).status_code == 200


def test_events_have_an_edit_link_in_the_timeline(editor_client):
    page = soup(editor_client.get("/events"))
    items = page.select("ol.timeline > li")
    links = page.select("ol.timeline a.edit-row")
    assert items and len(links) == len(items)


def test_readers_and_viewers_get_no_edit_links(client, viewer_client):
    for http in (client, viewer_client):
        for slug in [*TABLE_KINDS, "events"]:
            page = http.get(f"/{slug}")
            assert soup(page).select("#results table tbody tr, ol.timeline > li"), slug
            assert not soup(page).select("a.edit-row"), slug


def test_no_edit_link_on_a_past_date(editor_client):
    page = editor_client.get("/assets?as_of=2025-02-22")
    assert soup(page).select("#results table tbody tr")
    assert not _edit_links(page)
    assert not soup(editor_client.get("/events?as_of=2025-02-22")).select("a.edit-row")


def test_the_htmx_fragment_carries_them_too(editor_client):
    fragment = editor_client.get("/assets?asset_type=drone", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert soup(fragment).select("table tbody tr a.edit-row")


def test_the_cache_never_gives_an_editors_page_to_a_reader_or_back(client, editor_client):
    url = "/sites?sort=name"
    for _ in range(2):  # the second time from the cache
        editors = editor_client.get(url)
        assert _edit_links(editors) and "etag" not in editors.headers
        assert "private" in editors.headers["cache-control"]
        readers = client.get(url)
        assert not soup(readers).select("a.edit-row") and "etag" in readers.headers
        assert _edit_links(editor_client.get(url, headers={
            "If-None-Match": readers.headers["etag"]}))


def test_a_page_for_someone_signed_in_is_never_kept_even_if_its_cookie_is_not_known(
        monkeypatch, session):
    # Were the session cookie missing from PRIVATE_COOKIES, the cache would take a signed-in
    # request for a public one: the page's own `private` keeps it out of the cache.
    monkeypatch.setenv("PRIVATE_COOKIES", "[]")
    get_settings.cache_clear()
    try:
        app = create_app()
    finally:
        get_settings.cache_clear()
    app.dependency_overrides[get_session] = lambda: session
    make_user(session, "ed")
    with TestClient(app) as editor, TestClient(app) as reader:
        sign_in(editor, "ed")
        assert _edit_links(editor.get("/sites"))
        page = reader.get("/sites")
        assert page.status_code == 200 and not soup(page).select("a.edit-row")
