"""In Chromium: the map draws every site as precisely as it is known (points clustered,
Ukraine shaded for the country-level categories, Eastern Europe noted at the edge), shows
the chosen site beside the map on a wide screen and in a popup that fits a phone, with no
console error, CSP violation or accessibility fault."""

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
    note.get_by_role("button", name="Eastern Europe (no country named)").click()
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
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=artifacts / "map-375.png")
    _no_faults(page, console)
    found = violations(page)
    assert not found, describe(found)
