"""Filters: parsing of query parameters, and each filter and combination against the seed."""

import pytest
from sqlalchemy import select

from app.browse import queries
from app.plan.filters import parse
from app.plan.kinds import KINDS
from tests.html import soup


def keys(session, slug, **params):
    kind = KINDS[slug]
    filters, problems = parse(kind.filters, {k: v if isinstance(v, list) else [v]
                                             for k, v in params.items()})
    assert problems == []
    page = queries.list_rows(session=session, kind=kind, filters=filters)
    assert page.total == len(page.rows)
    return {row.key for row in page.rows}


MONITORING = {"european-reconnaissance-aircraft", "european-drones", "european-surveillance",
              "european-intelligence"}
BACKSTOP = {"us-fighter-jets-backstop", "us-missiles-backstop"}
CANDIDATE_NPPS = {"candidate-rivne-npp", "candidate-khmelnytskyi-npp",
                  "candidate-south-ukraine-npp"}


@pytest.mark.parametrize(
    ("slug", "params", "expected"),
    [
        ("assets", {}, MONITORING | BACKSTOP),
        ("assets", {"country": "US"}, BACKSTOP),
        ("assets", {"country": "us"}, BACKSTOP),
        ("assets", {"asset_type": "drone"}, {"european-drones"}),
        ("assets", {"asset_type": ["drone", "fighter_jet"]},
         {"european-drones", "us-fighter-jets-backstop"}),
        ("assets", {"country": "US", "asset_type": "drone"}, set()),
        ("assets", {"country": ["US", "FR"], "asset_type": "missile"}, {"us-missiles-backstop"}),
        ("assets", {"posture": "standby"}, BACKSTOP),
        ("assets", {"q": "technical monitoring"}, MONITORING),
        ("assets", {"country": "FR"}, set()),
        ("deployments", {"stage": "floated"}, {"european-reassurance-force"}),
        ("deployments", {"stage": "committed"}, set()),
        ("deployments", {"country": "GB"}, set()),
        ("sites", {"asset_type": "fighter_jet"}, {"eastern-europe"}),
        ("sites", {"kind": "nuclear_power_plant", "basis": "candidate"}, CANDIDATE_NPPS),
        ("sites", {"country": "UA", "kind": "nuclear_power_plant"},
         CANDIDATE_NPPS | {"ukrainian-nuclear-power-plants"}),
        ("stakeholders", {"country": "US", "kind": "person"},
         {"donald-trump", "marco-rubio", "mike-waltz"}),
        ("stances", {"country": ["DE", "ES", "IT"]},
         {"germany-opposes-large-deployment", "spain-opposes-large-deployment",
          "italy-opposes-large-deployment"}),
        ("stances", {"position": "leads"}, {"starmer-leads"}),
        ("demands", {"country": "RU"},
         {"russia-frozen-reserves", "russia-diplomatic-properties", "russia-favourable-agreement"}),
        # A demand involves the country raising it and the one it is addressed to.
        ("demands", {"country": "US"},
         {"us-fair-sustainable-deal", "uk-us-backstop", "russia-frozen-reserves",
          "russia-diplomatic-properties"}),
        ("demands", {"country": "GB"}, {"uk-us-backstop"}),
        ("assets", {"q": "drone"}, {"european-drones"}),
        ("events", {"country": "FR"}, {"european-leaders-concern", "macron-zelensky-talks"}),
        ("events", {"country": ["UA", "CA"]}, {"macron-zelensky-talks", "trudeau-support"}),
        ("events", {"q": "washington"}, {"starmer-trump-washington"}),
        ("force-levels", {"kind": "requested"}, {"ukraine-request-200000"}),
        ("sources", {"kind": "analysis"}, {"isw-russia-concessions-2025-02"}),
    ],
)
def test_filter(session, slug, params, expected):
    assert keys(session, slug, **params) == expected


def facet_counts(session, slug, *, zeros=False, **params):
    """Each facet's counts; only the values some row matches unless `zeros`."""
    kind = KINDS[slug]
    filters = kind.filters(**params)
    page = queries.list_rows(session=session, kind=kind, filters=filters)
    return {f.param: {v.value: v.count for v in f.values if zeros or v.count or v.selected}
            for f in page.facets}


def test_choices_a_filter_leaves_empty_stay_listed_with_zero(session, client):
    everything = facet_counts(session, "assets")
    none_left = facet_counts(session, "assets", zeros=True, q="no such words anywhere")
    for param, counts in everything.items():
        assert none_left[param] == dict.fromkeys(counts, 0), param
    page = soup(client.get("/assets?q=no+such+words+anywhere"))
    drone = page.select_one("#f-asset_type-drone")
    assert drone is not None and drone.find_parent("label").select_one(".count").text == "0"
    assert "No values" not in page.text


def test_a_dimension_no_row_has_offers_no_group(client):
    legends = [legend.text for legend in soup(client.get("/deployments")).select(
        "fieldset.facet legend")]
    assert legends and "Contributor" not in legends


def test_facets_count_every_other_filter(session):
    counts = facet_counts(session, "assets", country=["US"])
    # A dimension's own facet ignores its own selection, so other countries stay choosable.
    assert counts["country"] == {"US": 2}
    assert counts["asset_type"] == {"fighter_jet": 1, "missile": 1}
    assert counts["posture"] == {"standby": 2}

    counts = facet_counts(session, "assets", asset_type=["drone"])
    assert counts["asset_type"] == {
        "reconnaissance_aircraft": 1, "drone": 1, "surveillance": 1, "intelligence": 1,
        "fighter_jet": 1, "missile": 1}
    assert counts["country"] == {}  # the drones' operator is not named


def test_facets_of_related_dimensions(session):
    counts = facet_counts(session, "events", country=["FR"])
    assert counts["country"]["FR"] == 2
    # Trump twice, Rubio and Waltz (the ISW's country is not in the report, so not held).
    assert counts["country"]["US"] == 3
    assert facet_counts(session, "sites")["asset_type"] == {"fighter_jet": 1, "missile": 1}


def test_selected_value_without_matches_is_still_listed(session):
    counts = facet_counts(session, "assets", country=["JP"])
    assert counts["country"]["JP"] == 0


@pytest.mark.parametrize(
    ("query", "problem_params"),
    [
        ({"country": ["ZZ"]}, ["country"]),
        ({"country": ["US", "ZZ", "XX"]}, ["country", "country"]),
        ({"asset_type": ["tank"]}, ["asset_type"]),
        ({"sort": ["nonsense"]}, ["sort"]),
        ({"page": ["0"]}, ["page"]),
        ({"page": ["two"]}, ["page"]),
        ({"per_page": ["100000"]}, ["per_page"]),
    ],
)
def test_bad_values_are_reported_and_dropped(query, problem_params):
    filters, problems = parse(KINDS["assets"].filters, query)
    assert [p.param for p in problems] == problem_params
    assert all(p.message for p in problems)
    if query.get("country", [None])[0] == "US":
        assert filters.country == ["US"]


def test_unknown_country_message_names_the_value():
    _, problems = parse(KINDS["assets"].filters, {"country": ["ZZ"]})
    assert "unknown country code 'ZZ'" in problems[0].message


def test_sort_and_pagination(session):
    kind = KINDS["sites"]
    names = [r.name for r in queries.list_rows(
        session=session, kind=kind, filters=kind.filters(sort="-name", per_page=100)).rows]
    assert names == sorted(names, reverse=True)
    first = queries.list_rows(session=session, kind=kind, filters=kind.filters(per_page=4))
    second = queries.list_rows(session=session, kind=kind,
                               filters=kind.filters(per_page=4, page=2))
    assert first.total == second.total == 11 and first.pages == 3
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    assert (second.first, second.last) == (5, 8)


@pytest.mark.parametrize(("slug", "sort"), [("sites", "country"), ("sites", "-country"),
                                            ("stakeholders", "title"), ("demands", "-addressed_to"),
                                            ("assets", "quantity"), ("events", "happened_on")])
def test_empty_values_sort_last_both_ways(session, slug, sort):
    kind = KINDS[slug]
    col = next(c for c in kind.columns if c.key == sort.lstrip("-"))
    rows = queries.list_rows(session=session, kind=kind,
                             filters=kind.filters(sort=sort, per_page=500)).rows
    values = [col.exports[0].get(row) for row in rows]
    empties = [v is None for v in values]
    assert empties == sorted(empties), f"{slug} sort={sort}: empty values not last"


def test_stages_sort_in_the_order_a_pledge_moves_through(session):
    from app.plan.models import Deployment, Plan

    plan = session.scalars(select(Plan)).first()
    for stage in ("withdrawn", "committed", "announced"):
        session.add(Deployment(key=f"s-{stage}", plan_id=plan.id, role=stage, stage=stage))
    session.flush()
    kind = KINDS["deployments"]
    rows = queries.list_rows(session=session, kind=kind, filters=kind.filters(sort="stage")).rows
    assert [r.stage.value for r in rows] == ["floated", "announced", "committed", "withdrawn"]
