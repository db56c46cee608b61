"""Bad input is a clear 4xx, never a 500: values JSON or a database cannot hold, and
requests malformed on purpose."""

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.live import free_port
from tests.test_api_writes import _json
from tests.test_editing import _drone


def test_nan_and_infinity_in_json_are_a_422_naming_the_field(session, editor_client):
    for bad in ("NaN", "Infinity", "-Infinity"):
        body = _json(session, "sites").copy()
        text = json.dumps(body)[:-1] + f', "latitude": {bad}}}'
        response = editor_client.post("/api/v1/sites", content=text,
                                      headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (bad, response.text)
        assert any(e["loc"][-1] == "latitude" for e in response.json()["detail"])


@pytest.mark.parametrize("value", [2**63, 2**63 - 1, 10**30])
def test_integers_beyond_the_database_are_refused(session, editor_client, value):
    drone = _drone(session)
    item = editor_client.get(f"/api/v1/assets/{drone.id}").json()
    body = {**_json(session, "assets"), "quantity_low": value, "quantity_high": value}
    assert editor_client.post("/api/v1/assets", json=body).status_code == 422
    form = editor_client.post(f"/assets/{drone.id}/edit", data={
        "version": str(item["version"]), "quantity_low": str(value)})
    assert form.status_code == 422
    assert editor_client.get(f"/assets/{value}").status_code == 404
    assert editor_client.get(f"/api/v1/assets/{value}").status_code in (404, 422)


@pytest.mark.parametrize("path", ["/login", "/assets/new", "/api/v1/assets"])
def test_multipart_without_a_boundary_is_a_400(client, path):
    response = client.post(path, content=b"x=1",
                           headers={"Content-Type": "multipart/form-data"})
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("path", ["/", "/assets", "/api/v1/assets", "/sources/1",
                                  "/changes.atom", "/healthz", "/readyz"])
def test_head_works_wherever_get_does(client, path):
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200, (path, head.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "database": "reachable"}


def test_without_its_database_every_route_answers_503_with_retry_after():
    # A real process whose PostgreSQL is not there (nothing listens on port 9).
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port",
         str(port), "--log-level", "critical"],
        env={**os.environ, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.1)
        for path, kind in [("/", "text/html"), ("/assets", "text/html"),
                           ("/api/v1/assets", "application/json"), ("/readyz", "application/json")]:
            response = httpx.get(base + path, timeout=30)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.headers["retry-after"] == "5"
            assert response.headers["content-type"].startswith(kind), path
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_each_request_is_logged_once_with_the_id_it_is_answered_with(client, caplog):
    caplog.set_level("INFO", logger="peaceplan.access")
    response = client.get("/assets?country=US")
    request_id = response.headers["x-request-id"]
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "peaceplan.access" and getattr(r, "request_id", None) == request_id]
    assert len(lines) == 1
    assert (lines[0]["method"], lines[0]["path"], lines[0]["status"]) == ("GET", "/assets", 200)
    # A caller's own id is kept, one that is not a plain token is replaced.
    assert client.get("/", headers={"X-Request-ID": "trace-42"}).headers["x-request-id"] == \
        "trace-42"
    assert client.get("/", headers={"X-Request-ID": "<script>"}).headers["x-request-id"] != \
        "<script>"
