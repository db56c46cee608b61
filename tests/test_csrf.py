"""The CSRF check: the token is taken from a form field or a header, bound to the session,
leaves the body readable by the route, and does not apply to bearer-token requests."""

from sqlalchemy import func, select

from app.accounts import users
from app.plan.records import ApiToken, User
from app.plan.vocab import Role
from tests.conftest import csrf_token_of, sign_in
from tests.factories import make_user
from tests.html import soup

NEW_USER = {"username": "carol", "role": "editor", "password": "long enough password",
            "password_confirm": "long enough password"}


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_form_field_is_enough_without_javascript(admin_client, session):
    token = admin_client.headers.pop("X-CSRF-Token")
    response = admin_client.post("/admin/users", data={**NEW_USER, "csrf_token": token},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert session.scalar(select(User).where(User.username == "carol")).role == Role.EDITOR


def test_header_is_enough_for_htmx(admin_client, session):
    response = admin_client.post("/admin/users", data=NEW_USER, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    assert session.scalar(select(User).where(User.username == "carol"))


def test_multipart_body_still_reaches_the_route(editor_client, session):
    token = editor_client.headers.pop("X-CSRF-Token")
    response = editor_client.post(
        "/account/tokens", data={"name": "uploader", "csrf_token": token},
        files={"file": ("rows.csv", b"a,b\n1,2\n" * 1000, "text/csv")})
    assert response.status_code == 200, response.text
    assert session.scalar(select(ApiToken.name)) == "uploader"


def test_a_token_from_another_session_is_refused(admin_client, new_client, session):
    make_user(session, "mallory", role=Role.ADMIN)
    other = new_client()
    other_token = sign_in(other, "mallory")
    before = _users(session)
    response = admin_client.post("/admin/users", data={**NEW_USER, "csrf_token": other_token},
                                 headers={"X-CSRF-Token": other_token})
    assert response.status_code == 403
    assert _users(session) == before


def test_refusal_is_a_page_for_browsers_and_json_for_the_api(client):
    page = client.post("/logout", data={})
    assert page.status_code == 403 and "expired" in soup(page).select_one("main").text
    api = client.post("/api/v1/assets", json={})
    assert api.status_code == 403 and api.json() == {"detail": "CSRF token missing or wrong."}


def test_anonymous_sign_in_needs_the_token_too(client, session):
    make_user(session, "alice")
    response = client.post("/login", data={"username": "alice", "password": "x" * 12})
    assert response.status_code == 403
    csrf_token_of(client)  # the form gives the session a token; now a post may go through
    response = client.post("/login", data={"username": "alice", "password": "x" * 12,
                                           "csrf_token": csrf_token_of(client)})
    assert response.status_code == 401


def test_bearer_requests_need_no_csrf_token(client, session):
    editor = make_user(session, "robot", role=Role.EDITOR)
    _, value = users.create_token(session, editor, users.TokenInput(name="ci"))
    response = client.post("/account/tokens", data={"name": "from a script"},
                           headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 200
    assert "from a script" in response.text


def test_a_bad_bearer_token_does_not_fall_back_to_the_cookie(editor_client):
    # Otherwise a forged request could add any Authorization header and skip the check.
    response = editor_client.post("/account/tokens", data={"name": "x"},
                                  headers={"Authorization": "Bearer pp_nonsense"})
    assert response.status_code == 401


def test_htmx_gets_refusals_as_fragments(viewer_client, client):
    # HTMX swaps a 4xx answer into the form's target: a fragment, not a page in a page.
    refused = viewer_client.post("/account/tokens", data={"name": "x"},
                                 headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "<html" not in refused.text
    assert "editor role" in refused.text
    no_token = client.post("/logout", headers={"HX-Request": "true"})
    assert no_token.status_code == 403 and "<html" not in no_token.text
