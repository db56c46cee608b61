"""Every write route of the app, found by walking the app's routes (so routes added later are
covered without listing them), refuses anonymous requests, viewers and requests without a
valid CSRF token, and changes nothing in the database when it refuses."""

import hashlib

import pytest
from fastapi import APIRouter, routing
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.accounts import users
from app.db import get_session
from app.main import create_app
from app.plan.models import Base
from app.plan.records import User
from app.plan.vocab import Role
from tests.conftest import csrf_token_of, sign_in
from tests.factories import make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Writes open to anyone by design; everything else needs a role. Keep this list short.
PUBLIC = {("POST", "/login"), ("POST", "/logout")}
# Writes any signed-in account makes on itself, whatever its role.
OWN_ACCOUNT = {("POST", "/account/sessions/end"), ("POST", "/account/password"),
               # Alerts are about reading: any account may watch, for itself alone.
               ("POST", "/account/alerts"), ("POST", "/account/alerts/feed/rotate"),
               ("POST", "/account/alerts/{sub_id}/stop"), ("POST", "/account/alerts/{sub_id}/test"),
               ("POST", "/api/v1/subscriptions"), ("DELETE", "/api/v1/subscriptions/{sub_id}")}
# Writes any signed-in account makes on its own saved views (tests/test_views.py holds
# them to their owner).
OWN_VIEWS = {("POST", "/views"), ("POST", "/views/{slug}/edit"), ("POST", "/views/{slug}/delete"),
             ("POST", "/api/v1/views"), ("PATCH", "/api/v1/views/{slug}"),
             ("DELETE", "/api/v1/views/{slug}")}


def _route_contexts(routes):
    # FastAPI 0.16x keeps included routers as nodes; older versions flatten them.
    walk = getattr(routing, "iter_route_contexts", None)
    return list(walk(routes)) if walk else list(routes)


def write_routes(app=None) -> list[tuple[str, str]]:
    found = set()
    for route in _route_contexts((app or create_app()).routes):
        for method in (getattr(route, "methods", None) or set()) & UNSAFE:
            found.add((method, route.path))
    return sorted(found)


WRITES = write_routes()
PROTECTED = [w for w in WRITES if w not in PUBLIC]


def url_for(path: str, ids: dict[str, str]) -> str:
    """A concrete URL: every path parameter filled with an id that exists."""
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        name = out[start + 1 : end].split(":")[0]
        out = out[:start] + ids.get(name, "1") + out[end + 1 :]
    return out


#: Tables no route writes, or that only grow: their size and last id tell any change.
APPEND_ONLY = {"country", "change", "revision"}


def fingerprint(session) -> str:
    """A digest of every row of every table: any insert, update or delete changes it."""
    session.expire_all()
    digest = hashlib.sha256()
    conn = session.connection()
    for table in Base.metadata.sorted_tables:
        order = ", ".join(c.name for c in table.primary_key.columns) or "1"
        if table.name in APPEND_ONLY:
            query = f"SELECT count(*), max({order}) FROM {table.name}"
        else:
            query = f"SELECT * FROM {table.name} ORDER BY {order}"
        for row in conn.execute(text(query)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def ids(session) -> dict[str, str]:
    """Ids of rows that exist, by parameter name, so a route that checked too late
    would find something to change."""
    admin = make_user(session, "someadmin", role=Role.ADMIN)
    token, _ = users.create_token(session, admin, users.TokenInput(name="script"))
    return {"user_id": str(admin.id), "token_id": str(token.id), "row_id": "1", "id": "1"}


def test_the_walk_finds_the_write_routes():
    assert ("POST", "/admin/users") in WRITES and ("POST", "/account/tokens") in WRITES
    assert set(PUBLIC) <= set(WRITES)


def test_a_route_added_later_is_covered_without_asking(session):
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    router = APIRouter()
    calls = []

    @router.post("/later/{thing_id}")
    def added_later(thing_id: int):
        calls.append(thing_id)
        return {}

    app.include_router(router)
    # The walk sees it, so the role tests above would run against it...
    assert ("POST", "/later/{thing_id}") in write_routes(app)
    # ...and the CSRF check stops it before it runs, with no code of its own.
    with TestClient(app) as http:
        assert http.post("/later/1", data={"x": "y"}).status_code == 403
        assert http.post("/later/1", json={}).status_code == 403
    assert calls == []


def _attempt(client, method, url, token=None):
    data = {"csrf_token": token} if token else {"name": "x"}
    if method == "DELETE":
        return client.request(method, url, headers={"X-CSRF-Token": token or ""})
    return client.request(method, url, data=data, follow_redirects=False)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_write_route_refuses_and_changes_nothing(new_client, session, ids, method, path):
    """Anonymous (401), a viewer's session or API token (403), and an admin without a
    valid CSRF token (403): each refused, the database untouched."""
    url = url_for(path, ids)
    before = fingerprint(session)
    protected = (method, path) not in PUBLIC
    if protected:
        anonymous = new_client()
        token = csrf_token_of(anonymous)  # a valid token: only the missing sign-in is wrong
        response = _attempt(anonymous, method, url, token)
        assert response.status_code == 401, response.text

    if protected and (method, path) not in OWN_ACCOUNT | OWN_VIEWS:
        make_user(session, "robot", role=Role.VIEWER)
        viewer = new_client()
        sign_in(viewer, "robot")
        response = _attempt(viewer, method, url, viewer.csrf_token)
        assert response.status_code == 403, response.text
        robot = session.scalar(select(User).where(User.username == "robot"))
        _, value = users.create_token(session, robot, users.TokenInput(name="script"))
        bearer = {"Authorization": f"Bearer {value}"}
        new_client().get("/api/v1/assets", headers=bearer)  # its last use, noted once a minute
        before = fingerprint(session)
        response = new_client().request(method, url, json={}, headers=bearer)
        assert response.status_code == 403, response.text
        assert fingerprint(session) == before

    make_user(session, "boss", role=Role.ADMIN)
    admin = new_client()
    sign_in(admin, "boss")
    admin.headers.pop("X-CSRF-Token")
    before = fingerprint(session)
    for token in (None, "", "wrong-token"):
        if token is None:
            response = admin.request(method, url, data={"name": "x", "username": "boss"},
                                     follow_redirects=False)
        else:
            response = admin.request(method, url, data={"csrf_token": token, "name": "x"},
                                     headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert response.status_code == 403, (token, response.text)
    assert fingerprint(session) == before
    # Still signed in: the refusal ended nothing.
    assert session.scalar(select(User.active).where(User.username == "boss"))


ADMIN_PAGES = sorted(
    route.path for route in _route_contexts(create_app().routes)
    if "GET" in (getattr(route, "methods", None) or set()) and route.path.startswith("/admin")
)


def test_the_walk_finds_the_admin_pages():
    assert "/admin/users" in ADMIN_PAGES and "/admin/users/{user_id}" in ADMIN_PAGES


#: Pages under /admin that editors use too: the import and the change log.
EDITOR_PAGES = {"/admin/changes", "/admin/import", "/admin/import/{slug}.csv"}


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_admin_page_needs_an_admin(client, viewer_client, editor_client, ids, path):
    url = url_for(path, ids)
    response = client.get(url, follow_redirects=False)
    if url.endswith(".csv"):  # a download, not a page: no sign-in form to send it to
        assert response.status_code == 401
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/admin")
    assert viewer_client.get(url).status_code == 403
    url = url.replace("/admin/import/1.csv", "/admin/import/assets.csv")  # a real kind
    assert editor_client.get(url).status_code == (200 if path in EDITOR_PAGES else 403)
