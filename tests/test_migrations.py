"""Alembic owns the schema: up to head and back down to base, and head matches the models."""

import hashlib
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, bindparam, column, inspect, select, table, text
from sqlalchemy.orm import Session

from app import migrate
from app.config import get_settings
from app.db import get_engine
from app.history import asof
from app.plan.models import Base, Site
from tests.databases import BACKENDS, fresh_database, seeded_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_to_head_and_downgrade_to_base(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_name": migrate.described})
            assert compare_metadata(context, Base.metadata) == []
        migrate.downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)  # and up again from base
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()


BEFORE_EVIDENCE = "5c1f0e7a9b21"
REPORT = ("Britain proposes 30,000 European troops. Germany is wary.\n"
          "Officials said the force would sit in cities and ports.")


def _old_plan(conn) -> None:
    """Plan data as the schema before claims held it: statuses, one citation per row and
    source, several quotes of one source joined by " […] "."""
    run = conn.exec_driver_sql
    run("INSERT INTO country (code, name, nato, eu) VALUES ('GB', 'United Kingdom', true, "
        "false), ('FR', 'France', true, true)")
    run("INSERT INTO source (id, key, kind, title, published_on, text, version) VALUES "
        f"(1, 'r', 'news_report', 'Report', '2025-02-21', '{REPORT}', 1), "
        "(2, 'i', 'analysis', 'Cited analysis', NULL, NULL, 1)")
    run("INSERT INTO plan (id, key, title, status, certainty, version, created_at, updated_at)"
        " VALUES (1, 'p', 'Plan', 'proposed', 'reported', 1, '2025-02-21', '2025-02-21')")
    run("INSERT INTO site (id, key, name, kind, basis, certainty, version, created_at, "
        "updated_at) VALUES (1, 's', 'Cities', 'city', 'unnamed', 'reported', 1, "
        "'2025-02-21', '2025-02-21')")
    for i, (status, low, high) in enumerate([("proposed", 30000, 30000),
                                             ("pledged", 1000, 2000), ("confirmed", None, 500)],
                                            start=1):
        run("INSERT INTO deployment (id, key, plan_id, role, troops_low, troops_high, status, "
            "certainty, version, created_at, updated_at) VALUES "
            f"({i}, 'd{i}', 1, 'Contingent {i}', {low or 'NULL'}, {high or 'NULL'}, "
            f"'{status}', 'reported', 1, '2025-02-21', '2025-02-21')")
    run("INSERT INTO deployment_site (deployment_id, site_id) VALUES (1, 1)")
    run("INSERT INTO asset (id, key, plan_id, asset_type, posture, status, role, certainty, "
        "version, created_at, updated_at) VALUES (1, 'a', 1, 'drone', 'monitoring', "
        "'proposed', 'Monitoring', 'reported', 1, '2025-02-21', '2025-02-21')")
    run("INSERT INTO force_level (id, key, plan_id, kind, troops_low, troops_high, certainty, "
        "version, created_at, updated_at) VALUES (1, 'f', 1, 'proposed', 30000, 30000, "
        "'reported', 1, '2025-02-21', '2025-02-21')")
    quotes = [("deployment", 1, 1, "proposes 30,000 European troops […] in cities and ports"),
              ("deployment", 1, 2, None), ("deployment", 2, 1, "Germany is wary"),
              ("deployment", 3, 1, None), ("asset", 1, 1, "the force"),
              ("force_level", 1, 1, "30,000 European troops"), ("site", 1, 1, "cities")]
    for subject, subject_id, source_id, quote in quotes:
        conn.execute(text(
            "INSERT INTO citation (subject_type, subject_id, source_id, quote, version) "
            "VALUES (:subject, :subject_id, :source_id, :quote, 1)"),
            {"subject": subject, "subject_id": subject_id, "source_id": source_id,
             "quote": quote})


FIGURES = {"deployment": "troops", "asset": "quantity", "force_level": "troops"}


def _figures(conn) -> dict[tuple[str, int], tuple]:
    return {(table, row_id): (low, high)
            for table, figure in FIGURES.items()
            for row_id, low, high in conn.exec_driver_sql(
                f"SELECT id, {figure}_low, {figure}_high FROM {table}")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_citation_becomes_a_claim_and_no_figure_changes(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine, BEFORE_EVIDENCE)
        with engine.begin() as conn:
            _old_plan(conn)
            figures = _figures(conn)
            cited = conn.exec_driver_sql(
                "SELECT subject_type, subject_id, source_id FROM citation").all()
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert _figures(conn) == figures  # nothing lost, nothing moved
            rows = conn.exec_driver_sql(
                "SELECT subject_type, subject_id, source_id, quote, prefix, field, low, high, "
                "claimed_on FROM citation ORDER BY id").all()
            # Each old citation is still there; on a figure row, as a claim at its figure.
            assert {(r[0], r[1], r[2]) for r in rows} == {tuple(c) for c in cited}
            for subject, subject_id, source_id, quote, prefix, field, low, high, on in rows:
                if subject in FIGURES:
                    assert field == FIGURES[subject]
                    assert (low, high) == figures[(subject, subject_id)]
                    assert str(on) == ("2025-02-21" if source_id == 1 else "None")
                else:
                    assert field is None
                if quote and source_id == 1:
                    assert quote in REPORT and prefix is not None  # anchored in the text
            # Joined quotes became one anchored citation each.
            split = [r[3] for r in rows if (r[0], r[1], r[2]) == ("deployment", 1, 1)]
            assert split == ["proposes 30,000 European troops", "in cities and ports"]
            stages = dict(conn.exec_driver_sql("SELECT id, stage FROM deployment").all())
            assert stages == {1: "floated", 2: "committed", 3: "committed"}
            counts = dict(conn.exec_driver_sql("SELECT id, claim_count FROM deployment").all())
            assert counts == {1: 3, 2: 1, 3: 1}
            assert conn.exec_driver_sql("SELECT count(*) FROM deployment_site").scalar() == 1
            sha = conn.exec_driver_sql("SELECT sha256 FROM source WHERE id = 1").scalar()
            assert sha == hashlib.sha256(REPORT.encode()).hexdigest()
        migrate.downgrade(engine, BEFORE_EVIDENCE)  # and back, the links kept
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM deployment_site").scalar() == 1
            assert _figures(conn) == figures
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_seeded_database_goes_down_to_base(backend, tmp_path_factory):
    # SQLite rebuilds a table to alter it: with foreign keys enforced, dropping the old
    # copy failed (or cascaded to the rows linked to it).
    with seeded_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_the_commands_take_the_revision_as_the_readme_writes_it(tmp_path, monkeypatch):
    """`peaceplan migrate [REVISION]` and `peaceplan downgrade [REVISION]`: a positional
    revision, as the README shows."""
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        up = runner.invoke(cli, ["migrate", BEFORE_EVIDENCE])
        assert up.exit_code == 0, up.output
        assert _at(get_engine()) == BEFORE_EVIDENCE
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["downgrade", BEFORE_EVIDENCE]).exit_code == 0
        assert _at(get_engine()) == BEFORE_EVIDENCE
    finally:
        get_engine().dispose()
        get_settings.cache_clear()


def _at(engine) -> str | None:
    with engine.connect() as conn:
        return migrate.current(conn)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sites_get_the_precision_their_values_show(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine, "f5_throttle_scopes")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO country (code, name, nato, eu) VALUES ('UA', 'Ukraine', false, "
                "false)")
            for i, (key, country, lat, lon) in enumerate([
                    ("port", "'UA'", 46.5, 30.75), ("cities", "'UA'", None, None),
                    ("eastern-europe", "NULL", None, None), ("nowhere", "NULL", None, None)],
                    start=1):
                conn.exec_driver_sql(
                    "INSERT INTO site (id, key, name, kind, basis, certainty, country_code, "
                    "latitude, longitude, version, created_at, updated_at) VALUES "
                    f"({i}, '{key}', '{key}', 'city', 'unnamed', 'reported', {country}, "
                    f"{lat or 'NULL'}, {lon or 'NULL'}, 1, '2025-02-21', '2025-02-21')")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT key, precision, region_code, region_name FROM site ORDER BY id").all()
        assert [tuple(r) for r in rows] == [
            ("port", "point", None, None), ("cities", "country", None, None),
            ("eastern-europe", "region", None, "Eastern Europe"),
            ("nowhere", "unknown", None, None)]
        migrate.downgrade(engine, "f5_throttle_scopes")
        columns = {c["name"] for c in inspect(engine).get_columns("site")}
        assert "precision" not in columns and "latitude" in columns
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM site").scalar() == 4
        engine.dispose()



def _site_snapshot(row_id: int, key: str, country: str | None, lat: float | None) -> dict:
    """A site as the history recorded it before sites had a precision."""
    return {"id": row_id, "key": key, "name": key, "kind": "city", "basis": "unnamed",
            "certainty": "reported", "country_code": country, "latitude": lat,
            "longitude": None if lat is None else 30.75, "note": None}


def _revisions(conn) -> dict[tuple, dict]:
    """Every snapshot, by (kind, row id, change id, "before" or "after")."""
    revision = table("revision", column("change_id"), column("subject_type"),
                     column("subject_id"), column("before", JSON), column("after", JSON))
    out = {}
    for change_id, subject, subject_id, before, after in conn.execute(select(revision)):
        for side, data in (("before", before), ("after", after)):
            if data is not None:
                out[(subject, subject_id, change_id, side)] = data
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorded_sites_get_the_precision_their_values_show(backend, tmp_path_factory):
    sites = [_site_snapshot(1, "port", "UA", 46.5), _site_snapshot(2, "cities", "UA", None),
             _site_snapshot(3, "eastern-europe", None, None),
             _site_snapshot(4, "nowhere", None, None)]
    located_later = {**sites[1], "latitude": 50.45, "longitude": 30.52}
    asset = {"id": 1, "key": "a", "asset_type": "drone", "site_id": 1}
    history = [(1, "site", s["id"], None, s) for s in sites]
    # (The asset comes after the days viewed below, which would need all of its fields.)
    history += [(2, "site", 2, sites[1], located_later), (3, "asset", 1, None, asset)]
    insert_revision = text(
        "INSERT INTO revision (change_id, subject_type, subject_id, action, before, after) "
        "VALUES (:c, :s, :i, :a, :before, :after)").bindparams(
            bindparam("before", type_=JSON), bindparam("after", type_=JSON))
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine, "f5_throttle_scopes")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO country (code, name, nato, eu) VALUES "
                                 "('UA', 'Ukraine', false, false)")
            for change_id, at in ((1, "2025-02-21 12:00:00"), (2, "2025-02-28 12:00:00"),
                                  (3, "2025-03-05 12:00:00")):
                conn.execute(text(
                    "INSERT INTO change (id, at, recorded_at, actor, action, summary) VALUES "
                    "(:id, :at, :at, 'seed', 'seed', 'Recorded')"), {"id": change_id, "at": at})
            for change_id, subject, subject_id, before, after in history:
                conn.execute(insert_revision, {
                    "c": change_id, "s": subject, "i": subject_id,
                    "a": "update" if before else "create", "before": before, "after": after})
            recorded = _revisions(conn)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            now = _revisions(conn)
        assert {k: v.get("precision") for k, v in now.items()} == {
            ("site", 1, 1, "after"): "point", ("site", 2, 1, "after"): "country",
            ("site", 3, 1, "after"): "region", ("site", 4, 1, "after"): "unknown",
            ("site", 2, 2, "before"): "country", ("site", 2, 2, "after"): "point",
            ("asset", 1, 3, "after"): None}
        assert now[("asset", 1, 3, "after")] == asset  # other kinds untouched
        assert now[("site", 3, 1, "after")]["region_name"] == "Eastern Europe"
        assert all({"region_code", "region_name"} <= set(data)
                   for (kind, *_), data in now.items() if kind == "site")
        # The past reads as the present does: on the first day, the site located a week
        # later was a country-level category, not a site of unknown location.
        with Session(engine) as live:
            for day, expected in ((date(2025, 2, 22), {1: "point", 2: "country"}),
                                  (date(2025, 3, 1), {1: "point", 2: "point"})):
                _, past = asof.view(live, day)
                with past:
                    shown = dict(past.execute(select(Site.id, Site.precision)).all())
                assert shown == {**expected, 3: "region", 4: "unknown"}
        migrate.downgrade(engine, "f5_throttle_scopes")  # and back as they were recorded
        with engine.connect() as conn:
            assert _revisions(conn) == recorded
        engine.dispose()
