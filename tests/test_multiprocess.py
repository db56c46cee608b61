"""Two app processes on one database: a write through one is read through the other at once,
with the right counts, though both had the old answer cached."""

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import users
from app.db import get_engine
from app.plan.models import Plan, Source
from app.plan.records import User
from app.plan.vocab import Role
from tests.databases import seeded_database
from tests.live import app_process

FILTER = "/assets?country=FR&asset_type=drone"
API = "/api/v1/assets?country=FR&asset_type=drone"


def write(database_url: str, base: str) -> None:
    """Three French drones, one on standby, added through the write API of one process
    by an editor's API token."""
    engine = get_engine(database_url)
    with Session(engine) as session:
        plan_id = session.scalars(select(Plan.id)).first()
        source_id = session.scalars(select(Source.id).where(Source.published_on.is_not(None))
                                    ).first()
        editor = User(username="writer", role=Role.EDITOR, password_hash="unused")
        session.add(editor)
        session.commit()
        _, token = users.create_token(session, editor, users.TokenInput(name="test"))
    for i in range(3):
        response = httpx.post(base + "/api/v1/assets", headers={
            "Authorization": f"Bearer {token}"}, json={
            "plan_id": plan_id, "country_code": "FR", "asset_type": "drone",
            "posture": "standby" if i == 0 else "monitoring", "stage": "committed",
            "role": f"Two-process test {i}", "certainty": "reported", "source_id": source_id})
        assert response.status_code == 201, response.text


#: Both processes are asked under one public name, as behind a load balancer: a page names
#: its own address (the Cite box), so pages for different hosts differ.
FRAGMENT = {"HX-Request": "true", "Host": "peaceplan.example"}


def snapshot(base: str) -> dict:
    response = httpx.get(base + API)
    assert response.status_code == 200, response.text
    data = response.json()
    posture = {v["value"]: v["count"] for f in data["facets"] if f["param"] == "posture"
               for v in f["values"]}
    fragment = httpx.get(base + FILTER, headers=FRAGMENT)
    return {"total": data["total"], "posture": posture, "etag": fragment.headers["etag"],
            "html_total": int(re.search(r'id="total">(\d+)<', fragment.text).group(1))}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_a_write_through_one_process_is_read_through_the_other(backend, tmp_path_factory):
    with (seeded_database(backend, tmp_path_factory) as url, app_process(url) as writer,
          app_process(url) as reader):
        before = [snapshot(writer), snapshot(reader)]
        assert before[0] == before[1]  # cached in both processes from here
        assert snapshot(reader) == before[1]
        write(url, writer)
        for base in (reader, writer):
            after = snapshot(base)
            assert after["total"] == before[0]["total"] + 3
            assert after["html_total"] == before[0]["html_total"] + 3
            assert after["posture"].get("standby", 0) == (
                before[0]["posture"].get("standby", 0) + 1)
            assert after["posture"]["monitoring"] == (
                before[0]["posture"].get("monitoring", 0) + 2)
            old = httpx.get(base + FILTER, headers={**FRAGMENT,
                                                    "If-None-Match": before[0]["etag"]})
            assert old.status_code == 200 and old.headers["etag"] == after["etag"]
