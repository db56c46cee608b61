"""Every page runs a bounded number of SQL statements, whatever the number of rows."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app.kinds import KINDS
from app.models import Asset, Citation, Event, Plan, Site, Stakeholder


@contextmanager
def counting(session):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def grow(session, n, start=0):
    """Add rows that touch every relationship a list shows."""
    plan = session.scalars(select(Plan)).first()
    site = session.scalars(select(Site)).first()
    people = session.scalars(select(Stakeholder)).all()[:3]
    for i in range(start, start + n):
        asset = Asset(key=f"extra-asset-{i}", plan_id=plan.id, country_code="FR",
                      asset_type="drone", posture="monitoring", status="proposed",
                      site_id=site.id, role=f"Extra {i}")
        happening = Event(key=f"extra-event-{i}", plan_id=plan.id, title=f"Extra {i}",
                          precision="day", participants=people)
        session.add_all([asset, happening])
        session.flush()
        session.add_all([Citation(subject_type="asset", subject_id=asset.id, source_id=1),
                         Citation(subject_type="event", subject_id=happening.id, source_id=1)])
    session.flush()


@pytest.mark.parametrize("path", ["/", *(f"/{slug}" for slug in KINDS),
                                  "/assets?country=FR&asset_type=drone", "/api/v1/assets",
                                  "/assets.csv", "/events.csv"])
def test_statement_count_does_not_grow_with_rows(client, session, path):
    grow(session, 2)
    with counting(session) as before:
        assert client.get(path).status_code == 200
    grow(session, 60, start=2)
    session.expire_all()
    with counting(session) as after:
        assert client.get(path).status_code == 200
    assert len(after) == len(before), path
    assert len(after) <= (25 if path == "/" else 15), f"{path}: {len(after)} statements"
