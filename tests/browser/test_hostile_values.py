"""In Chromium: hostile values (script tags, attribute breakers, `javascript:` URLs, template
syntax, SQL, spreadsheet formulas, control characters, non-BMP and right-to-left text) saved
in every text field of every kind through the form, the API and the import; then every page,
export and feed is read. Nothing runs, every export parses, every value comes back as saved.

The rows go into a database of this module's own, so the other browser tests keep the seeded
plan they count on.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.editing import forms, imports
from app.plan import text
from app.plan.kinds import KINDS, Kind
from tests.conftest import sign_in
from tests.html import soup
from tests.live import serving

PAYLOADS = [
    "javascript:window.__pwned=1",
    "<script>window.__pwned=1</script>",
    "'><svg onload=window.__pwned=1>",
    '"><img src=x onerror="window.__pwned=1">',
    '=HYPERLINK("javascript:window.__pwned=1","x")',
    "x onfocus=window.__pwned=1 autofocus x",  # for an attribute left unquoted
    "{{ 7*7 }}{% raw %}${7*7}{% endraw %}",
    "'; DROP TABLE asset; --",
    "Robert'); --",
    "bell\x07 and nul\x00 are dropped",
    "non-BMP 🕊️ 𝔘𝔨𝔯𝔞𝔦𝔫𝔢 𠀋",
    "RTL \u202eعربي עברית\u202c end",
]
#: A field holds one mix of payloads, so that len(MIXES) rows of a kind give every field
#: every payload (and every row's pages can be read in good time). A `javascript:` URL and
#: a formula each open a mix, where a link or a spreadsheet would take them for what they
#: look like.
MIXES = [" ".join(PAYLOADS[i:i + 4]) for i in range(0, len(PAYLOADS), 4)]
#: What the template syntax above would read as, had it been evaluated.
EVALUATED = "49${7*7}"
#: Words of the seeded report: a quote must stand in its source's text.
REPORT_TITLE = "Untitled report of 21 Feb 2025"
QUOTE = "30,000 European troops"
#: Kinds in an order where every kind comes after those its rows refer to.
ORDER = ["sources", "stakeholders", "sites", "plans", "demands", "deployments", "assets",
         "stances", "events", "force-levels"]
#: Sites are told apart by name and country: each door names its own country.
COUNTRY = {"api": "FR", "form": "DE", "browser": "NL", "import": "PL"}
BROWSER_KIND = "sources"  # its form, driven in Chromium: the most text fields, a URL among them
PASSWORD = "hostile values password"

#: Watches the payloads' goal from before any script of the page runs; sessionStorage keeps
#: a hit that comes after the page was checked (the next page reports it).
WATCH = """
(() => {
  let hit;
  Object.defineProperty(window, "__pwned", {
    get: () => hit,
    set: (value) => { hit = value; sessionStorage.setItem("pwned", location.href); },
  });
  window.__violations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI || "inline"}`));
})();
"""

#: What a payload would leave in the DOM even where the Content-Security-Policy stopped it
#: from running: event-handler attributes, `javascript:` URLs, scripts of its own.
INSPECT = """
(evaluated) => {
  const handlers = [];
  const urls = [];
  const linking = ["href", "src", "action", "formaction", "xlink:href"];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) handlers.push(`<${el.localName} ${a.name}>`);
      if (linking.includes(a.name) && /^\\s*javascript:/i.test(a.value)) {
        urls.push(`<${el.localName} ${a.name}="${a.value}">`);
      }
    }
  }
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    earlier: sessionStorage.getItem("pwned"),
    handlers, urls,
    scripts: [...document.scripts].filter((s) => s.textContent.includes("__pwned")).length,
    evaluated: document.documentElement.textContent.includes(evaluated),
    violations: window.__violations ?? [],
  };
}
"""


def expected(sent: str) -> str:
    """A text as stored: unfit characters dropped, then trimmed, as every door does."""
    return text.clean(sent).strip()


def fit(value: str, longest: int | None) -> str:
    """`value` cut to fit a field, counted as a browser counts `maxlength` (a non-BMP
    character is two UTF-16 code units), which is stricter than the server's count."""
    if longest is None:
        return value
    while len(value.encode("utf-16-le")) > 2 * longest:
        value = value[:-1]
    return value


#: Text fields that take codes of a set form, refused unless they are one (a test of their
#: own covers that): no payload can be saved in them.
CODES = {"region_code"}


def text_fields(kind: Kind) -> list[forms.FormField]:
    """The text fields a payload goes in; a quote must stand in its source's text."""
    return [f for f in forms.form_for(kind, creating=True).fields
            if f.widget in ("text", "textarea") and f.name not in {"quote", *CODES}]


@dataclass
class Saved:
    slug: str
    id: int
    door: str
    values: dict[str, str]  # field -> the text expected back


@dataclass
class World:
    http: httpx.Client  # the editor, signed in
    api: httpx.Client  # the editor's API token, no cookie
    page: Page  # Chromium, signed in as an administrator
    report_id: int
    seeded: dict[str, int]
    saved: list[Saved] = field(default_factory=list)
    loads: int = 0
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    setup_seconds: float = 0

    def pool(self, slug: str) -> list[int]:
        """Rows of a kind saved through the API: the other rows refer to these."""
        return [s.id for s in self.saved if s.slug == slug and s.door == "api"]

    def rows(self, slug: str | None = None, door: str | None = None) -> list[Saved]:
        return [s for s in self.saved
                if (slug is None or s.slug == slug) and (door is None or s.door == door)]

    def visit(self, url: str, ready: str | None = None) -> Page:
        response = self.page.goto(url)
        if response is not None and response.status >= 500:  # None: the same page, a new #
            self.problems.append(f"{url}: status {response.status}")
        if ready:
            expect(self.page.locator(ready).first).to_be_attached()
        self.check(url)
        return self.page

    def check(self, where: str) -> None:
        """Nothing of a payload ran or stands in the page as markup."""
        self.loads += 1
        found = self.page.evaluate(INSPECT, EVALUATED)
        for key in ("pwned", "earlier"):
            if found[key]:
                self.problems.append(f"{where}: window.__pwned set ({found[key]})")
        for key in ("handlers", "urls", "violations"):
            self.problems += [f"{where}: {key}: {item}" for item in found[key]]
        if found["scripts"]:
            self.problems.append(f"{where}: a script of a payload")
        if found["evaluated"]:
            self.problems.append(f"{where}: template syntax of a payload was evaluated")
        if self.dialogs:
            self.problems.append(f"{where}: dialogs {self.dialogs}")
            self.dialogs.clear()


# --- What each door sends ---


def submission(world: World, kind: Kind, i: int, door: str) -> dict[str, Any]:
    """Row `i` of a kind: each text field holds a mix, the mixes turning by one field from
    row to row, so that every field gets every mix in len(MIXES) rows. References go to
    hostile rows, so that their names are shown wherever the row is."""
    data: dict[str, Any] = {}
    for j, f in enumerate(text_fields(kind)):
        value = fit(MIXES[(i + j) % len(MIXES)], f.max_length)
        if kind.unique and f.name == kind.unique[0] and kind.slug != "sites":
            value = f"{value} ({door})"
        data[f.name] = value
    for f in forms.form_for(kind, creating=True).fields:
        pool = world.pool(f.ref) if f.ref else []
        match f.widget:
            case "integer":
                data[f.name] = "5"
            case "decimal":
                data[f.name] = str(46 + i * 0.3 if f.name == "latitude" else 30 + i * 0.4)
            case "date":
                data[f.name] = "2025-03-01"
            case "vocab":
                data[f.name] = f.vocab_options[0][0]
            case "country":
                # Odd rows name no country: their notes are shown in its place.
                data[f.name] = COUNTRY[door] if kind.slug == "sites" or i % 2 == 0 else ""
            case "ref" if f.name == "source_id":
                data[f.name] = str(world.report_id)
                data["quote"] = QUOTE
            case "ref" if pool:
                data[f.name] = str(pool[i % len(pool)])
            case "ref" if f.required:
                data[f.name] = str(world.seeded[f.ref])
            case "refs" if pool:
                data[f.name] = sorted({str(pool[i % len(pool)]), str(pool[(i + 1) % len(pool)])})
    return data


def record(world: World, kind: Kind, row_id: int, door: str, sent: dict[str, Any]) -> None:
    world.saved.append(Saved(kind.slug, row_id, door, {
        f.name: expected(sent[f.name]) for f in text_fields(kind)}))


def save_through_api(world: World, kind: Kind, i: int) -> None:
    sent = submission(world, kind, i, "api")
    body = {k: v for k, v in sent.items() if v != ""}
    response = world.api.post(f"/api/v1/{kind.slug}", json=body)
    assert response.status_code == 201, (kind.slug, i, response.text)
    record(world, kind, response.json()["id"], "api", sent)


def save_through_form(world: World, kind: Kind, i: int) -> None:
    sent = submission(world, kind, i, "form")
    response = world.http.post(f"/{kind.slug}/new", follow_redirects=False,
                               data={**sent, "csrf_token": world.http.csrf_token})
    errors = {e.find_parent(class_="field").select_one("[name]")["name"]: e.get_text()
              for e in soup(response).select(".field .error")}
    assert response.status_code == 303, (kind.slug, i, errors or response.text[:500])
    record(world, kind, int(response.headers["location"].rsplit("/", 1)[1]), "form", sent)


def fill(page: Page, kind: Kind, data: dict[str, Any]) -> None:
    widgets = {f.name: f.widget for f in forms.form_for(kind, creating=True).fields}
    for name, value in data.items():
        control = page.locator(f"#f-{name}")
        if widgets[name] in ("vocab", "country", "ref", "refs"):
            control.select_option(value or None)
        else:
            control.fill(value)


def save_in_chromium(world: World, kind: Kind, i: int) -> None:
    """The real form: typed in, sent by HTMX; the first row is refused once (a duplicate),
    so that the form comes back with every hostile value as typed."""
    sent = submission(world, kind, i, "browser")
    page = world.visit(f"/{kind.slug}/new")
    unique = kind.unique[0]
    if i == 0:
        fill(page, kind, {**sent, unique: world.rows(kind.slug, "api")[0].values[unique]})
        page.locator("#row-form button[type=submit]").click()
        expect(page.locator(f"#f-{unique}-error")).to_be_visible()
        world.check(f"{kind.slug}/new refused")
        for f in text_fields(kind):
            if f.name != unique:
                assert page.locator(f"#f-{f.name}").input_value() == expected(sent[f.name])
    fill(page, kind, sent)
    page.locator("#row-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{kind.slug}/\d+$"))
    world.check(page.url)
    record(world, kind, int(page.url.rsplit("/", 1)[1]), "browser", sent)


def import_in_chromium(world: World, kind: Kind) -> None:
    """A file of len(MIXES) rows, uploaded, previewed and written in Chromium; its name
    is hostile too (it names the change)."""
    rows = [submission(world, kind, i, "import") for i in range(len(MIXES))]
    columns = imports.columns(kind)
    if kind.slug == "sites":
        name, content = "'><svg onload=window.__pwned=1>.json", json.dumps(
            [{k: v for k, v in r.items() if v not in ("", [])} for r in rows], ensure_ascii=False)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns)
        writer.writeheader()
        writer.writerows({k: ";".join(v) if isinstance(v, list) else v for k, v in r.items()}
                         for r in rows)
        name, content = '"><img src=x onerror=window.__pwned=1>.csv', buffer.getvalue()
    before = set(_ids(world, kind))
    page = world.visit(f"/admin/import?kind={kind.slug}")
    page.locator("#import-file").set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": content.encode()}])
    page.get_by_role("button", name="Preview").click()
    write = page.get_by_role("button", name=f"Write all {len(rows)} rows")
    expect(write).to_be_visible()
    world.check(f"import preview of {kind.slug}")
    write.click()
    page.wait_for_url(re.compile(r"/changes/\d+$"))
    world.check(page.url)
    new = sorted(set(_ids(world, kind)) - before)
    assert len(new) == len(rows), (kind.slug, new)
    for row_id, sent in zip(new, rows, strict=True):
        record(world, kind, row_id, "import", sent)


def _ids(world: World, kind: Kind) -> list[int]:
    items = world.http.get(f"/api/v1/{kind.slug}?per_page=500").json()["items"]
    return [item["id"] for item in items]


# --- The server, its accounts and the rows ---


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'peaceplan.db'}"
    with serving(lambda port: [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                 url) as base:
        created = subprocess.run(
            [sys.executable, "-m", "app.cli", "create-user", "root", "--role", "admin",
             "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
            env={**os.environ, "DATABASE_URL": url}, timeout=60)
        assert created.returncode == 0, created.stderr
        yield base


@pytest.fixture(scope="module")
def world(server: str, browser: Browser):
    assert sorted(ORDER) == sorted(KINDS), "a new kind needs its place in ORDER"
    started = time.monotonic()
    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.add_init_script(WATCH)
    http = httpx.Client(base_url=server, timeout=30)
    api = httpx.Client(base_url=server, timeout=30)
    try:
        sign_in(http, "root", PASSWORD)
        made = http.post("/admin/users", follow_redirects=False, data={
            "username": "ed", "role": "editor", "password": PASSWORD,
            "password_confirm": PASSWORD, "csrf_token": http.csrf_token})
        assert made.status_code == 303, made.text
        sign_in(http, "ed", PASSWORD)
        token = soup(http.post("/account/tokens", data={
            "name": "hostile values", "csrf_token": http.csrf_token})).select_one("#new-token")
        api.headers["Authorization"] = f"Bearer {token.text}"
        report = http.get("/api/v1/sources", params={"q": REPORT_TITLE}).json()["items"]
        seeded = {slug: http.get(f"/api/v1/{slug}").json()["items"][0]["id"] for slug in KINDS}
        world = World(http, api, page, report[0]["id"], seeded)
        page.on("dialog", lambda d: (world.dialogs.append(d.message), d.dismiss()))

        page.goto("/login")
        page.get_by_label("Name").fill("root")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#signed-in-user")).to_have_text("root")

        # The API first: rows of the other doors refer to its rows.
        for save in (save_through_api, save_through_form):
            for slug in ORDER:
                for i in range(len(MIXES)):
                    save(world, KINDS[slug], i)
        for i in range(len(MIXES)):
            save_in_chromium(world, KINDS[BROWSER_KIND], i)
        for slug in imports.IMPORTABLE:
            import_in_chromium(world, KINDS[slug])
        world.setup_seconds = time.monotonic() - started
        yield world
    finally:
        http.close()
        api.close()
        context.close()


# --- Exports and the data read back ---


def test_every_export_parses_and_every_value_comes_back(world: World) -> None:
    http = world.http
    assert set(Counter(s.door for s in world.saved)) == {"api", "form", "browser", "import"}
    read = []
    for slug in KINDS:
        listed = http.get(f"/api/v1/{slug}?per_page=500")
        exported = http.get(f"/{slug}.csv")
        read += [listed.text, exported.text]
        items = {item["id"]: item for item in json.loads(listed.content)["items"]}
        rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(exported.text))}
        for s in world.rows(slug):
            item = json.loads(http.get(f"/api/v1/{slug}/{s.id}").content)
            for name, value in s.values.items():
                if name == "text":  # a source's text is not exported; its form gives it back
                    continue
                where = f"{slug}/{s.id} ({s.door}) {name}"
                assert item[name] == items[s.id][name] == value, where
                # A spreadsheet would run a formula: the export marks it as text.
                assert rows[s.id][name] == ("'" + value if value[:1] == "=" else value), where

    geojson = http.get("/sites.geojson?per_page=500")
    names = {f["id"]: f["properties"]["name"] for f in json.loads(geojson.content)["features"]}
    for s in world.rows("sites"):
        assert names[s.id] == s.values["name"]
    for url in ("/changes.atom?country=FR", "/changes.atom?country=PL", "/changes.atom"):
        feed = http.get(url)
        parsed = ElementTree.fromstring(feed.content)
        assert parsed.tag == "{http://www.w3.org/2005/Atom}feed", url
        read.append(feed.text)
    assert PAYLOADS[1] in "".join(parsed.itertext())  # as text, not markup
    read.append(geojson.text)
    assert not [r for r in read if EVALUATED in r]


# --- Every page in Chromium ---


def test_nothing_runs_in_any_page(world: World, capsys) -> None:
    started = time.monotonic()
    for slug in KINDS:
        world.visit(f"/{slug}?per_page=500")
    # Every saved row's page shows each value as it was saved, as text.
    for s in world.saved:
        shown = world.visit(f"/{s.slug}/{s.id}").locator("main").text_content()
        for name, value in s.values.items():
            assert value in shown, (s.slug, s.id, s.door, name)
    # Its form gives each value back to be edited.
    for s in world.rows(door="api") + world.rows(door="browser"):
        typed = world.visit(f"/{s.slug}/{s.id}/edit").evaluate(
            """() => Object.fromEntries([...document.querySelectorAll("#row-form [name]")]
                .map((e) => [e.name, e.value]))""")
        for name, value in s.values.items():
            assert typed[name] == value, (s.slug, s.id, s.door, name)
    for slug in ("stakeholders", "demands"):  # held by other rows, which the page names
        world.visit(f"/{slug}/{world.pool(slug)[0]}/delete")

    for url in ("/", "/?country=FR", "/brief", "/brief?country=FR", "/compare",
                f"/sources/{world.report_id}"):
        world.visit(url)
    world.visit("/map?country=FR", ready="#map[data-ready=true]")
    for s in world.rows("sites", "api")[:2]:
        # The site's details: beside the map on a wide screen, in a popup on a narrow one.
        world.visit(f"/map#site-{s.id}", ready=f'#map-panel[data-site="{s.id}"], .leaflet-popup')
    changes = world.visit("/admin/changes?per_page=200").eval_on_selector_all(
        "main a[href^='/changes/']", "links => links.map((a) => a.getAttribute('href'))")
    for change in sorted(set(changes))[::20]:
        world.visit(change)

    # What the server echoes back: a search, an unknown filter value, a bad date, a path.
    for mix in MIXES:
        q = quote(mix, safe="")
        for url in (f"/stakeholders?q={q}&country={q}", f"/compare?from={q}",
                    f"/no-such-page/{q}"):
            world.visit(url)

    # Fragments swapped in by HTMX: a typed search, and the edit form opened in place.
    page = world.visit("/stakeholders")
    page.get_by_label("Search stakeholders").fill(MIXES[0])
    page.wait_for_url(re.compile(r"q="))
    world.check("/stakeholders, searched in place")
    target = world.rows("stakeholders", "api")[0]
    page = world.visit(f"/stakeholders/{target.id}")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("#record #row-form")).to_be_visible()
    world.check(f"/stakeholders/{target.id}, edited in place")

    assert world.problems == []
    # Each payload whole in a field of a kind, through a door (short fields hold fewer).
    combinations = {(p, s.slug, name, s.door) for s in world.saved
                    for name, value in s.values.items() for p in PAYLOADS
                    if expected(p) in value}
    doors = ", ".join(f"{n} {door}" for door, n in Counter(s.door for s in world.saved).items())
    with capsys.disabled():
        print(f"\nhostile values: {len(combinations)} payload x field x door saves "
              f"({len(PAYLOADS)} payloads in {len(MIXES)} mixes, {len(world.saved)} rows: "
              f"{doors}), {world.loads} page loads; {world.setup_seconds:.0f} s saving, "
              f"{time.monotonic() - started:.0f} s reading")
