"""Bad input is a clear 4xx, never a 500: values JSON or a database cannot hold, and
requests malformed on purpose."""

import json
import os
import subprocess
import sys
import time
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import select

from app.config import get_settings
from app.plan.kinds import KINDS
from app.plan.models import Asset, Stakeholder
from app.plan.records import Change
from tests.html import soup
from tests.live import free_port
from tests.test_api_writes import _json
from tests.test_editing import _drone, _errors, valid_data
from tests.test_importing import _csv, _upload


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


# --- Limits: text fields, bodies, query strings, files ---

TEXT_MAX = get_settings().text_max_length


def test_every_text_field_has_a_documented_limit(client):
    """The API documents a maxLength for every text field it takes, so a client can know
    before sending; a source's own text may be long, everything else is held shorter."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    taken = {name: schema for name, schema in schemas.items()
             if name.endswith(("New", "EditBody", "In"))}
    assert len(taken) > 15
    unbounded = [
        f"{name}.{field}"
        for name, schema in taken.items()
        for field, spec in schema["properties"].items()
        for option in spec.get("anyOf", [spec])
        if option.get("type") == "string" and not {"maxLength", "pattern", "enum"} & set(option)
        and option.get("format") not in ("date", "date-time")
    ]
    assert unbounded == []
    assert schemas["SourceNew"]["properties"]["text"]["anyOf"][0]["maxLength"] == \
        get_settings().source_text_max_length
    assert schemas["AssetNew"]["properties"]["role"]["maxLength"] == 300


def test_an_overlong_text_is_refused_by_the_form_the_api_and_the_import(
        session, editor_client, admin_client):
    body = {**_json(session, "sites"), "note": "x" * (TEXT_MAX + 1)}
    response = editor_client.post("/api/v1/sites", json=body)
    assert response.status_code == 422
    assert [(e["loc"][-1], e["type"].endswith("too_long"))
            for e in response.json()["detail"]] == [("note", True)]
    form = editor_client.post("/sites/new", data={**valid_data(session, KINDS["sites"]),
                                                  "note": "x" * (TEXT_MAX + 1)})
    assert form.status_code == 422
    assert _errors(form)["note"] == "Use at most 20,000 characters."
    text = _csv(session, [("PL", 1, 2)]).replace("Imported drones of PL",
                                                    "y" * (TEXT_MAX + 1))
    preview = _upload(admin_client, text)
    assert preview.status_code == 422 and "at most" in preview.text
    assert body["note"][:100] not in editor_client.get("/sites").text


def test_a_body_over_the_cap_is_a_413_without_being_read(client, editor_client):
    cap = get_settings().max_body_mb * 1024 * 1024
    declared = client.post("/api/v1/assets", content=b"{}",
                           headers={"Content-Type": "application/json",
                                    "Content-Length": str(cap + 1)})
    assert declared.status_code == 413 and "MB" in declared.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(cap // (1024 * 1024) + 2):
            yield b"a" * (1024 * 1024)
    for path in ("/api/v1/assets", "/assets/new", "/login"):
        streamed = editor_client.post(path, content=chunks(),
                                      headers={"Content-Type": "application/json"
                                               if path.startswith("/api") else
                                               "application/x-www-form-urlencoded"})
        assert streamed.status_code == 413, (path, streamed.status_code)


def test_overlong_and_overfull_query_strings_are_refused(client):
    long = client.get("/assets?q=" + "a" * 9000)
    assert long.status_code == 414 and "fewer filters" in long.text
    many = client.get("/api/v1/assets?" + "&".join(["country=FR"] * 250))
    assert many.status_code == 400 and "parameters" in many.json()["detail"]
    assert client.get("/assets?" + "&".join(["country=FR"] * 50)).status_code == 200


def test_an_import_nested_deep_or_with_a_huge_cell_is_explained(session, admin_client):
    deep = _upload(admin_client, "[" * 100_000 + "]" * 100_000, name="deep.json")
    assert deep.status_code == 422 and "nested too deeply" in deep.text
    nested = _upload(admin_client, json.dumps([{"role": {"a": [1, {"b": 2}]}}]),
                     name="nested.json")
    assert nested.status_code == 422
    huge = _csv(session, [("PL", 1, 2)]).replace("Imported drones of PL", "z" * 140_000)
    response = _upload(admin_client, huge)
    assert response.status_code == 422 and "cannot be read" in response.text


# --- Characters no store or export can hold ---

UNFIT = "a\x00b\x01c\x08d\x0be\x1ff\ufffeg\uffffh"
CLEANED = "abcdefgh"


def test_unfit_characters_are_dropped_by_every_door_alike(session, editor_client,
                                                          admin_client):
    body = {**_json(session, "stakeholders"), "name": "API " + UNFIT,
            "title": UNFIT + "\tok\n"}
    created = editor_client.post("/api/v1/stakeholders", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "API " + CLEANED
    form = editor_client.post("/stakeholders/new", follow_redirects=False,
                              data={**valid_data(session, KINDS["stakeholders"]),
                                    "name": "Form " + UNFIT})
    assert form.status_code == 303, form.text
    text = _csv(session, [("PL", 1, 2)]).replace("Imported drones of PL", "Import " + UNFIT)
    preview = _upload(admin_client, text)
    assert preview.status_code == 200 and "Import " + CLEANED in preview.text
    names = set(session.scalars(select(Stakeholder.name)))
    assert {"API " + CLEANED, "Form " + CLEANED} <= names
    assert session.scalar(select(Stakeholder.title).where(
        Stakeholder.name == "API " + CLEANED)) == CLEANED + "\tok"
    feed = editor_client.get("/changes.atom")
    ElementTree.fromstring(feed.content)  # parses: the feed stays XML


def test_an_import_carries_its_file_cleaned_and_names_its_change_cleaned(session,
                                                                         admin_client):
    """The preview holds the file's text in its page, which a browser sends back to be
    written: a NUL there would come back as U+FFFD. The file's name names the change."""
    text = _csv(session, [("PL", 1, 2)]).replace("Imported drones of PL", "Import " + UNFIT)
    preview = soup(_upload(admin_client, text))
    carried = preview.select_one("form[action='/admin/import/confirm'] textarea").get_text()
    assert "Import " + CLEANED in carried and "\x00" not in carried
    done = admin_client.post("/admin/import/confirm", follow_redirects=False,
                             data={"kind": "assets", "text": carried, "name": "a\x00b.csv"})
    assert done.status_code == 303, done.text
    change = session.scalars(select(Change).order_by(Change.id.desc())).first()
    assert change.summary == "Imported 1 assets from ab.csv"
    assert session.scalar(select(Asset.role).where(Asset.country_code == "PL")) == \
        "Import " + CLEANED


def test_the_feed_stays_xml_over_text_saved_before_cleaning(session, client):
    """Rows written before every door cleaned their text, or by hand, must not break
    the feed: it drops what XML cannot hold."""
    stakeholder = session.scalars(select(Stakeholder)).first()
    stakeholder.name = "Old " + UNFIT.replace("\x00", "")  # PostgreSQL holds no NUL
    session.commit()
    feed = client.get("/changes.atom")
    assert feed.status_code == 200
    ElementTree.fromstring(feed.content)


def test_nul_in_a_search_or_filter_is_no_error(client):
    for path in ("/assets?q=a%00b", "/api/v1/assets?q=%00", "/assets?country=F%00R",
                 "/changes.atom?country=%00"):
        assert client.get(path).status_code < 500, path
