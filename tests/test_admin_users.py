"""/admin/users: create, disable and enable, change role, reset password; errors next to
their fields with what was typed kept; never leaving no active administrator."""

import pytest
from sqlalchemy import select

from app.plan.records import User
from app.plan.vocab import Role
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_user
from tests.html import soup

GOOD = {"username": "Carol", "role": "editor", "password": "long enough password",
        "password_confirm": "long enough password"}


def _user(session, name) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == name))


def test_create_without_javascript(admin_client, new_client, session):
    response = admin_client.post("/admin/users", data=GOOD, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    page = soup(admin_client.get("/admin/users"))
    assert "Created carol (editor)." in page.select_one(".notice").text
    names = [a.text for a in page.select("tbody th a")]
    assert "carol" in names and "admin" in names
    carol = new_client()
    sign_in(carol, "carol", GOOD["password"])
    assert soup(carol.get("/")).select_one("#signed-in-user").text == "carol"


def test_create_with_htmx_swaps_the_panel(admin_client, session):
    response = admin_client.post("/admin/users", data=GOOD, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    panel = soup(response)
    assert "Created carol" in panel.select_one(".notice").text
    assert "carol" in [a.text for a in panel.select("tbody th a")]
    assert panel.select_one("#new-username")["value"] == ""  # a fresh form
    assert _user(session, "carol").role == Role.EDITOR


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"username": "x"}, "username", "Use 2 to 40 letters"),
    ({"username": "no spaces"}, "username", "Use 2 to 40 letters"),
    ({"username": "Admin"}, "username", "There is already an account named admin."),
    ({"password": "short", "password_confirm": "short"}, "password", "Use at least 10 characters."),
    ({"password_confirm": "something else"}, "password_confirm", "The two passwords differ."),
    ({"role": "superuser"}, "role", "'viewer', 'editor' or 'admin'"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_create_errors_show_next_to_the_field(admin_client, session, changes, field,
                                              message, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    before = session.scalar(select(User.id).order_by(User.id.desc()))
    response = admin_client.post("/admin/users", data={**GOOD, **changes}, headers=headers)
    assert response.status_code == 422
    assert ("<html" in response.text) != htmx
    page = soup(response)
    control = page.select_one(f"#new-{field}")
    assert control["aria-invalid"] == "true"
    error = page.select_one(f"#new-{field}-error")
    assert error["id"] in control["aria-describedby"].split()
    assert message in error.text
    # What was typed is kept, except passwords.
    assert page.select_one("#new-username")["value"] == changes.get("username", "Carol")
    assert not page.select_one("#new-password").get("value")
    assert session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_disable_and_enable(admin_client, new_client, session):
    carol = make_user(session, "carol")
    other = new_client()
    sign_in(other, "carol")
    response = admin_client.post(f"/admin/users/{carol.id}/active", data={"active": "false"},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert "carol is disabled." in admin_client.get(response.headers["location"]).text
    assert _user(session, "carol").active is False
    assert soup(other.get("/")).select_one("#signed-in-user") is None  # at once
    response = admin_client.post(f"/admin/users/{carol.id}/active", data={"active": "true"},
                                 headers={"HX-Request": "true"})
    assert "carol is enabled." in response.text and "<html" not in response.text
    assert _user(session, "carol").active is True
    sign_in(other, "carol")


def test_change_role(admin_client, session):
    carol = make_user(session, "carol", role=Role.VIEWER)
    response = admin_client.post(f"/admin/users/{carol.id}/role", data={"role": "admin"},
                                 headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert soup(response).select_one("#target-role").text == "Administrator"
    assert _user(session, "carol").role == Role.ADMIN
    response = admin_client.post(f"/admin/users/{carol.id}/role", data={"role": "owner"})
    assert response.status_code == 422
    assert soup(response).select_one("#role-role")["aria-invalid"] == "true"
    assert _user(session, "carol").role == Role.ADMIN


def test_reset_password(admin_client, new_client, session):
    carol = make_user(session, "carol")
    new = "a fresh long password"
    response = admin_client.post(f"/admin/users/{carol.id}/password",
                                 data={"password": new, "password_confirm": "different one"})
    assert response.status_code == 422
    assert "differ" in soup(response).select_one("#pw-password_confirm-error").text
    response = admin_client.post(f"/admin/users/{carol.id}/password",
                                 data={"password": new, "password_confirm": new},
                                 follow_redirects=False)
    assert response.status_code == 303
    client = new_client()
    sign_in(client, "carol", new)
    with pytest.raises(AssertionError):
        sign_in(new_client(), "carol", PASSWORD)


def test_the_last_admin_cannot_demote_or_disable_themselves(admin_client, session):
    me = _user(session, "admin")
    for url, data in ((f"/admin/users/{me.id}/role", {"role": "editor"}),
                      (f"/admin/users/{me.id}/active", {"active": "false"})):
        response = admin_client.post(url, data=data)
        assert response.status_code == 422
        assert "no active administrator" in soup(response).select_one(".problems").text
        assert _user(session, "admin").can(Role.ADMIN)
    # With another administrator, stepping down is fine.
    make_user(session, "second", role=Role.ADMIN)
    response = admin_client.post(f"/admin/users/{me.id}/role", data={"role": "editor"},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert _user(session, "admin").role == Role.EDITOR
    assert admin_client.get("/admin/users").status_code == 403  # at once


def test_unknown_account_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.post("/admin/users/999999/role", data={"role": "editor"}
                             ).status_code == 404
