"""Sign-in, sign-out, the lockout after repeated failures, disabled accounts, and which
role sees which page."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.accounts import throttle, users
from app.config import get_settings
from app.db import get_session
from app.plan.models import utcnow
from app.plan.records import SignInThrottle, User
from app.plan.vocab import Role
from app.web.factory import create_app
from app.web.routes.auth import safe_next
from tests.conftest import APP_HASHER, csrf_token_of, sign_in
from tests.factories import PASSWORD, make_user
from tests.html import soup


def _login(client, username, password, **extra):
    data = {"username": username, "password": password, "csrf_token": csrf_token_of(client),
            **extra}
    return client.post("/login", data=data, follow_redirects=False)


def test_anonymous_header_offers_sign_in(client):
    page = soup(client.get("/assets?country=US"))
    link = page.select_one(".account a")
    assert link.text == "Sign in" and link["href"] == "/login?next=/assets%3Fcountry%3DUS"
    assert page.select_one("form[action='/logout']") is None
    # An anonymous page sets no cookie: nothing to sign until a form needs a token.
    assert "set-cookie" not in client.get("/assets").headers


def test_sign_in_shows_name_role_and_sign_out(client, session):
    make_user(session, "alice", role=Role.EDITOR)
    response = _login(client, "Alice", PASSWORD, next="/sites")
    assert response.status_code == 303 and response.headers["location"] == "/sites"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "peaceplan_session=" in cookie
    page = soup(client.get("/sites"))
    assert page.select_one("#signed-in-user").text == "alice"
    assert page.select_one(".account .role").text == "Editor"
    assert "Signed in as alice." in page.select_one(".notice").text
    logout = page.select_one("form[action='/logout']")
    token = logout.select_one("input[name=csrf_token]")["value"]
    assert page.select_one("body")["hx-headers"] == f'{{"X-CSRF-Token": "{token}"}}'

    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = soup(client.get("/"))
    assert page.select_one("#signed-in-user") is None
    assert page.select_one(".account a").text == "Sign in"


def test_sign_in_starts_a_new_csrf_token(client, session):
    make_user(session, "alice")
    before = csrf_token_of(client)
    assert sign_in(client, "alice") != before


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_wrong_password_and_unknown_name_get_the_same_answer(client, session, username):
    make_user(session, "alice")
    response = _login(client, username, "not the password")
    assert response.status_code == 401
    page = soup(response)
    assert page.select_one(".problems").text.strip() == "The name or the password is wrong."
    assert page.select_one("input[name=username]")["value"] == username  # kept
    assert not page.select_one("input[name=password]").get("value")  # never echoed
    assert page.select_one("#signed-in-user") is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/sites?country=FR", "/sites?country=FR"), ("https://evil.example/", "/"),
     ("//evil.example/x", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
     ("", "/"), ("/ok\r\nSet-Cookie: x", "/")],
)
def test_next_goes_only_to_local_paths(target, expected):
    assert safe_next(target) == expected


def test_next_from_the_form_is_checked(client, session):
    make_user(session, "alice")
    response = _login(client, "alice", PASSWORD, next="https://evil.example/")
    assert response.headers["location"] == "/"


def _pair(session, name, address="testclient"):
    return session.get(SignInThrottle, (throttle.PAIR, f"{address} {name}"))


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_repeated_failures_lock_the_name_for_that_address(client, session, username):
    make_user(session, "alice")
    free = throttle.FREE[throttle.PAIR]
    for _ in range(free - 1):
        assert "is wrong" in _login(client, username, "wrong password").text
    response = _login(client, username, "wrong password")
    message = soup(response).select_one(".problems").text
    assert response.status_code == 401
    assert re.search(r"Too many failed sign-ins for this name from your network address\. "
                     r"Try again after \d\d:\d\d UTC \(in about 1 minute\)\.", message)
    # While locked, even the right password is refused from here, and says when to retry.
    response = _login(client, username, PASSWORD)
    assert "Try again after" in response.text and response.status_code == 401
    assert _pair(session, username).failures == free

    # Once the lockout has passed, the right password works and the pair is forgotten.
    session.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    if username == "alice":
        assert _login(client, "alice", PASSWORD).status_code == 303
        assert _pair(session, "alice") is None


def _from(app, address):
    """A client whose requests come from `address`, as seen through a trusted proxy."""
    return TestClient(app, headers={"X-Forwarded-For": address})


@pytest.fixture
def proxied_app(monkeypatch, session):
    """An app that believes the test client's X-Forwarded-For, as one behind a proxy does."""
    monkeypatch.setenv("TRUSTED_PROXIES", "testclient")
    get_settings.cache_clear()
    try:
        app = create_app()
    finally:
        get_settings.cache_clear()
    app.dependency_overrides[get_session] = lambda: session
    return app


def test_a_stranger_cannot_lock_the_owner_out(proxied_app, session):
    make_user(session, "alice")
    stranger, owner = _from(proxied_app, "203.0.113.7"), _from(proxied_app, "198.51.100.2")
    for _ in range(throttle.FREE[throttle.PAIR] + 2):
        response = _login(stranger, "alice", "wrong password")
    assert "Too many failed sign-ins" in response.text
    assert _login(stranger, "alice", PASSWORD).status_code == 401  # locked for the stranger
    assert _login(owner, "alice", PASSWORD).status_code == 303  # not for the owner
    assert _pair(session, "alice", "203.0.113.7").locked_until is not None


def test_an_address_spraying_names_is_locked_for_every_name(proxied_app, session):
    make_user(session, "alice")
    sprayer = _from(proxied_app, "203.0.113.9")
    for number in range(throttle.FREE[throttle.ADDRESS]):
        response = _login(sprayer, f"guess{number}", "wrong password")
    assert "Too many failed sign-ins from your network address" in response.text
    assert _login(sprayer, "alice", PASSWORD).status_code == 401
    assert _login(_from(proxied_app, "198.51.100.2"), "alice", PASSWORD).status_code == 303


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(client, session):
    make_user(session, "alice")
    for number in range(throttle.FREE[throttle.PAIR]):
        _login(client, "alice", "wrong password",
               headers={"X-Forwarded-For": f"198.51.100.{number}"})
    # Counted against the real peer, whatever the header claimed.
    assert _pair(session, "alice").failures == throttle.FREE[throttle.PAIR]


def test_a_name_guessed_from_everywhere_is_slowed_not_locked(session):
    make_user(session, "alice")
    now = utcnow()
    delays = []
    for number in range(throttle.NAME_FREE + 8):
        throttle.failed(session, throttle.Attempt("alice", f"198.51.100.{number}"), now)
        delays.append(throttle.delay(session, throttle.Attempt("alice", "192.0.2.1")))
    assert delays[: throttle.NAME_FREE - 1] == [0.0] * (throttle.NAME_FREE - 1)
    assert delays[throttle.NAME_FREE - 1 : throttle.NAME_FREE + 2] == [0.25, 0.5, 1.0]
    assert delays[-1] == throttle.LONGEST_DELAY
    # Slowed, but the right password still works from a new address.
    assert users.authenticate(session, "alice", PASSWORD, "192.0.2.1").username == "alice"


def test_lockouts_grow_and_are_capped(session):
    make_user(session, "alice")
    now = utcnow()
    attempt = throttle.Attempt("alice", "192.0.2.1")
    lengths = []
    free = throttle.FREE[throttle.PAIR]
    for _ in range(free + 10):
        locked = throttle.failed(session, attempt, now)
        lengths.append(locked and locked.until - now)
    assert lengths[: free - 1] == [None] * (free - 1)
    assert lengths[free - 1 : free + 2] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert lengths[-1] == throttle.LONGEST_LOCKOUT
    # After a quiet spell the count starts again.
    later = now + throttle.FORGET_AFTER + timedelta(minutes=1)
    assert throttle.failed(session, attempt, later) is None
    assert _pair(session, "alice", "192.0.2.1").failures == 1


def test_a_new_password_forgets_the_failures_against_the_old(session):
    user = make_user(session, "alice")
    for number in range(3):
        throttle.failed(session, throttle.Attempt("alice", f"198.51.100.{number}"))
    throttle.failed(session, throttle.Attempt("bob", "198.51.100.0"))
    users.set_password(session, user, "a brand new password")
    left = {(row.scope, row.subject) for row in session.scalars(select(SignInThrottle))}
    assert left == {("address", f"198.51.100.{n}") for n in range(3)} | {
        ("pair", "198.51.100.0 bob"), ("name", "bob")}


def test_disabled_account_cannot_sign_in_and_its_session_ends(client, session):
    user = make_user(session, "alice")
    sign_in(client, "alice")
    user.active = False
    session.commit()
    assert soup(client.get("/")).select_one("#signed-in-user") is None
    assert client.get("/account/tokens", follow_redirects=False).status_code == 303
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 401 and "disabled" in response.text
    # A wrong password on a disabled account says only that it is wrong.
    assert "is wrong" in _login(client, "alice", "wrong password").text


def test_password_change_ends_other_sessions(client, session):
    user = make_user(session, "alice")
    sign_in(client, "alice")
    users.set_password(session, user, "a brand new password")
    assert soup(client.get("/")).select_one("#signed-in-user") is None


def test_passwords_are_stored_as_argon2id(session):
    data = users.NewUser(username="Bob", role=Role.ADMIN, password="long enough pw",
                         password_confirm="long enough pw")
    user = users.create_user(session, data)
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert user.username == "bob" and stored.startswith("$argon2id$")
    assert "long enough pw" not in stored


@pytest.mark.parametrize(("fixture", "status"), [
    ("client", 303), ("viewer_client", 403), ("editor_client", 403), ("admin_client", 200)])
def test_admin_pages_need_an_admin(request, session, fixture, status):
    target = make_user(session, "target")
    http = request.getfixturevalue(fixture)
    for url in ("/admin/users", f"/admin/users/{target.id}"):
        response = http.get(url, follow_redirects=False)
        assert response.status_code == status, (fixture, url)
        if status == 303:
            assert response.headers["location"] == "/login?next=" + url
        if status == 403:
            assert "administrator role" in response.text


def test_header_links_by_role(viewer_client, admin_client):
    viewer = soup(viewer_client.get("/"))
    assert viewer.select_one(".account .role").text == "Viewer"
    assert viewer.select_one("a[href='/admin/users']") is None
    assert soup(admin_client.get("/")).select_one(".account a[href='/admin/users']")


def test_htmx_request_without_a_session_is_sent_to_sign_in(client):
    response = client.post("/account/tokens", data={"name": "x",
                                                    "csrf_token": csrf_token_of(client)},
                           headers={"HX-Request": "true",
                                    "HX-Current-URL": "http://testserver/account/tokens"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/account/tokens"


def test_production_hashes_and_the_decoy_cost_the_same():
    # Tests hash cheaply (conftest); the app uses pwdlib's recommended argon2id, and an
    # unknown name is checked against a decoy made with the same parameters.
    assert APP_HASHER() is not users._hasher()
    real = APP_HASHER().hash("whatever password")
    assert real.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.DECOY_HASH.rsplit("$", 2)[0] == real.rsplit("$", 2)[0]


def test_a_cookie_kept_from_before_sign_out_no_longer_signs_in(client, new_client, session):
    make_user(session, "alice", role=Role.EDITOR)
    sign_in(client, "alice")
    kept = dict(client.cookies)
    assert client.post("/logout", follow_redirects=False).status_code == 303
    thief = new_client()
    thief.cookies.update(kept)
    assert soup(thief.get("/")).select_one("#signed-in-user") is None
    assert thief.get("/account/tokens", follow_redirects=False).status_code in (303, 401)


def test_signing_out_everywhere_ends_every_session_of_the_account(new_client, session):
    make_user(session, "alice", role=Role.EDITOR)
    laptop, phone = new_client(), new_client()
    sign_in(laptop, "alice")
    sign_in(phone, "alice")
    assert soup(phone.get("/")).select_one("#signed-in-user").text == "alice"
    response = laptop.post("/account/sessions/end", follow_redirects=False)
    assert response.status_code == 303
    for client in (laptop, phone):
        assert soup(client.get("/")).select_one("#signed-in-user") is None


def test_a_session_ends_at_its_absolute_lifetime(client, session):
    from app.plan.records import UserSession

    make_user(session, "alice")
    sign_in(client, "alice")
    assert soup(client.get("/")).select_one("#signed-in-user").text == "alice"
    session.execute(update(UserSession).values(
        created_at=utcnow() - users.SESSION_LIFETIME - timedelta(minutes=1)))
    assert soup(client.get("/")).select_one("#signed-in-user") is None


def test_signing_in_and_out_leaves_the_data_version_alone(new_client, session):
    """A session is not plan data: signing in or out neither dates the data anew nor
    empties every cache."""
    from app.caching import stamp
    from app.plan.vocab import Role
    from tests.conftest import sign_in
    from tests.factories import make_user

    make_user(session, "vera", role=Role.VIEWER)
    session.commit()
    before = stamp.current(session)
    client = new_client()
    sign_in(client, "vera")
    assert client.post("/logout", follow_redirects=False).status_code == 303
    session.expire_all()
    assert stamp.current(session) == before


# A static address is not asked who is asking before its route: its error page asks.
@pytest.mark.parametrize("path", ["/no-such-page", "/static/no-such-file.css"])
def test_a_page_not_found_still_shows_who_is_signed_in(editor_client, path):
    from tests.html import soup

    page = soup(editor_client.get(path, headers={"Accept": "text/html"}))
    assert page.select_one("#signed-in-user").text == "editor"
    assert not page.select_one('a[href^="/login"]')
