"""The seed data: loaded idempotently, every fact of the report in it, each with its source."""

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import migrate
from app.db import get_engine
from app.loading import corrections, seed
from app.plan.kinds import KINDS
from app.plan.models import (
    Asset,
    Citation,
    Country,
    Demand,
    Deployment,
    Event,
    ForceLevel,
    Site,
    Source,
    Stakeholder,
    Stance,
)
from app.plan.vocab import AssetType, DatePrecision, Position, Posture, SiteBasis
from tests.databases import fresh_database

REPORT = "report-2025-02-21"


def _by_key(session, model):
    return {row.key: row for row in session.scalars(select(model))}


def _counts(session):
    return {
        kind.slug: session.scalar(select(func.count()).select_from(kind.model))
        for kind in KINDS.values()
    } | {"citations": session.scalar(select(func.count()).select_from(Citation))}


def _records(counts: dict[str, int], session) -> int:
    """Everything a load reads and reports on: rows, citations and countries."""
    return sum(counts.values()) + session.scalar(select(func.count()).select_from(Country))


def test_seeding_twice_changes_nothing(session):
    before = _counts(session)
    report = seed.load(session)
    assert (report.created, report.updated, report.corrected) == (0, 0, 0)
    # Every record the first load created is reported unchanged, not some of them.
    assert report.unchanged == _records(before, session)
    assert _counts(session) == before


def test_a_first_load_reports_what_it_created(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as fresh:
            report = seed.load(fresh)
            assert report.updated == 0 and report.unchanged == 0
            assert report.created == _records(_counts(fresh), fresh)
            assert report.corrected == sum(1 for fix in corrections.read(seed.SEEDS_DIR)
                                           if fix.field is not None for _ in fix.keys)
            assert str(report).endswith(f"{report.corrected} corrections applied")
        engine.dispose()


def test_seed_restores_an_edited_row(session):
    row = session.scalars(select(ForceLevel).where(ForceLevel.key == "uk-proposal-30000")).one()
    row.troops_high = 31000
    session.flush()
    assert seed.load(session).updated == 1
    session.refresh(row)
    assert row.troops_high == 30000


def test_every_fact_row_cites_a_source(session):
    for kind in KINDS.values():
        if not kind.cited:
            continue
        ids = set(session.scalars(select(kind.model.id)))
        cited = set(session.scalars(
            select(Citation.subject_id).where(Citation.subject_type == kind.subject_type)))
        assert ids <= cited, f"{kind.slug} without a source: {ids - cited}"


def test_every_quote_is_in_its_source(session):
    for citation in session.scalars(select(Citation)):
        if citation.quote is None:
            continue
        text = citation.source.text or citation.source.cited_in.text
        for part in citation.quote.split(" […] "):
            assert part in text, f"not in {citation.source.key}: {part!r}"


def test_headline_figures(session):
    levels = _by_key(session, ForceLevel)
    proposed, requested = levels["uk-proposal-30000"], levels["ukraine-request-200000"]
    assert (proposed.troops_low, proposed.troops_high, proposed.kind) == (30000, 30000, "proposed")
    assert proposed.advocate.name == "Keir Starmer"
    assert (requested.troops_low, requested.troops_high) == (200000, 200000)
    assert requested.advocate.name == "Volodymyr Zelensky"


def test_contributors_are_not_invented(session):
    force = _by_key(session, Deployment)["european-reassurance-force"]
    assert force.country_code is None and "not yet named" in force.country_note
    assert (force.troops_low, force.troops_high) == (30000, 30000)
    assert {s.kind for s in force.sites} == {
        "city", "port", "critical_infrastructure", "nuclear_power_plant"}
    assert all(s.basis == SiteBasis.UNNAMED and s.latitude is None for s in force.sites)


def test_assets_of_the_report(session):
    assets = session.scalars(select(Asset)).all()
    monitoring = {a.asset_type for a in assets if a.posture == Posture.MONITORING}
    assert monitoring == {AssetType.RECONNAISSANCE_AIRCRAFT, AssetType.DRONE,
                          AssetType.SURVEILLANCE, AssetType.INTELLIGENCE}
    backstop = {a.asset_type for a in assets if a.posture == Posture.STANDBY}
    assert backstop == {AssetType.FIGHTER_JET, AssetType.MISSILE}
    # No quantity is reported for any asset.
    assert all(a.quantity_low is None and a.quantity_high is None for a in assets)
    assert {a.site.key for a in assets if a.country_code == "US"} == {"eastern-europe"}


def test_stakeholders_and_stances(session):
    names = {s.name for s in session.scalars(select(Stakeholder))}
    assert {"Keir Starmer", "Emmanuel Macron", "Volodymyr Zelensky", "Donald Trump",
            "Marco Rubio", "Mike Waltz", "Trudeau", "NATO",
            "Institute for the Study of War"} <= names
    stances = {(s.stakeholder.country_code, s.position) for s in session.scalars(select(Stance))}
    assert {("GB", Position.LEADS), ("FR", Position.SUPPORTS), ("DE", Position.OPPOSES),
            ("ES", Position.OPPOSES), ("IT", Position.OPPOSES),
            ("CA", Position.SUPPORTS)} <= stances


def test_demands_of_russia_and_the_us(session):
    demands = _by_key(session, Demand)
    russia = {k for k, d in demands.items() if d.raised_by.country_code == "RU"}
    assert {"russia-frozen-reserves", "russia-diplomatic-properties"} <= russia
    assert demands["us-fair-sustainable-deal"].raised_by.name == "Marco Rubio"
    isw = _by_key(session, Source)["isw-russia-concessions-2025-02"]
    assert isw.cited_in.key == REPORT
    cited_isw = set(session.scalars(select(Citation.subject_id).where(
        Citation.source_id == isw.id, Citation.subject_type == "demand")))
    assert {demands[k].id for k in russia} <= cited_isw


def test_events_carry_their_precision(session):
    events = _by_key(session, Event)
    assert events["plan-reported"].precision == DatePrecision.DAY
    washington = events["starmer-trump-washington"]
    assert (washington.precision, washington.location) == (DatePrecision.WEEK, "Washington")
    assert {p.name for p in washington.participants} == {"Keir Starmer", "Donald Trump"}
    assert events["macron-zelensky-talks"].precision == DatePrecision.ON_OR_BEFORE


@pytest.mark.parametrize("key", ["candidate-rivne-npp", "candidate-port-odesa"])
def test_candidate_sites_are_flagged_and_placed(session, key):
    site = _by_key(session, Site)[key]
    assert site.basis == SiteBasis.CANDIDATE
    assert 44 < site.latitude < 53 and 22 < site.longitude < 41  # inside Ukraine's bounds
    assert site.country_code == "UA"


def test_countries_come_with_memberships(session):
    from app.plan.models import Country

    countries = {c.code: c for c in session.scalars(select(Country))}
    assert len(countries) >= 249
    assert countries["FR"].nato and countries["FR"].eu
    assert countries["GB"].nato and not countries["GB"].eu
    assert not countries["UA"].nato


# --- The loader itself, on edited copies of the seed files ---


@pytest.fixture
def seeds_copy(tmp_path):
    import shutil

    target = tmp_path / "seeds"
    shutil.copytree(seed.SEEDS_DIR, target)
    return target


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rows_may_refer_to_later_rows_of_their_section(seeds_copy, tmp_path):
    from sqlalchemy.orm import Session

    from app import migrate
    from app.db import get_engine

    sources = seeds_copy / "sources.yaml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["sources"].reverse()  # the ISW report now comes before the report citing it
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    engine = get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate.upgrade(engine)
    with Session(engine) as fresh:
        seed.load(fresh, seeds_copy)
        isw = _by_key(fresh, Source)["isw-russia-concessions-2025-02"]
        assert isw.cited_in.key == REPORT
        assert seed.load(fresh, seeds_copy).changed is False
    engine.dispose()


def test_fields_and_citations_left_out_are_removed(session, seeds_copy):
    plan_file = seeds_copy / "reassurance-force.yaml"
    condition = ("    condition: To be raised with the US in Starmer's talks with Trump; no US "
                 "answer in the report.\n")
    link = "    condition_demand: uk-us-backstop\n"
    _edit(plan_file, condition + link + "    cite: &backstop", link + "    cite: &backstop")
    _edit(plan_file, "      - {source: isw-russia-concessions-2025-02, quote: null}\n", "")
    report = seed.load(session, seeds_copy)
    assert report.updated == 2
    assets = _by_key(session, Asset)
    assert assets["us-fighter-jets-backstop"].condition is None
    assert assets["us-missiles-backstop"].condition is not None
    reserves = _by_key(session, Demand)["russia-frozen-reserves"]
    cited = session.scalars(select(Citation).where(Citation.subject_type == "demand",
                                                   Citation.subject_id == reserves.id)).all()
    assert [c.source.key for c in cited] == [REPORT]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("\nevents:\n", "\nevnts:\n", "unknown section 'evnts'"),
        ("  - key: trudeau-support\n", "  - key: isw-report\n", "events/isw-report is also"),
        ("    precision: week\n", "    precision: fortnight\n",
         "events 'starmer-trump-washington': ValueError"),
        ("    advocate: keir-starmer\n", "    advocate: keir-starmr\n",
         "refers to unknown stakeholder 'keir-starmr'"),
        ("    position: leads\n", "    position: leads\n    mood: sunny\n", "unknown field 'mood'"),
    ],
)
def test_bad_seed_files_name_the_problem(session, seeds_copy, old, new, message):
    _edit(seeds_copy / "reassurance-force.yaml", old, new)
    with pytest.raises(seed.SeedError, match=message):
        seed.load(session, seeds_copy)
