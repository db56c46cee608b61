"""In Chromium: the map draws every site as precisely as it is known (points clustered,
Ukraine shaded for the country-level categories, Eastern Europe noted at the edge), shows
the chosen site beside the map on a wide screen and in a popup that fits a phone, with no
console error, CSP violation or accessibility fault."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_csp import RECORD_VIOLATIONS


def _open(page: Page, width: int, height: int = 900) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/map")
    for _ in range(50):
        if page.locator("#map[data-ready=true]").count() or console:
            break
        page.wait_for_timeout(100)
    assert page.locator("#map[data-ready=true]").count() == 1, console
    return console


def _settled(page: Page, locator) -> dict:
    """Where an element ends up: the map pans a popup into view, and moves it meanwhile."""
    box = None
    for _ in range(30):
        now = locator.bounding_box()
        if now == box:
            return now
        box = now
        page.wait_for_timeout(100)
    raise AssertionError(f"still moving: {box}")


def _apart(a: dict, b: dict) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


# The boxes on the map as drawn: every place name shown, and what a name must not cover
# (markers, clusters, area labels, the zoom buttons and the note).
DRAWN = """() => {
  const box = (r) => ({x: r.x, y: r.y, width: r.width, height: r.height});
  const text = (e) => { const range = document.createRange(); range.selectNodeContents(e);
    return box(range.getBoundingClientRect()); };
  const names = [...document.querySelectorAll("#map .place")]
    .filter((e) => e.offsetParent !== null && e.textContent
      && getComputedStyle(e.firstElementChild ?? e).visibility === "visible")
    .map((e) => ({name: e.textContent, ...text(e)}));
  const others = [...document.querySelectorAll(
      "#map .leaflet-marker-pane > .leaflet-marker-icon, #map .leaflet-control")]
    .filter((e) => getComputedStyle(e).opacity !== "0")
    .map((e) => ({name: e.className, ...box(e.getBoundingClientRect())}));
  return {names, others};
}"""


def _settled_drawing(page: Page) -> dict:
    """The place names and markers once nothing moves (clusters animate as they form)."""
    drawn = None
    for _ in range(30):
        now = page.evaluate(DRAWN)
        if now == drawn:
            return now
        drawn = now
        page.wait_for_timeout(150)
    raise AssertionError(f"still moving: {drawn}")


def _assert_names_clear(drawn: dict) -> None:
    names, others = drawn["names"], drawn["others"]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert _apart(a, b), (a, b)
        for b in others:
            assert _apart(a, b), (a, b)


def _no_faults(page: Page, console: list[str]) -> None:
    assert page.evaluate("window.__violations") == []
    assert console == []


def test_areas_note_clusters_and_side_panel_at_1280(page: Page, artifacts):
    console = _open(page, 1280)
    # Ukraine shaded for the four categories that carry the 30,000 troops, labelled.
    expect(page.locator("#map path.area-country")).to_have_count(1)
    expect(page.locator("#map .area-label")).to_contain_text("Ukraine · 4 sites")
    # Eastern Europe: a note at the map's edge listing what is based there, no borders.
    note = page.locator("#map .map-note")
    expect(note).to_contain_text("Eastern Europe")
    expect(note).to_contain_text("Fighter jets")
    # The three Odesa-area ports are one cluster at the first zoom.
    expect(page.locator("#map .marker-cluster")).not_to_have_count(0)
    assert page.locator("#map .leaflet-marker-icon.kind-port").count() < 3
    expect(page.locator("#map .place", has_text="Odesa")).to_have_count(1)
    # Choosing a site fills the side panel; no popup covers the map.
    page.locator("#map .area-label").click()
    panel = page.locator("#map-panel")
    expect(panel).to_contain_text("Ukrainian cities (none named)")
    expect(panel).to_contain_text("country (Ukraine)")
    expect(panel.locator("a[href^='/sources/']").first).to_be_visible()
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    note.get_by_role("link", name="Eastern Europe (no country named)").click()
    expect(panel).to_contain_text("Missiles")
    page.screenshot(path=artifacts / "map-1280.png", full_page=True)
    _no_faults(page, console)
    found = violations(page)
    assert not found, describe(found)


def test_phone_popup_fits_and_zoom_buttons_stay_clear(page: Page, artifacts):
    console = _open(page, 375, 740)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator("#map-panel")).to_be_hidden()
    page.locator("#map .area-label").click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_be_visible()
    box = _settled(page, popup)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    apart = (box["x"] >= zoom["x"] + zoom["width"] or box["y"] >= zoom["y"] + zoom["height"]
             or zoom["x"] >= box["x"] + box["width"] or zoom["y"] >= box["y"] + box["height"])
    overlaps = not apart
    assert not overlaps, (box, zoom)
    note = page.locator("#map .map-note").bounding_box()
    assert _apart(box, note), (box, note)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=artifacts / "map-375.png")
    _no_faults(page, console)
    found = violations(page)
    assert not found, describe(found)


def test_the_edge_note_reads_one_line_per_site(page: Page):
    console = _open(page, 1280)
    note = page.locator("#map .map-note")
    expect(note.locator(".map-note-title")).to_have_text("Eastern Europe (no borders given)")
    site = note.locator("li")
    expect(site).to_have_count(1)
    expect(site).to_have_text("Eastern Europe (no country named): Fighter jets, Missiles")
    # Every piece of the line (the site's link, what is based there) starts on one row,
    # from the note's left edge.
    lines = site.evaluate("""(li) => {
      const range = document.createRange(); range.selectNodeContents(li);
      return {tops: [...range.getClientRects()].map((r) => Math.round(r.top)),
              left: li.getBoundingClientRect().left,
              link: li.querySelector("a, button").getBoundingClientRect().left};
    }""")
    assert len(set(lines["tops"])) == 1, lines
    assert abs(lines["link"] - lines["left"]) < 1, lines
    _no_faults(page, console)


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 740)])
def test_place_names_clear_each_other_and_the_markers(page: Page, artifacts, width, height):
    console = _open(page, width, height)
    drawn = _settled_drawing(page)
    _assert_names_clear(drawn)
    shown = {n["name"] for n in drawn["names"]}
    # The capital and the larger cities keep their names; smaller ones give way.
    assert {"Kyiv", "Kharkiv", "Dnipro", "Lviv"} <= shown, shown
    assert len(shown) >= 12, shown
    # Odesa's name would sit under the cluster of its ports: it gives way.
    assert "Odesa" not in shown, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    assert _apart(page.locator("#map .map-note").bounding_box(), zoom)
    page.screenshot(path=artifacts / f"map-names-{width}.png")
    # Zooming in spreads the places out: the names are placed again, still clear.
    page.locator(".leaflet-control-zoom-in").click()
    zoomed = _settled_drawing(page)
    _assert_names_clear(zoomed)
    assert {n["name"] for n in zoomed["names"]} != shown
    _no_faults(page, console)
