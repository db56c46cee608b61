"""Every page runs a bounded number of SQL statements, whatever the number of rows."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app.plan.kinds import KINDS
from app.plan.models import Asset, Citation, Deployment, Event, Plan, Site, Stakeholder


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
                      asset_type="drone", posture="monitoring", stage="floated",
                      site_id=site.id, role=f"Extra {i}")
        happening = Event(key=f"extra-event-{i}", plan_id=plan.id, title=f"Extra {i}",
                          precision="day", participants=people)
        place = Site(key=f"extra-site-{i}", name=f"Extra {i}", kind="city", basis="candidate",
                     country_code="UA", latitude=48 + i / 100, longitude=30)
        contingent = Deployment(key=f"extra-deployment-{i}", plan_id=plan.id, role=f"Extra {i}",
                                country_code="FR", troops_low=i, troops_high=i,
                                stage="floated", sites=[place, site])
        place_asset = Asset(key=f"extra-site-asset-{i}", plan_id=plan.id, asset_type="drone",
                            posture="monitoring", stage="floated", site=place, role="Extra")
        session.add_all([asset, happening, place, contingent, place_asset])
        session.flush()
        session.add_all([Citation(subject_type="asset", subject_id=asset.id, source_id=1),
                         Citation(subject_type="event", subject_id=happening.id, source_id=1)])
    session.flush()


#: Pages that show several panels run more statements, but still a fixed number.
# One statement of each reads the data version, for the caches; the overview also sums
# troops by stage, and lists the public saved views.
BUDGETS = {"/": 28, "/brief": 28}


@pytest.mark.parametrize("path", ["/", *(f"/{slug}" for slug in KINDS),
                                  "/assets?country=FR&asset_type=drone", "/api/v1/assets",
                                  "/assets.csv", "/events.csv", "/map", "/map?asset_type=drone",
                                  "/sites.geojson", "/brief", "/brief?country=FR",
                                  "/events?since=2025-01-01&until=2025-12-31"])
def test_statement_count_does_not_grow_with_rows(client, session, path):
    grow(session, 2)
    with counting(session) as before:
        assert client.get(path).status_code == 200
    # Twenty rows more than the first request saw: a statement per row would show.
    grow(session, 20, start=2)
    session.expire_all()
    with counting(session) as after:
        assert client.get(path).status_code == 200
    assert len(after) == len(before), path
    assert len(after) <= BUDGETS.get(path.split("?")[0], 10), f"{path}: {len(after)} statements"


@pytest.mark.parametrize("path", ["/", "/assets?country=FR&asset_type=drone", "/api/v1/assets",
                                  "/assets.csv?country=FR", "/sites/1"])
def test_a_repeated_request_reads_only_the_data_version(client, session, path):
    grow(session, 3)
    first = client.get(path)
    with counting(session) as statements:
        again = client.get(path)
    assert again.status_code == 200 and again.content == first.content
    assert statements == [statements[0]] and "data_stamp" in statements[0]
    with counting(session) as statements:
        revalidated = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert revalidated.status_code == 304 and len(statements) == 1


def test_another_page_of_the_same_filter_skips_the_counts(htmx, session):
    client = htmx
    grow(session, 60)
    with counting(session) as first:
        client.get("/assets?country=FR&per_page=10")
    with counting(session) as second:
        page = client.get("/assets?country=FR&per_page=10&page=2&sort=-quantity")
    assert page.status_code == 200 and "Showing 11–20 of" in page.text
    assert not any("count(" in s for s in second)
    # The first reads the assets' tally (every filter's counts at this version), once.
    assert sum("count(" in s for s in first) == 1
    assert len(second) < len(first)
