"""The data package: valid as the `frictionless` library reads it, filtered without a foreign
key pointing at a row left out, vague figures kept vague, and loaded back into an empty
database row for row and figure for figure, on SQLite and PostgreSQL."""

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import frictionless
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import migrate
from app.browse import queries
from app.browse.overview import OverviewFilters, overview
from app.cli import cli
from app.config import get_settings
from app.db import get_engine
from app.evidence import claims
from app.history import asof, record
from app.packaging import loading, schema, selection, writing
from app.plan.kinds import KINDS
from app.plan.models import Citation, Country, Deployment, Plan, Site, Source
from app.plan.records import Change, Revision
from app.plan.vocab import Credibility, Stage
from tests.databases import fresh_database, seeded_database
from tests.html import soup
from tests.test_csv_export import MARGIN, add_assets, peak_of

runner = CliRunner()


def tables(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {table.name: list(csv.DictReader(io.TextIOWrapper(
            archive.open(f"{table.name}.csv"), encoding="utf-8", newline="")))
            for table in schema.TABLES}


def descriptor_of(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read("datapackage.json"))


def assert_valid(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "package.zip"
    path.write_bytes(content)
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "message"])[:10]


def package_of(session: Session, query: dict[str, list[str]] | None = None) -> bytes:
    return b"".join(writing.package(session.connection(), selection.choose(query or {}),
                                    as_of=None, licence=writing.configured_licence()))


def add_vague_and_disputed(session: Session) -> Deployment:
    """A contingent reported as 'up to 500' by one source and as 2,000-3,000 by another
    (disputed), at two sites; and a source known only through another."""
    plan = session.scalar(select(Plan))
    source = session.scalar(select(Source).order_by(Source.id))
    later = Source(key="package-later", kind="analysis", title="A later analysis",
                   publisher="An outlet", published_on=date(2025, 3, 1), cited_in=source)
    sites = list(session.scalars(select(Site).order_by(Site.id).limit(2)))
    row = Deployment(key="package-vague", plan=plan, role="A contingent of unknown size",
                     stage=Stage.ANNOUNCED, sites=sites, country_code="NO")
    session.add_all([later, row])
    session.flush()
    pending = [
        Citation(subject_type="deployment", subject_id=row.id, source=source, field="troops",
                 high=500, claimed_on=date(2025, 2, 21), quote=None),
        Citation(subject_type="deployment", subject_id=row.id, source=later, field="troops",
                 low=2000, high=3000, best=2500, claimed_on=date(2025, 3, 1),
                 credibility=Credibility.POSSIBLY_TRUE),
    ]
    session.add_all(pending)
    claims.settle(session, row, pending)
    session.commit()
    return row


# --- Valid, whole and filtered ---


def test_the_whole_package_validates_and_holds_every_row(client, session, tmp_path):
    response = client.get("/datapackage.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "datapackage.zip" in response.headers["content-disposition"]
    assert_valid(response.content, tmp_path)
    held = tables(response.content)
    for table in schema.TABLES:
        count = session.scalar(select(func.count()).select_from(table))
        assert len(held[table.name]) == count, table.name
    described = descriptor_of(response.content)
    assert described["licenses"][0]["name"] == get_settings().package_license
    cited = session.scalars(select(Source).order_by(Source.id)).all()
    titles = [s["title"] for s in described["sources"]]
    assert len(titles) == len(cited)
    for source in cited:
        assert f"{source.outlet}, " in next(t for t in titles if t.endswith(source.title))
    assert any(s.get("path") == source.url for s in described["sources"] for source in cited
               if source.url)
    deployment = next(r for r in described["resources"] if r["name"] == "deployment")
    fields = {f["name"]: f for f in deployment["schema"]["fields"]}
    assert fields["stage"]["constraints"]["enum"] == [s.value for s in Stage]
    assert fields["troops_low"]["type"] == "integer"
    assert deployment["schema"]["primaryKey"] == ["id"]
    assert deployment["schema"]["missingValues"] == [""]
    assert {"fields": ["plan_id"], "reference": {"resource": "plan", "fields": ["id"]}} \
        in deployment["schema"]["foreignKeys"]


@pytest.mark.parametrize("query", [
    "country=US", "country=fr&country=DE", "asset_type=drone", "kind=port", "q=odesa",
    "stage=committed&disputed=yes", "since=2025-02-22", "country=US&as_of=2025-02-21",
    "as_of=2025-02-20",
])
def test_a_filtered_package_stays_valid(client, session, tmp_path, query):
    add_vague_and_disputed(session)
    response = client.get(f"/datapackage.zip?{query}")
    assert response.status_code == 200, response.text
    assert_valid(response.content, tmp_path)
    held = tables(response.content)
    # Nothing is there for nothing: each source is cited by a citation in the package, or
    # is the source another one in it was known through; each country is named by a row.
    sources = {r["id"] for r in held["source"]}
    needed = {r["source_id"] for r in held["citation"]} | {
        r["cited_in_id"] for r in held["source"] if r["cited_in_id"]}
    assert sources <= needed or "q=" in query  # a search chooses sources of its own
    named = {r[c.name] for t in schema.CITABLE for r in held[t]
             for c in schema.BY_NAME[t].c if schema.refers_to(c, "country") and r[c.name]}
    if query.startswith("as_of="):  # no filter: every row, every country
        assert len(held["country"]) == session.scalar(select(func.count(Country.code)))
        assert not held["plan"]  # nothing was recorded by then
    else:
        assert {r["code"] for r in held["country"]} == named


def test_a_filter_keeps_what_each_list_keeps_and_what_that_refers_to(client, session):
    row = add_vague_and_disputed(session)
    held = tables(client.get("/datapackage.zip?country=NO").content)
    assert [r["id"] for r in held["deployment"]] == [str(row.id)]
    for kind in (KINDS["deployments"], KINDS["stakeholders"], KINDS["events"]):
        listed = client.get(f"/api/v1/{kind.slug}?country=NO&per_page=500").json()
        ids = {str(item["id"]) for item in listed["items"]}
        assert ids <= {r["id"] for r in held[kind.subject_type]}
    assert {r["site_id"] for r in held["deployment_site"]} == {str(s.id) for s in row.sites}
    assert {r["id"] for r in held["site"]} >= {str(s.id) for s in row.sites}
    assert [r["id"] for r in held["plan"]] == [str(row.plan_id)]
    citations = [r for r in held["citation"] if r["deployment_id"] == str(row.id)]
    assert len(citations) == 2 and all(r["subject_type"] == "deployment" for r in citations)
    # Both sources of its claims, the first also as the one the later was known through.
    later = next(r for r in held["source"] if r["key"] == "package-later")
    assert later["cited_in_id"] in {r["id"] for r in held["source"]}
    assert {r["source_id"] for r in citations} == {later["id"], later["cited_in_id"]}


def test_vague_figures_stay_vague(client, session):
    row = add_vague_and_disputed(session)
    held = tables(client.get("/datapackage.zip").content)
    written = next(r for r in held["deployment"] if r["id"] == str(row.id))
    # The preferred claim is the more credible one: 2,000-3,000, best 2,500, disputed.
    assert (written["troops_low"], written["troops_high"], written["troops_best"],
            written["disputed"], written["claim_count"]) == ("2000", "3000", "2500", "true", "2")
    up_to = next(r for r in held["citation"]
                 if r["deployment_id"] == str(row.id) and r["high"] == "500")
    assert (up_to["low"], up_to["best"], up_to["quote"]) == ("", "", "")
    unknown = next(r for r in held["asset"] if r["quantity_low"] == "")
    assert unknown["quantity_high"] == "" or int(unknown["quantity_high"]) >= 0


@pytest.mark.parametrize(("query", "param"), [
    ("bogus=1", "bogus"), ("country=XX", "country"), ("kind=nothing", "kind"), ("q=a", "q"),
    ("sort=id", "sort"), ("as_of=2025-13-01", "as_of"),
])
def test_a_bad_filter_is_a_422_naming_it(client, query, param):
    response = client.get(f"/datapackage.zip?{query}")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", param]]


def test_pages_and_the_api_docs_link_the_package(client):
    page = soup(client.get("/assets?country=US&sort=-quantity"))
    exports = {a.text: a["href"] for a in page.select(".exports a")}
    assert exports["Data package"] == "/datapackage.zip?country=US"
    sources = soup(client.get("/sources?reliability=F"))
    assert sources.select_one(".exports a[href='/datapackage.zip?reliability=F']") is not None
    assert sources.select_one("footer a[href='/datapackage.zip']") is not None
    brief = soup(client.get("/brief?country=FR"))
    assert brief.select_one("a[href='/datapackage.zip?country=FR']") is not None
    past = soup(client.get("/sources?as_of=2025-02-21"))
    assert past.select_one("footer a[href='/datapackage.zip?as_of=2025-02-21']") is not None
    assert "/datapackage.zip" in client.get("/openapi.json").json()["paths"]
    assert soup(client.get("/docs")).select_one("a[href='/datapackage.zip']") is not None


# --- Loading it back ---


def _rows(session: Session, table) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(table).order_by(*table.primary_key.columns))]


def _figures(session: Session) -> dict:
    out = {}
    for kind in KINDS.values():
        page = queries.list_rows(session=session, kind=kind,
                                 filters=kind.filters(per_page=500), with_facets=False)
        out[kind.slug] = [kind.record(row) for row in page.rows]
    o = overview(session, OverviewFilters())
    out["overview"] = [(h.label, h.troops, h.disputed) for h in o.headlines] + [
        (g.label, g.amount, g.unknown, g.disputed)
        for g in [*o.stages, *o.troops_by_contributor, *o.assets_by_type]]
    odesa = queries.list_rows(session=session, kind=KINDS["sites"],
                              filters=KINDS["sites"].filters(q="odesa"), with_facets=False)
    out["search"] = [row.id for row in odesa.rows]
    return out


def test_the_package_loads_back_row_for_row(session, backend, tmp_path, tmp_path_factory):
    add_vague_and_disputed(session)
    path = tmp_path / "plan.zip"
    path.write_bytes(package_of(session))
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as target:
            report = loading.load(target, path)
        with Session(engine) as target:
            for table in schema.TABLES:
                assert _rows(target, table) == _rows(session, table), table.name
            assert report.rows == sum(len(_rows(session, t)) for t in schema.TABLES)
            assert _figures(target) == _figures(session)
            # One change created every row; its revisions give back the rows as they are.
            (change,) = target.scalars(select(Change)).all()
            assert change.action == "import" and "plan.zip" in change.summary
            state = asof.state_at(target, asof.FOREVER)
            for name, model in record.TRACKED.items():
                for row in target.scalars(select(model)):
                    assert state[(name, row.id)] == record.snapshot(row)
            assert target.scalar(select(func.count(Revision.id))) == len(state)
            # New rows take ids after the loaded ones (PostgreSQL's sequences moved on).
            target.add(Source(key="after-load", kind="reference", title="After the load"))
            target.commit()
        engine.dispose()


def test_loading_refuses_a_database_with_data_and_a_broken_package(session, backend,
                                                                   tmp_path,
                                                                   tmp_path_factory):
    path = tmp_path / "plan.zip"
    content = package_of(session)
    path.write_bytes(content)
    with pytest.raises(loading.PackageError, match="already holds data"):
        loading.load(session, path)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(broken, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "site.csv":
                data = data.replace(b"\n1,", b"\nnot-a-number,", 1)
            out.writestr(name, data)
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        with (Session(engine) as target,
              pytest.raises(loading.PackageError, match=r"site\.csv, line 2, id")):
            loading.load(target, broken)
        with Session(engine) as target:
            for table in schema.TABLES:
                assert not _rows(target, table), f"{table.name} kept rows of a failed load"
        engine.dispose()


def test_the_cli_exports_and_imports_a_package(engine, backend, tmp_path, tmp_path_factory,
                                               monkeypatch):
    path = tmp_path / "us.zip"

    def use(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()

    try:
        use(engine.url.render_as_string(hide_password=False))
        refused = runner.invoke(cli, ["export-package", str(path), "--filter", "bogus=1"])
        assert refused.exit_code == 2 and "bogus" in refused.output
        result = runner.invoke(cli, ["export-package", str(path), "--filter", "country=US",
                                     "--as-of", "2025-02-21"])
        assert result.exit_code == 0, result.output
        described = descriptor_of(path.read_bytes())
        assert described["peaceplan"]["as_of"] == "2025-02-21"
        assert described["peaceplan"]["filter"] == {"country": ["US"]}
        assert_valid(path.read_bytes(), tmp_path)
        with fresh_database(backend, tmp_path_factory) as url:
            use(url)
            loaded = runner.invoke(cli, ["import-package", str(path)])
            assert loaded.exit_code == 0, loaded.output
            with Session(get_engine(url)) as target:
                assets = target.scalars(select(KINDS["assets"].model)).all()
                assert assets and {a.country_code for a in assets} == {"US"}
            get_engine(url).dispose()
    finally:
        get_settings.cache_clear()


# --- Streamed ---


PACKAGE = "/datapackage.zip"


def test_a_package_of_ten_times_the_rows_takes_no_more_memory(app, session):
    add_assets(session, "LU", 2_000)
    add_assets(session, "LT", 18_000)
    session.commit()
    few, many = "country=LU", "country=LU&country=LT"
    peak_of(app, few + "&stage=committed", PACKAGE)  # compiles the statements, fills caches
    small, small_size = peak_of(app, few, PACKAGE)
    large, large_size = peak_of(app, many, PACKAGE)
    assert large_size > 5 * small_size
    assert large <= small + MARGIN, (
        f"a package of {large_size:,} bytes took {large:,} bytes of memory at the peak, "
        f"one of {small_size:,} bytes took {small:,}")


def test_a_package_is_read_in_one_snapshot_while_others_write(backend, tmp_path_factory):
    with seeded_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        pieces = writing.package(engine, selection.choose({}), as_of=None,
                                 licence=writing.configured_licence())
        first = next(pieces)
        with Session(engine) as other:
            other.add(Source(key="written-meanwhile", kind="reference", title="Meanwhile"))
            other.commit()
            count = other.scalar(select(func.count(Source.id)))
        held = tables(first + b"".join(pieces))
        assert "written-meanwhile" not in {r["key"] for r in held["source"]}
        assert len(held["source"]) == count - 1
        engine.dispose()
