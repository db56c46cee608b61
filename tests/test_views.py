"""Saved views: saving a page's filter under a name, who sees it (private, public, after a
rename or a delete), its page and its API."""

import pytest
from sqlalchemy import select

from app.accounts import users
from app.caching import stamp
from app.following import views
from app.plan.records import SavedView, SavedViewAlias
from app.plan.vocab import Role
from tests.conftest import csrf_token_of, sign_in
from tests.factories import make_user
from tests.html import result_ids, soup


@pytest.fixture
def alice(new_client, session):
    """A viewer (any role may save views), signed in."""
    make_user(session, "alice", role=Role.VIEWER)
    client = new_client()
    sign_in(client, "alice")
    return client


@pytest.fixture
def bob(new_client, session):
    make_user(session, "bob", role=Role.EDITOR)
    client = new_client()
    sign_in(client, "bob")
    return client


def save(client, name, path, public=False):
    """Save through the page's own form, as a browser without JavaScript does."""
    page = soup(client.get(path))
    form = page.select_one("details.save-view form")
    assert form is not None, f"no Save this view control on {path}"
    data = {"csrf_token": form.select_one("[name=csrf_token]")["value"],
            "path": form.select_one("[name=path]")["value"], "name": name}
    if public:
        data["public"] = "1"
    response = client.post(form["action"], data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# --- Saving and showing ---


@pytest.mark.parametrize("path", ["/assets?country=US&asset_type=fighter_jet",
                                  "/sites?kind=port", "/stakeholders?country=US"])
def test_a_saved_list_shows_its_filter_under_its_name(path, alice, client):
    address = save(alice, "US fighter jets", path)
    assert address == "/views/us-fighter-jets"
    view = alice.get(address)
    assert view.status_code == 200
    page = soup(view)
    assert page.h1.get_text(strip=True) == "US fighter jets"
    slug = path.split("?")[0].strip("/")
    assert result_ids(view, slug) == result_ids(client.get(path), slug)
    assert result_ids(view, slug) != result_ids(client.get(f"/{slug}"), slug)
    # Its own controls stay on its address, and change the filter there.
    assert page.select_one("form#filters")["action"] == address
    assert page.select_one("form#filters")["hx-get"] == address
    assert "Save this view" in view.text
    assert view.headers["cache-control"] == "private, no-cache"


def test_a_view_filter_changed_on_its_page_says_so(alice, client):
    address = save(alice, "Drones", "/assets?asset_type=drone")
    changed = alice.get(address + "?asset_type=fighter_jet", headers={"HX-Request": "true"})
    assert "<html" not in changed.text
    assert result_ids(changed, "assets") == result_ids(client.get("/assets?asset_type=fighter_jet"),
                                                       "assets")
    note = soup(changed).select_one(".view-changed")
    assert note.a["href"] == address
    # The form to save sends the filter now shown, not the one of the first page load.
    path = soup(changed).select_one("#save-view-path[hx-swap-oob]")["value"]
    assert path == "/assets?asset_type=fighter_jet"
    cleared = alice.get(address + "?q=")
    assert result_ids(cleared, "assets") == result_ids(client.get("/assets"), "assets")


@pytest.mark.parametrize("path", ["/?country=FR", "/map?country=UA&kind=port", "/brief?country=GB"])
def test_overview_map_and_brief_can_be_saved(path, alice, client):
    address = save(alice, "A page", path)
    view = alice.get(address)
    assert view.status_code == 200
    assert "A page" in soup(view).h1.get_text()
    if path.startswith("/map"):
        assert result_ids(view, "sites") == result_ids(client.get(path), "sites")
    else:
        # Narrowed as the page is: the same headline panels and tables.
        shown = soup(view).select(".panel table, .brief table")
        expected = soup(client.get(path)).select(".panel table, .brief table")
        assert [t.get_text(" ", strip=True) for t in shown] == [
            t.get_text(" ", strip=True) for t in expected]


def test_the_save_control_is_for_signed_in_readers_only(client, alice):
    for path in ["/", "/assets", "/map", "/brief"]:
        anonymous = client.get(path)
        assert soup(anonymous).select_one("details.save-view") is None
        assert "private" not in anonymous.headers.get("cache-control", "")
        assert soup(alice.get(path)).select_one("details.save-view") is not None
    # Nor on a page of the past: a view follows the present.
    assert soup(alice.get("/assets?as_of=2025-02-21")).select_one("details.save-view") is None


def test_a_refused_name_or_address_comes_back_with_the_reason(alice):
    response = alice.post("/views", data={"csrf_token": alice.csrf_token, "name": " ",
                                          "path": "https://evil.example/assets"})
    assert response.status_code == 422
    page = soup(response)
    assert "name" in page.select_one("#view-name-error").get_text()
    assert "without a scheme or host" in page.select_one("#view-path-error").get_text()
    assert page.select_one("#view-path")["value"] == "https://evil.example/assets"


def test_saving_needs_the_csrf_token_and_an_account(client, alice, session):
    token = csrf_token_of(client)  # a valid token: only the missing sign-in is wrong
    assert client.post("/views", data={"name": "x", "path": "/assets", "csrf_token": token},
                       follow_redirects=False).status_code == 401
    alice.headers.pop("X-CSRF-Token")
    assert alice.post("/views", data={"name": "x", "path": "/assets"}).status_code == 403
    assert session.scalar(select(SavedView.id)) is None


# --- Who sees what ---


def test_private_views_are_hidden_from_everyone_else(alice, bob, client, new_client, session):
    address = save(alice, "My drones", "/assets?asset_type=drone")
    assert alice.get(address).status_code == 200
    for other in (bob, client):
        missing = other.get(address)
        assert missing.status_code == 404
        assert "My drones" not in missing.text
        assert "My drones" not in other.get("/views").text
        assert "my-drones" not in other.get("/api/v1/views").text
        assert other.get("/api/v1/views/my-drones").status_code == 404
    assert "My drones" in alice.get("/views").text
    assert [v["slug"] for v in alice.get("/api/v1/views").json()["items"]] == ["my-drones"]
    make_user(session, "root", role=Role.ADMIN)
    admin = new_client()
    sign_in(admin, "root")
    assert admin.get(address).status_code == 200


def test_public_views_are_listed_for_everyone(alice, client, session):
    before = stamp.current(session)
    assert soup(client.get("/")).select_one("#h-views") is None
    address = save(alice, "French part", "/?country=FR", public=True)
    overview = soup(client.get("/"))
    assert [a["href"] for a in overview.select(".public-views li a")] == [address]
    assert client.get(address).status_code == 200
    listed = client.get("/api/v1/views").json()["items"]
    assert [(v["slug"], v["public"], v["owner"]) for v in listed] == [
        ("french-part", True, "alice")]
    # A view is not plan data: the data keeps the time it was last edited.
    after = stamp.current(session)
    assert after.number > before.number and after.updated_at == before.updated_at


def test_a_rename_keeps_the_old_address_and_its_privacy(alice, bob, client, session):
    old = save(alice, "Ports", "/sites?kind=port")
    page = soup(alice.get(old + "/edit"))
    assert page.select_one("#view-name")["value"] == "Ports"
    response = alice.post(old + "/edit", data={"csrf_token": alice.csrf_token,
                                               "name": "Black Sea ports"},
                          follow_redirects=False)
    assert response.headers["location"] == "/views/black-sea-ports"
    moved = alice.get(old + "?kind=city", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == "/views/black-sea-ports?kind=city"
    assert soup(alice.get(old)).h1.get_text(strip=True) == "Black Sea ports"
    # Still private: its old address tells a stranger nothing either.
    assert bob.get(old).status_code == 404
    assert client.get("/views/black-sea-ports").status_code == 404
    # Public once shared.
    alice.post("/views/black-sea-ports/edit", data={"csrf_token": alice.csrf_token,
                                                    "name": "Black Sea ports", "public": "1"})
    assert client.get(old, follow_redirects=False).status_code == 301
    assert client.get("/views/black-sea-ports").status_code == 200
    # Renamed back, it takes its first slug again, which is no longer an alias.
    alice.post("/views/black-sea-ports/edit", data={"csrf_token": alice.csrf_token,
                                                    "name": "Ports", "public": "1"})
    assert client.get(old).status_code == 200
    aliases = session.scalars(select(SavedViewAlias.slug)).all()
    assert aliases == ["black-sea-ports"]


def test_only_the_owner_or_an_admin_changes_a_view(alice, bob, client):
    address = save(alice, "Shared", "/assets", public=True)
    for who in (bob,):
        assert who.get(address + "/edit").status_code == 403
        assert who.post(address + "/edit", data={"csrf_token": who.csrf_token,
                                                 "name": "Mine now"}).status_code == 403
        assert who.post(address + "/delete",
                        data={"csrf_token": who.csrf_token}).status_code == 403
    token = csrf_token_of(client)
    assert client.post(address + "/delete", data={"csrf_token": token},
                       follow_redirects=False).status_code == 401
    assert alice.get(address).status_code == 200
    assert soup(client.get(address)).h1.get_text(strip=True) == "Shared"


def test_a_deleted_view_answers_410(alice, bob, client):
    shared = save(alice, "Shared", "/assets", public=True)
    private = save(alice, "Private", "/assets?country=US")
    for address in (shared, private):
        response = alice.post(address + "/delete", data={"csrf_token": alice.csrf_token},
                              follow_redirects=False)
        assert response.headers["location"] == "/views"
    gone = client.get(shared)
    assert gone.status_code == 410
    assert "was deleted" in gone.text and "/assets" in gone.text
    # The page it showed is a link away.
    assert soup(gone).select_one("main a[href='/assets']") is not None
    assert soup(alice.get(private)).select_one("main a[href='/assets?country=US']") is not None
    assert alice.get(private).status_code == 410
    assert bob.get(private).status_code == 404  # never told it existed
    assert client.get("/api/v1/views/shared").status_code == 410
    # Its name is free again, but not its address.
    assert save(alice, "Shared", "/sites") == "/views/shared-2"


# --- The API ---


def _token(session, name):
    user = make_user(session, name, role=Role.VIEWER)
    _, value = users.create_token(session, user, users.TokenInput(name="script"))
    return {"Authorization": f"Bearer {value}"}


def test_the_api_saves_renames_and_deletes_with_a_token(client, session):
    token = _token(session, "carol")
    created = client.post("/api/v1/views", headers=token, json={
        "name": "US jets", "path": "/assets?asset_type=fighter_jet&country=us"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["slug"], body["html_url"]) == ("us-jets", "/views/us-jets")
    assert created.headers["location"] == "/api/v1/views/us-jets"
    assert body["path"] == "/assets?country=US&asset_type=fighter_jet"
    assert (body["page"], body["filters"]) == (
        "/assets", {"country": ["US"], "asset_type": ["fighter_jet"]})
    assert body["public"] is False
    assert client.get("/api/v1/views/us-jets").status_code == 404  # private
    assert client.get("/api/v1/views/us-jets", headers=token).json() == body

    renamed = client.patch("/api/v1/views/us-jets", headers=token,
                           json={"name": "American jets", "public": True})
    assert renamed.status_code == 200
    assert (renamed.json()["slug"], renamed.json()["public"]) == ("american-jets", True)
    moved = client.get("/api/v1/views/us-jets", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/api/v1/views/american-jets")
    assert client.get("/api/v1/views/us-jets").json()["name"] == "American jets"

    other = _token(session, "dave")
    assert client.patch("/api/v1/views/american-jets", headers=other,
                        json={"name": "x"}).status_code == 403
    assert client.delete("/api/v1/views/american-jets", headers=other).status_code == 403
    # Anonymous, without a token: refused (no CSRF token either), and the view stays.
    assert client.delete("/api/v1/views/american-jets").status_code == 403
    assert client.get("/api/v1/views/american-jets").status_code == 200
    assert client.delete("/api/v1/views/american-jets", headers=token).status_code == 204
    assert client.get("/api/v1/views/american-jets").status_code == 410
    assert client.get("/views/us-jets").status_code == 410


@pytest.mark.parametrize("path, message", [
    ("https://evil.example/assets", "without a scheme or host"),
    ("//evil.example/assets", "without a scheme or host"),
    ("assets", "starting with /"),
    ("/admin/users", "not a page a view can show"),
    ("/assets/1", "not a page a view can show"),
    ("/assets?country=XX", "country"),
    ("/assets?asset_type=tank", "asset_type"),
    ("/assets?colour=red", "takes no 'colour'"),
    ("/assets?as_of=2025-02-21", "remove as_of"),
    ("/assets#top", "fragment"),
    ("", "give the address"),
])
def test_the_api_refuses_addresses_that_are_not_a_filtered_page(path, message, client, session):
    response = client.post("/api/v1/views", headers=_token(session, "erin"),
                           json={"name": "Bad", "path": path})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "path"]
    assert message in problem["msg"]
    assert session.scalar(select(SavedView.id)) is None


def test_resolve_gives_a_view_its_page_and_parsed_filter(alice, session):
    save(alice, "Ports", "/map?kind=port&country=ua")
    alice.post("/views/ports/edit", data={"csrf_token": alice.csrf_token, "name": "Harbours"})
    view = views.resolve(session, "ports")
    assert view.slug == "harbours"
    page = views.target(view)
    assert (page.page, page.kind.slug) == ("/map", "sites")
    assert (page.filters.country, [k.value for k in page.filters.kind]) == (["UA"], ["port"])
    alice.post("/views/harbours/delete", data={"csrf_token": alice.csrf_token})
    assert views.resolve(session, "harbours") is None


def test_a_view_cites_the_page_it_shows(alice, client):
    address = save(alice, "Ports", "/sites?kind=port", public=True)
    box = soup(client.get(address)).select_one("#cite-this")
    assert "/sites?kind=port&as_of=" in box.select_one(".permalink a")["href"]
    assert "title = {{Ports}}" in box.select_one("pre.cite-code").get_text()


def test_an_admin_may_rename_anyones_view(alice, admin_client, client):
    address = save(alice, "Drones", "/assets?asset_type=drone")
    assert admin_client.get(address + "/edit").status_code == 200
    renamed = admin_client.post(address + "/edit", data={"csrf_token": admin_client.csrf_token,
                                                         "name": "All drones", "public": "1"},
                                follow_redirects=False)
    assert renamed.headers["location"] == "/views/all-drones"
    assert soup(client.get("/views/all-drones")).h1.get_text(strip=True) == "All drones"
    assert client.get("/api/v1/views/all-drones").json()["owner"] == "alice"


def test_a_view_shows_the_plan_as_of_a_date_like_its_page(alice, client, scripted):
    address = save(alice, "US assets", "/assets?country=US", public=True)
    past = client.get(address + "?as_of=2025-03-01")
    assert "The plan as it stood on" in past.text
    assert result_ids(past, "assets") == result_ids(
        client.get("/assets?country=US&as_of=2025-03-01"), "assets")
    sort = soup(past).select_one("#sort-quantity")["href"]
    assert sort.startswith(address + "?") and sort.endswith("as_of=2025-03-01")
