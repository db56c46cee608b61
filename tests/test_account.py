"""What a signed-in person finds in the header's account area, and changing one's own
password: the current one checked (and counted like a sign-in), the new one twice and as
strong as anywhere, other sessions ended, this one kept."""

import pytest
from sqlalchemy import select

from app.accounts import throttle
from app.plan.records import SignInThrottle, User, UserSession
from app.plan.vocab import Role
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_user
from tests.html import soup

EDITOR_LINKS = ("/admin/import", "/admin/changes")


def _account_links(client) -> set[str]:
    return {a["href"] for a in soup(client.get("/")).select("header .account a[href]")}


def test_editors_and_admins_find_the_import_and_the_change_log(editor_client, admin_client):
    for client in (editor_client, admin_client):
        links = _account_links(client)
        assert set(EDITOR_LINKS) <= links, links
        for url in EDITOR_LINKS:
            assert client.get(url).status_code == 200, url


def test_viewers_and_readers_see_no_editor_links(client, viewer_client):
    assert not set(EDITOR_LINKS) & _account_links(viewer_client)
    assert not set(EDITOR_LINKS) & _account_links(client)
    for url in EDITOR_LINKS:
        assert viewer_client.get(url).status_code == 403
    assert "/account/password" not in _account_links(client)


def test_the_header_links_the_password_page_for_everyone_signed_in(viewer_client,
                                                                   editor_client):
    for http in (viewer_client, editor_client):
        assert "/account/password" in _account_links(http)
        page = http.get("/account/password")
        assert page.status_code == 200
        current = soup(page).select_one("header .account a[aria-current=page]")
        assert current["href"] == "/account/password"


def _change(client, current=PASSWORD, new="a brand new passphrase", confirm=None, **extra):
    return client.post("/account/password", follow_redirects=False, data={
        "current_password": current, "password": new,
        "password_confirm": new if confirm is None else confirm,
        "csrf_token": client.csrf_token, **extra})


def _errors(response) -> dict[str, str]:
    html = soup(response)
    return {e["id"].removeprefix("pw-").removesuffix("-error"): e.text.strip()
            for e in html.select("p.error[id]")}


def test_a_new_password_signs_out_other_sessions_and_keeps_this_one(new_client, session):
    make_user(session, "alice", role=Role.VIEWER)
    laptop, phone = new_client(), new_client()
    sign_in(laptop, "alice")
    sign_in(phone, "alice")
    response = _change(laptop)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password"
    page = laptop.get("/account/password")
    assert soup(page).select_one("#signed-in-user").text == "alice"
    assert "password is changed" in soup(page).select_one(".notice").text
    assert soup(phone.get("/")).select_one("#signed-in-user") is None
    # On the server too: only the new session of this browser is left.
    live = session.scalars(select(UserSession.id).join(User, User.id == UserSession.user_id)
                           .where(UserSession.ended_at.is_(None), User.username == "alice"))
    assert len(live.all()) == 1
    # The new password signs in; the old does not.
    other = new_client()
    sign_in(other, "alice", "a brand new passphrase")
    refused = new_client()
    with pytest.raises(AssertionError):
        sign_in(refused, "alice", PASSWORD)


def test_this_browser_keeps_working_with_a_new_csrf_token(editor_client):
    before = editor_client.csrf_token
    assert _change(editor_client).status_code == 303
    page = soup(editor_client.get("/account/password"))
    after = page.select_one("input[name=csrf_token]")["value"]
    assert after != before  # a fresh session: the old token leaves with the old session
    editor_client.headers["X-CSRF-Token"] = after
    assert editor_client.post("/account/tokens", data={"name": "after"}).status_code == 200


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"confirm": "something else entirely"}, "password_confirm", "The two passwords differ."),
    ({"new": "short", "confirm": "short"}, "password", "Use at least 10 characters."),
    ({"new": "", "confirm": ""}, "password", "Use at least 10 characters."),
    ({"current": ""}, "current_password", "This field is required."),
])
def test_bad_input_is_shown_next_to_its_field(editor_client, session, fields, field, message):
    response = _change(editor_client, **fields)
    assert response.status_code == 422
    assert _errors(response).get(field) == message, _errors(response)
    html = soup(response)
    assert html.select_one(f"#pw-{field}")["aria-invalid"] == "true"
    # Password fields are never sent back, typed or not.
    assert all(not i.get("value") for i in html.select("input[type=password]"))
    assert soup(editor_client.get("/")).select_one("#signed-in-user").text == "editor"


def test_the_same_password_again_is_refused(editor_client):
    response = _change(editor_client, new=PASSWORD)
    assert response.status_code == 422
    assert "differ from the current" in _errors(response)["password"]


def test_a_wrong_current_password_changes_nothing_and_is_counted(editor_client, session):
    response = _change(editor_client, current="not my password at all")
    assert response.status_code == 422
    assert _errors(response)["current_password"] == "This is not your current password."
    counted = session.scalar(select(SignInThrottle.failures).where(
        SignInThrottle.scope == throttle.NAME, SignInThrottle.subject == "editor"))
    assert counted == 1
    assert soup(editor_client.get("/")).select_one("#signed-in-user").text == "editor"


def test_guessing_the_current_password_is_locked_like_signing_in(editor_client, session):
    for _ in range(throttle.FREE[throttle.PAIR]):
        _change(editor_client, current="a wrong guess here")
    locked = _change(editor_client)  # even the right one now waits
    assert locked.status_code == 429
    assert "Too many failed" in _errors(locked)["current_password"]
    assert soup(editor_client.get("/")).select_one("#signed-in-user").text == "editor"


def test_changing_a_password_needs_the_csrf_token_and_a_session(client, editor_client):
    editor_client.headers.pop("X-CSRF-Token")
    response = _change(editor_client, csrf_token="forged")
    assert response.status_code == 403
    assert client.get("/account/password", follow_redirects=False).status_code == 303


def test_an_api_token_cannot_change_its_owners_password(client, session):
    from app.accounts import users
    owner = make_user(session, "scripted", role=Role.EDITOR)
    _, value = users.create_token(session, owner, users.TokenInput(name="script"))
    response = client.post("/account/password", headers={"Authorization": f"Bearer {value}"},
                           data={"current_password": PASSWORD, "password": "another passphrase",
                                 "password_confirm": "another passphrase"})
    assert response.status_code == 403
    session.refresh(owner)
    assert users._hasher().verify(PASSWORD, owner.password_hash)
