"""Every change to plan data is recorded (who, when, before and after) and can be reverted."""

import pytest
from sqlalchemy import func, select

from app.history import record, revert
from app.plan.models import Asset, Citation, Deployment, Site
from app.plan.records import Change, Revision

EDITOR = record.Actor("ana", user_id=7)


def _changes(session):
    return session.scalar(select(func.count(Change.id)))


def _latest(session) -> Change:
    return session.scalars(select(Change).order_by(Change.id.desc())).first()


def _drone(session) -> Asset:
    return session.scalars(select(Asset).where(Asset.key == "european-drones")).one()


def test_seed_loading_is_recorded_as_such(session):
    seeded = session.scalars(select(Change).where(Change.action == "seed")).all()
    assert [c.actor for c in seeded] == ["seed"]
    subjects = {(r.subject_type, r.subject_id) for r in seeded[0].revisions}
    assert ("asset", _drone(session).id) in subjects
    assert all(r.action == "create" and r.before is None for r in seeded[0].revisions)


def test_an_update_records_only_what_changed(session):
    asset = _drone(session)
    record.attribute(session, EDITOR, "update")
    asset.quantity_low, asset.quantity_high = 12, 20
    session.commit()
    change = _latest(session)
    assert (change.actor, change.user_id, change.action) == ("ana", 7, "update")
    [revision] = change.revisions
    assert (revision.subject_type, revision.subject_id) == ("asset", asset.id)
    assert revert.changed_fields(revision) == [
        ("quantity_low", None, 12), ("quantity_high", None, 20)]


def test_saving_an_unchanged_row_records_nothing(session):
    before = _changes(session)
    asset = _drone(session)
    asset.role = asset.role
    session.commit()
    assert _changes(session) == before


def test_links_to_other_rows_are_recorded_as_ids(session):
    deployment = session.scalars(select(Deployment)).first()
    old = sorted(s.id for s in deployment.sites)
    extra = session.scalars(select(Site).where(Site.id.not_in(old))).first()
    record.attribute(session, EDITOR, "update")
    deployment.sites.append(extra)
    session.commit()
    [revision] = _latest(session).revisions
    assert revert.changed_fields(revision) == [("sites", old, sorted([*old, extra.id]))]


def test_revert_puts_back_the_old_figure_as_a_new_change(session):
    asset = _drone(session)
    record.attribute(session, EDITOR, "update")
    asset.quantity_low = asset.quantity_high = 40
    session.commit()
    edit = _latest(session)
    revert.revert(session, edit, EDITOR)
    session.commit()
    session.refresh(asset)
    assert (asset.quantity_low, asset.quantity_high) == (None, None)
    undo = _latest(session)
    assert (undo.action, undo.reverts_id) == ("revert", edit.id)
    # Both versions stay in the history.
    assert revert.changed_fields(undo.revisions[0]) == [
        ("quantity_low", 40, None), ("quantity_high", 40, None)]


def test_revert_refuses_to_undo_a_later_edit(session):
    asset = _drone(session)
    record.attribute(session, EDITOR, "update")
    asset.quantity_low = 40
    session.commit()
    first = _latest(session)
    record.attribute(session, EDITOR, "update")
    asset.quantity_low = 50
    session.commit()
    with pytest.raises(revert.RevertConflict, match="changed since"):
        revert.revert(session, first, EDITOR)
    session.rollback()
    session.refresh(asset)
    assert asset.quantity_low == 50


def test_a_deleted_row_and_its_citations_come_back_with_their_ids(session):
    asset = _drone(session)
    asset_id, fields = asset.id, record.snapshot(asset)
    cited = session.scalars(select(Citation).where(
        Citation.subject_type == "asset", Citation.subject_id == asset_id)).all()
    quotes = sorted((c.source_id, c.quote) for c in cited)
    assert quotes
    record.attribute(session, EDITOR, "delete")
    for citation in cited:
        session.delete(citation)
    session.delete(asset)
    session.commit()
    assert session.get(Asset, asset_id) is None
    deletion = _latest(session)
    assert {r.action for r in deletion.revisions} == {"delete"}

    revert.revert(session, deletion, EDITOR)
    session.commit()
    session.expire_all()
    restored = session.get(Asset, asset_id)
    assert record.snapshot(restored) == fields
    again = session.scalars(select(Citation).where(
        Citation.subject_type == "asset", Citation.subject_id == asset_id)).all()
    assert sorted((c.source_id, c.quote) for c in again) == quotes


def test_a_rolled_back_change_leaves_no_trace(session):
    before = session.scalar(select(func.count(Revision.id)))
    record.attribute(session, EDITOR, "update")
    _drone(session).quantity_low = 3
    session.flush()
    session.rollback()
    assert session.scalar(select(func.count(Revision.id))) == before


def test_the_first_seed_load_is_dated_by_its_newest_source(session):
    seeded = session.scalars(select(Change).where(Change.action == "seed")).one()
    assert seeded.at.date().isoformat() == "2025-02-21"
    assert seeded.recorded_at.date() > seeded.at.date()


def test_a_database_filled_before_history_gets_a_baseline(session):
    assert record.record_baseline(session) == 0  # the seed is already recorded
    session.execute(Revision.__table__.delete())
    session.execute(Change.__table__.delete())
    recorded = record.record_baseline(session)
    assert recorded == sum(session.scalar(select(func.count()).select_from(model))
                           for model in record.TRACKED.values())
    baseline = session.scalars(select(Change)).one()
    assert baseline.action == "baseline"
    drone = _drone(session)
    [revision] = [r for r in baseline.revisions if r.subject_id == drone.id
                  and r.subject_type == "asset"]
    assert revision.after == record.snapshot(drone)
