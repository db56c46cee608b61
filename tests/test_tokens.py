"""API tokens: shown once, stored hashed, listed with their last use, revocable."""

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts import users
from app.plan.models import utcnow
from app.plan.records import ApiToken
from app.plan.vocab import Role
from tests.factories import make_user
from tests.html import soup
from tests.test_query_budget import counting


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def _who(client, headers) -> str | None:
    node = soup(client.get("/", headers=headers)).select_one("#signed-in-user")
    return node.text if node else None


def test_create_shows_the_token_once_and_stores_its_hash(editor_client, session):
    response = editor_client.post("/account/tokens", data={"name": "nightly import"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert soup(response).select_one(".new-token")["hx-history"] == "false"
    value = soup(response).select_one("#new-token").text
    assert value.startswith("pp_") and len(value) > 40
    stored = session.scalars(select(ApiToken)).one()
    assert stored.name == "nightly import"
    assert stored.token_hash == hashlib.sha256(value.encode()).hexdigest()
    assert value not in str([getattr(stored, c) for c in ("name", "token_hash")])
    page = soup(editor_client.get("/account/tokens"))
    assert page.select_one("#new-token") is None  # never again
    row = page.select_one("tbody tr")
    assert row.th.text == "nightly import" and row.select("td")[1].text == "never"


def test_token_signs_in_a_script_and_notes_last_use(client, session):
    user = make_user(session, "robot", role=Role.EDITOR)
    token, value = users.create_token(session, user, users.TokenInput(name="ci"))
    assert _who(client, {}) is None
    assert _who(client, _bearer(value)) == "robot"
    session.refresh(token)
    first_use = token.last_used_at
    assert first_use is not None
    # Within the minute, using it again writes nothing.
    with counting(session) as statements:
        assert _who(client, _bearer(value)) == "robot"
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    # Later, the new use is recorded.
    session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=5)))
    session.commit()
    _who(client, _bearer(value))
    session.refresh(token)
    assert users.as_utc(token.last_used_at) > utcnow() - timedelta(minutes=1)
    page = soup(client.get("/account/tokens", headers=_bearer(value)))
    assert page.select_one("tbody td:nth-of-type(2)").text != "never"


def test_revoked_and_disabled_and_unknown_tokens_are_anonymous(client, session):
    user = make_user(session, "robot", role=Role.EDITOR)
    _, kept_value = users.create_token(session, user, users.TokenInput(name="a"))
    gone, gone_value = users.create_token(session, user, users.TokenInput(name="b"))
    users.revoke_token(session, user, gone.id)
    assert _who(client, _bearer(gone_value)) is None
    assert _who(client, _bearer("pp_" + "x" * 43)) is None
    assert _who(client, _bearer(kept_value)) == "robot"
    user.active = False
    session.commit()
    assert _who(client, _bearer(kept_value)) is None
    response = client.post("/account/tokens", data={"name": "x"}, headers=_bearer(kept_value))
    assert response.status_code == 401


def test_revoke_through_the_page(editor_client, session):
    editor_client.post("/account/tokens", data={"name": "old script"})
    token = session.scalars(select(ApiToken)).one()
    response = editor_client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=False)
    assert response.status_code == 303
    page = soup(editor_client.get(response.headers["location"]))
    assert "Revoked the token “old script”." in page.select_one(".notice").text
    assert page.select_one("tbody td:nth-of-type(3)").text.strip().startswith("Revoked")
    session.refresh(token)
    assert token.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(editor_client, session):
    other = make_user(session, "other", role=Role.EDITOR)
    token, _ = users.create_token(session, other, users.TokenInput(name="theirs"))
    response = editor_client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 404
    session.refresh(token)
    assert token.revoked_at is None


def test_empty_name_is_shown_next_to_the_field(editor_client, session):
    response = editor_client.post("/account/tokens", data={"name": "   "},
                                  headers={"HX-Request": "true"})
    assert response.status_code == 422 and "<html" not in response.text
    field = soup(response).select_one("#token-name")
    assert field["aria-invalid"] == "true"
    error = soup(response).select_one("#" + field["aria-describedby"].split()[-1])
    assert error.text == "This field is required."
    assert session.scalars(select(ApiToken)).first() is None


def test_viewers_see_their_tokens_but_cannot_create_one(viewer_client):
    page = soup(viewer_client.get("/account/tokens"))
    assert page.select_one("form[action='/account/tokens']") is None
    assert "only read" in page.select_one("main").text
    assert viewer_client.post("/account/tokens", data={"name": "x"}).status_code == 403
