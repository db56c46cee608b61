"""Search: the words people see find rows, in the lists' `q` and on `/search`, on SQLite and
PostgreSQL alike, and the index follows every write."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.history.asof import today
from app.plan.kinds import KINDS
from app.plan.models import Site
from app.search import words
from tests.html import form_values, result_ids, soup
from tests.test_api_writes import _json
from tests.test_editing import valid_data
from tests.test_importing import _confirm, _csv, _upload

BACKSTOP = {"us-fighter-jets-backstop", "us-missiles-backstop"}


def ids_of(session, slug: str, keys: set[str]) -> set[int]:
    model = KINDS[slug].model
    return set(session.scalars(select(model.id).where(model.key.in_(keys))))


# --- The words people see, in every list's `q` ---

SEEN = [
    ("assets", "Missiles", {"us-missiles-backstop"}),
    ("assets", "missile", {"us-missiles-backstop"}),
    ("assets", "missil", {"us-missiles-backstop"}),
    ("assets", "Fighter jets", {"us-fighter-jets-backstop"}),
    ("assets", "fighter jet", {"us-fighter-jets-backstop"}),
    ("assets", "Eastern Europe", BACKSTOP),
    ("assets", "Drones", {"european-drones"}),
    ("assets", "drone", {"european-drones"}),
    ("assets", "United States", BACKSTOP),  # the operator's name, not only its code
    ("assets", "on standby", BACKSTOP),  # a posture's label
    ("sites", "Odessa", {"candidate-port-odesa"}),
    ("sites", "odesa", {"candidate-port-odesa"}),
    ("sites", "ÓDESA", {"candidate-port-odesa"}),  # case and accents folded
    ("stakeholders", "Zelenskyy", {"volodymyr-zelensky"}),
    ("stakeholders", "Zelenskiy", {"volodymyr-zelensky"}),
    ("stakeholders", "zelensky", {"volodymyr-zelensky"}),
]


@pytest.mark.parametrize(("slug", "q", "keys"), SEEN)
def test_a_list_finds_rows_by_the_words_on_the_page(client, session, slug, q, keys):
    expected = ids_of(session, slug, keys)
    assert len(expected) == len(keys)
    page = client.get(f"/{slug}", params={"q": q})
    assert page.status_code == 200
    assert result_ids(page, slug) == expected
    api = client.get(f"/api/v1/{slug}", params={"q": q})
    assert api.status_code == 200
    assert {item["id"] for item in api.json()["items"]} == expected
    csv = client.get(f"/{slug}.csv", params={"q": q})
    assert csv.status_code == 200
    assert {int(line.split(",")[0]) for line in csv.text.splitlines()[1:]} == expected


def test_a_list_search_needs_every_word(client, session):
    page = client.get("/assets", params={"q": "missiles drones"})
    assert result_ids(page, "assets") == set()


# --- One search over every kind ---


def test_the_search_page_groups_marked_results_by_kind(client, session):
    page = client.get("/search", params={"q": "Eastern Europe"})
    assert page.status_code == 200
    html = soup(page)
    groups = {section.h2["id"].removeprefix("found-"): section
              for section in html.select("section.search-group")}
    assert {"assets", "sites", "demands"} <= set(groups)
    assets = groups["assets"]
    assert assets.select_one("h2 .count").get_text() == "2"
    links = {a["href"] for a in assets.select(".hits li > a")}
    assert links == {f"/assets/{i}" for i in ids_of(session, "assets", BACKSTOP)}
    # The asset is found by its site's name, and the page says where the words are.
    matched = assets.select(".hits .matched")
    assert any("Based at" in m.get_text() for m in matched)
    assert {m.get_text() for m in assets.select("mark")} == {"Eastern", "Europe"}
    site = groups["sites"].select_one(".hits li > a")
    assert [m.get_text() for m in site.select("mark")] == ["Eastern", "Europe"]
    # The count per kind is the number of rows the kind's own list finds by the same words.
    for slug, section in groups.items():
        count = int(section.select_one("h2 .count").get_text())
        assert client.get(f"/api/v1/{slug}", params={"q": "Eastern Europe"}).json()["total"] \
            == count


def test_the_search_page_marks_the_spelling_found(client):
    html = soup(client.get("/search", params={"q": "Odessa"}))
    hit = html.select_one("#found-sites").find_parent("section").select_one(".hits li > a")
    assert hit.get_text() == "Port of Odesa"
    assert [m.get_text() for m in hit.select("mark")] == ["Odesa"]


def test_an_empty_search_prompts_and_no_match_says_so(client):
    empty = client.get("/search")
    assert empty.status_code == 200
    assert "Type a name" in empty.text
    assert soup(empty).select("section.search-group") == []
    none = client.get("/search", params={"q": "zzzqqq"})
    assert none.status_code == 200
    text = soup(none).get_text(" ")
    assert "Nothing matches “zzzqqq”" in text
    assert soup(none).select_one(".search-lists a[href='/assets']") is not None


@pytest.mark.parametrize("q", ["a", "*", '"', "--", "()"])
def test_a_search_with_nothing_to_look_for_says_what_to_type(client, q):
    page = client.get("/search", params={"q": q})
    assert page.status_code == 400
    error = soup(page).select_one("#search-q-error").get_text()
    assert "at least 2 letters or digits" in error
    api = client.get("/api/v1/search", params={"q": q})
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["query", "q"]
    listing = client.get("/assets", params={"q": q})
    assert listing.status_code == 400
    assert "at least 2 letters or digits" in soup(listing).select_one(".problems").get_text()
    assert client.get("/api/v1/assets", params={"q": q}).status_code == 422


HOSTILE = ['"missile', 'missile"', '"Fighter jets"', "missil*", "*missile", "missile AND",
           "NEAR(missile drone)", "missile OR drone", "(missile", "missile)", "-missile",
           "missile -drone", "missile NOT drone", "'missile'", "missile:*", "missile & !drone",
           "missile | drone", "missile <-> drone", "\\missile", "missile;--", "ä" * 150,
           "missile " * 24, "^missile", "{missile}", "col:missile", "missile\u200bdrone"]


@pytest.mark.parametrize("q", HOSTILE)
def test_query_syntax_is_searched_as_words_never_run(client, q):
    for path in ("/search", "/api/v1/search", "/assets", "/api/v1/assets", "/assets.csv"):
        response = client.get(path, params={"q": q})
        assert response.status_code in (200, 400, 422), (path, q, response.status_code)
    found = client.get("/api/v1/search", params={"q": q})
    if found.status_code == 200 and "missile" in words.split(q) and len(words.terms(q)) == 1:
        assert found.json()["total"] >= 1


def test_operators_are_words_not_operators(client, session):
    """`missile OR drone` would find both were OR an operator; every word is required."""
    assert client.get("/api/v1/assets", params={"q": "missile OR drone"}).json()["total"] == 0
    quoted = client.get("/api/v1/assets", params={"q": '"missile"'}).json()
    assert {i["id"] for i in quoted["items"]} == ids_of(session, "assets",
                                                          {"us-missiles-backstop"})


def test_nul_and_overlong_searches_get_a_message(client):
    assert client.get("/search", params={"q": "miss\x00ile"}).status_code == 400
    assert client.get("/api/v1/search", params={"q": "miss\x00ile"}).status_code == 422
    assert client.get("/assets", params={"q": "miss\x00ile"}).status_code == 400
    long = "missile " * 40
    page = client.get("/search", params={"q": long})
    assert page.status_code == 400
    assert "200 characters" in soup(page).select_one("#search-q-error").get_text()
    assert client.get("/api/v1/search", params={"q": long}).status_code == 422


def test_the_api_answers_in_its_documented_shape(client, session):
    response = client.get("/api/v1/search", params={"q": "Fighter jets", "per_kind": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Fighter jets"
    assert body["words"] == ["fighter", "jet"]
    assert body["total"] == sum(g["count"] for g in body["groups"])
    assets = next(g for g in body["groups"] if g["kind"] == "assets")
    [jet_id] = ids_of(session, "assets", {"us-fighter-jets-backstop"})
    assert assets["label"] == "Assets"
    assert assets["items"][0] == {
        "kind": "assets", "id": jet_id, "title": "Fighter jets (US)",
        "html_url": f"/assets/{jet_id}", "api_url": f"/api/v1/assets/{jet_id}",
        "matched": assets["items"][0]["matched"]}
    assert {"field": "Asset type", "text": "Fighter jets"} in assets["items"][0]["matched"]
    assert assets["list_url"] == "/assets?q=Fighter+jets"
    assert client.get(assets["api_url"]).json()["total"] == assets["count"]
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/search"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchResults"}
    assert {p["name"] for p in operation["parameters"]} >= {"q", "per_kind", "as_of"}


# --- The index follows every write ---


def found(client, slug: str, q: str, **params) -> set[int]:
    response = client.get(f"/api/v1/{slug}", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def searched(client, q: str, **params) -> set[tuple[str, int]]:
    response = client.get("/api/v1/search", params={"q": q, "per_kind": 50, **params})
    assert response.status_code == 200, response.text
    return {(item["kind"], item["id"]) for group in response.json()["groups"]
            for item in group["items"]}


def _edit_json(session, slug: str, **changes) -> dict:
    data = valid_data(session, KINDS[slug], creating=False)
    return {**{k: int(v) if v.isdigit() and not k.endswith("_code") else v
               for k, v in data.items()}, **changes}


def test_the_index_follows_a_create_an_update_and_a_delete_through_the_api(session,
                                                                          editor_client):
    body = {**_json(session, "sites"), "name": "Mykolaiv shipyard", "country_code": "UA"}
    created = editor_client.post("/api/v1/sites", json=body)
    assert created.status_code == 201, created.text
    site_id = created.json()["id"]
    assert found(editor_client, "sites", "Nikolaev") == {site_id}  # another spelling
    assert ("sites", site_id) in searched(editor_client, "mykolaiv shipyards")

    update = _edit_json(session, "sites", name="Kherson shipyard", country_code="UA",
                        version=created.json()["version"])
    changed = editor_client.put(f"/api/v1/sites/{site_id}", json=update)
    assert changed.status_code == 200, changed.text
    assert found(editor_client, "sites", "Nikolaev") == set()
    assert found(editor_client, "sites", "Kherson shipyard") == {site_id}

    gone = editor_client.delete(f"/api/v1/sites/{site_id}",
                                params={"version": changed.json()["version"]})
    assert gone.status_code == 204
    assert found(editor_client, "sites", "Kherson shipyard") == set()
    assert ("sites", site_id) not in searched(editor_client, "Kherson shipyard")


def _form(client, path: str, **changes) -> dict:
    return {**form_values(soup(client.get(path)).select_one("#row-form")), **changes}


def test_renaming_a_site_in_its_form_renames_it_in_its_assets_search(session, editor_client):
    site = session.scalars(select(Site).where(Site.key == "eastern-europe")).one()
    backstop = ids_of(session, "assets", BACKSTOP)
    assert found(editor_client, "assets", "Eastern Europe") == backstop
    data = _form(editor_client, f"/sites/{site.id}/edit", name="Baltic flank")
    saved = editor_client.post(f"/sites/{site.id}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert found(editor_client, "assets", "Eastern Europe") == set()
    assert found(editor_client, "assets", "Baltic flank") == backstop


def test_imported_rows_are_found(session, admin_client):
    assert found(admin_client, "assets", "Poland") == set()
    preview = _upload(admin_client, _csv(session, [("PL", 10, 12)]))
    assert _confirm(admin_client, preview).status_code == 303
    [imported] = found(admin_client, "assets", "Poland drones")
    assert ("assets", imported) in searched(admin_client, "imported drones Poland")


def test_a_search_as_of_a_date_finds_the_plan_of_that_date(session, editor_client):
    body = {**_json(session, "sites"), "name": "Mykolaiv shipyard", "country_code": "UA"}
    site_id = editor_client.post("/api/v1/sites", json=body).json()["id"]
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert ("sites", site_id) in searched(editor_client, "Nikolaev")
    assert searched(editor_client, "Nikolaev", as_of=yesterday) == set()
    assert found(editor_client, "sites", "Nikolaev", as_of=yesterday) == set()
    missiles = ids_of(session, "assets", {"us-missiles-backstop"})
    assert {i for k, i in searched(editor_client, "Missiles", as_of="2025-02-21")
            if k == "assets"} == missiles
    assert found(editor_client, "assets", "Eastern Europe", as_of="2025-02-21") \
        == ids_of(session, "assets", BACKSTOP)
    assert searched(editor_client, "Missiles", as_of="2025-02-01") == set()
    page = editor_client.get("/search", params={"q": "Missiles", "as_of": "2025-02-21"})
    assert page.status_code == 200
    assert "as it stood on" in page.text
    link = soup(page).select_one("#found-assets").find_parent("section").select_one(".hits a")
    assert link["href"].endswith("as_of=2025-02-21")


# --- Words as the index holds them ---


@pytest.mark.parametrize(("word", "one"), [
    ("missiles", "missile"), ("drones", "drone"), ("cities", "city"), ("jets", "jet"),
    ("classes", "class"), ("churches", "church"), ("us", "us"), ("gas", "gas"),
    ("analysis", "analysis"), ("kyiv", "kyiv"), ("boxes", "box")])
def test_a_plural_and_its_singular_are_one_word(word, one):
    assert words.singular(word) == one


def test_other_spellings_join_the_words_and_abbreviations_need_capitals():
    assert {"odessa", "odesa"} <= set(words.indexed("Port of Odesa").split())
    assert {"zelenskyy", "zelenskiy"} <= set(words.indexed("Volodymyr Zelensky").split())
    assert "america" in words.indexed("Missiles (US)").split()
    # "us" the word is not the United States.
    assert "america" not in words.indexed("Tell us more").split()
    # Accents and case fold; both databases then tokenise plain words alike.
    assert words.indexed("Zápořižžja DRONES") == "zaporizzja drones drone"


def test_query_words_are_folded_singular_and_stripped_of_operators():
    assert words.terms('"Fighter" AND jets*') == ["fighter", "jet"]
    assert words.terms("the of") == ["the", "of"]  # filler words alone are kept
    assert words.terms("NEAR(missile, drone)") == ["missile", "drone"]
    assert words.sqlite_match(["fighter", "jet"]) == '"fighter"* "jet"*'
    assert words.postgres_tsquery(["fighter", "jet"]) == "'fighter':* & 'jet':*"
    with pytest.raises(words.QueryProblem, match="at least 2 letters"):
        words.terms("* - ()")


def test_reindex_makes_every_document_again(session):
    from sqlalchemy import delete, func

    from app.plan.records import SearchDocument
    from app.search import index

    rows = sum(session.scalar(select(func.count()).select_from(k.model)) for k in KINDS.values())
    session.execute(delete(SearchDocument))
    assert session.scalar(select(func.count()).select_from(SearchDocument)) == 0
    assert index.rebuild(session) == rows
    assert session.scalar(select(func.count()).select_from(SearchDocument)) == rows
    missiles = ids_of(session, "assets", {"us-missiles-backstop"})
    assert set(session.scalars(index.matching_ids(KINDS["assets"], ["missile"]))) == missiles


# --- The migration and the command fill the index ---


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_migrating_to_head_indexes_the_rows_already_there(backend_name, tmp_path_factory,
                                                           monkeypatch):
    from sqlalchemy import func
    from sqlalchemy.orm import Session
    from typer.testing import CliRunner

    from app import migrate
    from app.cli import cli
    from app.config import get_settings
    from app.db import get_engine
    from app.plan.records import SearchDocument
    from app.search import index
    from tests.databases import seeded_database

    with seeded_database(backend_name, tmp_path_factory) as url:
        engine = get_engine(url)
        before = migrate._scripts().get_revision("i8_search_index").down_revision
        migrate.downgrade(engine, before)  # rows, and no index of them
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, ["migrate"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert "rows indexed" in result.output
        with Session(engine) as session:
            rows = sum(session.scalar(select(func.count()).select_from(k.model))
                       for k in KINDS.values())
            assert session.scalar(select(func.count()).select_from(SearchDocument)) == rows
            found = set(session.scalars(index.matching_ids(KINDS["assets"],
                                                           words.terms("Eastern Europe"))))
            assert found == ids_of(session, "assets", BACKSTOP)


def test_peaceplan_reindex_makes_the_documents_again(tmp_path, monkeypatch):
    from sqlalchemy import delete, func
    from sqlalchemy.orm import Session
    from typer.testing import CliRunner

    from app.cli import cli
    from app.config import get_settings
    from app.db import get_engine
    from app.plan.records import SearchDocument

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["seed"]).exit_code == 0
        with Session(get_engine()) as session:
            count = session.scalar(select(func.count()).select_from(SearchDocument))
            session.execute(delete(SearchDocument))
            session.commit()
        result = runner.invoke(cli, ["reindex"])
        assert result.exit_code == 0, result.output
        assert result.output == f"Search index: {count} rows indexed.\n"
        with Session(get_engine()) as session:
            assert session.scalar(select(func.count()).select_from(SearchDocument)) == count
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
