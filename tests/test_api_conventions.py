"""The JSON API answers alike wherever it is asked: rows, saved views and subscriptions
refuse a request without an account with the same 401, and input they cannot take with a
422 in FastAPI's validation shape, naming the field; the documentation lists both."""

import pytest

from app.accounts import users
from app.plan.vocab import Role
from tests.factories import make_user

#: A body each part refuses on a rule of its own (not its model's types), and the field.
REFUSED = [
    ("/api/v1/views", {"name": "Bad", "path": "/nowhere?x=1"}, ["body", "path"]),
    ("/api/v1/subscriptions", {"row": {"kind": "assets", "id": 999999},
                               "events": ["figure_changed"]}, ["body", "row", "id"]),
    ("/api/v1/subscriptions", {"view": "no-such-view", "events": ["figure_changed"]},
     ["body", "view"]),
    ("/api/v1/assets", {"name": "x"}, ["body"]),
]


def _editor_token(session) -> dict[str, str]:
    user = make_user(session, "carol", role=Role.EDITOR)
    _, value = users.create_token(session, user, users.TokenInput(name="script"))
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize(("path", "body", "loc"), REFUSED)
def test_every_part_of_the_api_refuses_bad_input_in_one_shape(path, body, loc, client,
                                                             session):
    token = _editor_token(session)
    refused = client.post(path, headers=token, json=body)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert detail and all(set(d) >= {"type", "loc", "msg"} for d in detail)
    assert any(d["loc"][:len(loc)] == loc for d in detail), detail
    assert all(isinstance(d["msg"], str) and d["msg"] for d in detail)


@pytest.mark.parametrize("path", ["/api/v1/views", "/api/v1/subscriptions", "/api/v1/assets"])
def test_every_part_of_the_api_asks_for_an_account_alike(path, client):
    wrong = {"Authorization": "Bearer pp_not-a-token"}
    answer = client.post(path, headers=wrong, json={})
    assert answer.status_code == 401
    assert answer.json() == client.post("/api/v1/assets", headers=wrong, json={}).json()
    documented = client.get("/openapi.json").json()["paths"][path]["post"]["responses"]
    assert documented["401"]["description"] == "No valid API token or session"
    assert documented["400"]["description"] == "The body cannot be read as JSON"
    assert "CSRF token" in documented["403"]["description"]
