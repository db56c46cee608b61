"""Deployments and assets are tallied once per data version: after an edit, the overview
and the list pages under any filter of their columns read each table once, and what they
show is what the database's own GROUP BY says."""

import re

import pytest
from sqlalchemy import delete, select, true

from app.browse import queries, tallies
from app.caching import stamp
from app.plan import kinds
from app.plan.filters import parse
from app.plan.models import Asset, Citation, Deployment, Source
from app.plan.records import DataStamp
from app.plan.vocab import AssetType
from tests.test_query_budget import counting, grow

#: Pages an editor's readers open after an edit, each a different filter.
PAGES = ["/", "/?country=FR", "/?country=FR&country=GB", "/assets",
         "/assets?country=FR&asset_type=drone", "/assets?posture=monitoring&sort=-quantity",
         "/assets?stage=floated&page=2&per_page=10", "/deployments",
         "/deployments?stage=floated&country=FR", "/deployments?disputed=yes"]


def reads_of(statements: list[str], table: str) -> dict[str, int]:
    """Statements that aggregate a table's rows, and those joining its citations."""
    of_table = [s for s in statements if re.search(rf"\b(FROM|JOIN) {table}\b", s)]
    return {
        "aggregates": sum(1 for s in of_table if re.search(r"\b(count|sum)\(", s)),
        "citations": sum(1 for s in of_table if "citation" in s and "DISTINCT" in s),
    }


def test_after_an_edit_every_page_and_filter_reads_each_table_once(client, session):
    grow(session, 30)
    for path in PAGES:  # built once at this version: the next edit must empty all of it
        assert client.get(path).status_code == 200
    grow(session, 1, start=30)  # the edit
    with counting(session) as statements:
        for path in PAGES:
            assert client.get(path).status_code == 200, path
    # Before tallies: a COUNT, four or five facets and up to three sums for each page.
    assert reads_of(statements, "asset") == {"aggregates": 1, "citations": 1}
    # And the kinds of site a contingent is at, many to one row: one GROUP BY of its own.
    assert reads_of(statements, "deployment") == {"aggregates": 2, "citations": 1}


def test_a_search_or_another_sum_still_asks_the_database(client, session):
    grow(session, 3)
    with counting(session) as statements:
        assert client.get("/assets?q=extra").status_code == 200
    assert reads_of(statements, "asset")["aggregates"] >= 2  # its count and its facets


FILTERS = {
    "assets": ["", "country=FR", "country=FR&country=GB&asset_type=drone",
               "posture=monitoring&stage=floated", "disputed=yes", "disputed=no&country=FR",
               "asset_type=drone&asset_type=air_defence&page=2"],
    "deployments": ["", "country=FR", "stage=floated&stage=committed", "disputed=yes",
                    "country=DE&country=FR&stage=floated"],
}
SUMS = {"assets": (Asset.quantity_low, Asset.quantity_high,
                   [[Asset.asset_type], [Asset.asset_type, Asset.posture], [Asset.country_code]]),
        "deployments": (Deployment.troops_low, Deployment.troops_high,
                        [[Deployment.country_code], [Deployment.stage],
                         [Deployment.country_code, Deployment.stage]])}


def _filters(kind, query):
    pairs = [p.split("=") for p in query.split("&") if p]
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    filters, problems = parse(kind.filters, values)
    assert not problems
    return filters


def _figures(session, kind, filters):
    low, high, keys = SUMS[kind.slug]
    page = queries.list_rows(session=session, kind=kind, filters=filters)
    return {
        "total": page.total,
        "facets": page.facets,
        "sums": [sorted(queries.sums_by(session, kind=kind, filters=filters,
                                        key=k if len(k) > 1 else k[0], low=low, high=high),
                        key=repr)
                 for k in keys],
        "sources": {k: sorted(s.id for s in v) for key in ([Deployment.country_code,
                                                             Deployment.stage]
                                                            if kind.slug == "deployments"
                                                            else [Asset.asset_type])
                    for k, v in queries.sources_by(session, kind=kind, filters=filters,
                                                   key=key).items()},
    }


@pytest.mark.parametrize("slug", list(FILTERS))
def test_tallied_figures_are_the_databases(session, monkeypatch, slug):
    grow(session, 12)
    # Rows of every shape: disputed, open-ended, of no figure at all.
    for i, row in enumerate(session.query(kinds.KINDS[slug].model).limit(6)):
        row.disputed = i % 2 == 0
        low, high = SUMS[slug][0].key, SUMS[slug][1].key
        setattr(row, low, None if i % 3 == 0 else 5)
        setattr(row, high, None if i % 3 != 2 else 9)
    session.flush()
    kind = kinds.KINDS[slug]
    for query in FILTERS[slug]:
        filters = _filters(kind, query)
        assert tallies.TALLIES[slug].answers(filters), query
        tallied = _figures(session, kind, filters)
        with monkeypatch.context() as m:
            # Every combination's index and roll-up built at once.
            m.setattr(tallies.Groups, "BUILD_AFTER", 0)
            indexed = _figures(session, kind, filters)
        with monkeypatch.context() as m:
            # Too many combinations to look up: the groups are checked one by one.
            m.setattr(tallies.Groups, "MAX_LOOKUPS", 0)
            checked = _figures(session, kind, filters)
        with monkeypatch.context() as m:
            m.setattr(tallies, "TALLIES", {})
            asked = _figures(session, kind, filters)
        assert tallied == asked, query
        assert checked == asked, query
        assert indexed == asked, query
        assert tallied["total"] > 0 or query.startswith("disputed"), query


def test_sums_keep_the_databases_order(session):
    grow(session, 5)
    filters = _filters(kinds.DEPLOYMENTS, "")
    args = {"kind": kinds.DEPLOYMENTS, "filters": filters, "key": Deployment.country_code,
            "low": Deployment.troops_low, "high": Deployment.troops_high}
    tallied = queries.sums_by(session, **args)
    asked = queries.sums_by(session, **args, extra=[true()])
    # Keys of equal sums may come in either order; the sums' order is the same.
    assert [g.high for g in tallied] == [g.high for g in asked]
    assert sorted(map(repr, tallied)) == sorted(map(repr, asked))


def _tokens(session):
    session.info.clear()
    return stamp.seen(session).token, stamp.grouping(session)


def test_an_edit_of_figures_keeps_the_sources_per_group(session, client):
    grow(session, 3)
    asset = session.scalars(select(Asset).where(Asset.key == "extra-asset-0")).one()
    assert client.get("/").status_code == 200
    data, grouping = _tokens(session)
    asset.quantity_high = 40
    session.flush()
    after = _tokens(session)
    assert after[0] != data and after[1] == grouping
    with counting(session) as statements:
        assert client.get("/").status_code == 200
    # The tallies again (new figures), but not which sources each group cites.
    assert reads_of(statements, "asset") == {"aggregates": 1, "citations": 0}


@pytest.mark.parametrize("change", ["country", "citation", "new row"])
def test_a_row_moved_or_cited_anew_regroups(session, change):
    grow(session, 3)
    asset = session.scalars(select(Asset).where(Asset.key == "extra-asset-0")).one()
    kind = kinds.ASSETS
    filters = _filters(kind, "")
    tallied = queries.sources_by(session, kind=kind, filters=filters, key=Asset.asset_type)
    _, grouping = _tokens(session)
    if change == "country":
        asset.country_code = "DE"
        asset.asset_type = AssetType.HELICOPTER
    elif change == "citation":
        other = session.scalars(select(Source).where(Source.id != 1)).first()
        session.add(Citation(subject_type="asset", subject_id=asset.id, source_id=other.id))
    else:
        grow(session, 1, start=3)
    session.flush()
    assert _tokens(session)[1] != grouping
    after = queries.sources_by(session, kind=kind, filters=filters, key=Asset.asset_type)
    asked = queries.sources_by(session, kind=kind, filters=filters, key=Asset.asset_type,
                               extra=[true()])
    assert {k: [s.id for s in v] for k, v in after.items()} == \
        {k: [s.id for s in v] for k, v in asked.items()}
    if change != "new row":
        assert after != tallied


def test_the_grouping_row_is_made_by_the_first_edit_of_figures(session):
    grow(session, 1)
    session.execute(delete(DataStamp).where(DataStamp.id == stamp.GROUPING))
    asset = session.scalars(select(Asset).where(Asset.key == "extra-asset-0")).one()
    asset.quantity_high = 5
    session.flush()
    first = _tokens(session)
    asset.quantity_high += 1
    session.flush()
    second = _tokens(session)
    assert second[0] != first[0] and second[1] == first[1]


@pytest.mark.parametrize(("slug", "query"), [
    ("sites", ""), ("sites", "country=UA&asset_type=drone"), ("events", "country=FR"),
    ("stances", ""), ("demands", "country=UA"), ("assets", "q=extra&country=FR"),
    ("deployments", "q=extra&stage=floated"),
])
def test_every_facet_in_one_statement_counts_as_each_alone(session, slug, query):
    grow(session, 4)
    kind = kinds.KINDS[slug]
    filters = _filters(kind, query)
    with counting(session) as statements:
        together = queries.facets(session, kind, filters)
    assert len(statements) == 1
    assert together == [queries.facet(session, kind, dim, filters) for dim in kind.dims]
