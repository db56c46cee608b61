"""Every ORM write of plan data bumps the data version, whichever code path makes it."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.caching import stamp
from app.loading import seed
from app.plan.models import Asset, Citation, Deployment, Plan, Site


def _version(session: Session) -> int:
    return stamp.current(session).number


def _new_asset(session: Session, **fields) -> Asset:
    plan = session.scalars(select(Plan)).first()
    return Asset(key="stamp-test-asset", plan_id=plan.id, asset_type="drone",
                 posture="monitoring", stage="floated", role="Stamp test", **fields)


def test_new_row_bumps_once_per_flush(session):
    before = stamp.current(session)
    session.add(_new_asset(session))
    session.flush()
    after = stamp.current(session)
    assert after.number == before.number + 1
    assert after.updated_at > before.updated_at
    session.flush()  # nothing new
    assert _version(session) == after.number


def test_real_modification_bumps_and_a_no_op_does_not(session):
    site = session.scalars(select(Site)).first()
    start = _version(session)
    site.name = site.name  # the same value: not a change
    session.flush()
    assert _version(session) == start
    site.name = site.name + " (renamed)"
    session.flush()
    assert _version(session) == start + 1


def test_delete_and_collection_change_bump(session):
    deployment = session.scalars(select(Deployment)).first()
    other = session.scalars(select(Site).where(Site.id.not_in(
        [s.id for s in deployment.sites]))).first()
    start = _version(session)
    deployment.sites.append(other)
    session.flush()
    assert _version(session) == start + 1
    session.delete(session.scalars(select(Citation)).first())
    session.flush()
    assert _version(session) == start + 2


def test_statements_through_a_session_bump(session):
    start = _version(session)
    session.execute(update(Site).where(Site.id == -1).values(name="nothing"))
    assert _version(session) == start + 1
    plan = session.scalars(select(Plan)).first()
    session.execute(insert(Asset), [{"key": "bulk-1", "plan_id": plan.id, "asset_type": "drone",
                                     "posture": "monitoring", "stage": "floated",
                                     "role": "Bulk"}])
    assert _version(session) == start + 2


def test_reading_and_autoflush_of_nothing_do_not_bump(session):
    start = stamp.current(session)
    session.scalars(select(Asset).limit(5)).all()
    session.flush()
    assert stamp.current(session) == start


def test_bumps_from_two_sessions_add_up(engine):
    with Session(engine) as first, Session(engine) as second:
        start = _version(first)
        first.rollback()
        for s in (first, second):
            seed.touch(s)
            s.commit()
        assert _version(first) == start + 2


def test_reader_sees_each_commit_at_once(engine):
    reader = stamp.Reader(engine)
    try:
        start = reader.read()
        with Session(engine) as writer:
            assert stamp.current(writer) == start
            seed.touch(writer)
            assert reader.read() == start  # not committed yet
            writer.commit()
        assert reader.read().number == start.number + 1
        reader._connection.close()  # as a database restart would
        assert reader.read().number == start.number + 1
    finally:
        reader.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_async_reader_shares_reads_and_never_returns_an_older_version(engine):
    """PostgreSQL only: SQLite reads in microseconds, in the event loop."""
    reader = stamp.AsyncReader(engine)
    queries = []

    async def scenario():
        original = reader._read

        async def counted():
            queries.append(1)
            return await original()

        reader._read = counted
        start = await reader.read()
        together = await asyncio.gather(*(reader.read() for _ in range(20)))
        assert set(together) == {start} and len(queries) <= 3  # 21 requests, few reads
        with Session(engine) as writer:
            seed.touch(writer)
            writer.commit()
        assert (await reader.read()).number == start.number + 1  # arrived after the commit
        await reader._connection.close()  # as a database restart would
        assert (await reader.read()).number == start.number + 1
        await reader._connection.close()

    # A thread of its own: browser tests may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
