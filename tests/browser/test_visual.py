"""In Chromium: the map draws, answers clicks and filters; pages pass axe-core at desktop and
phone widths; a screenshot of each main page is saved to test-artifacts/."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations

#: The pages axe-core checks; a new page (a form, once editing exists) is one more line.
PAGES = {
    "overview": "/",
    "sign-in": "/login",
    "overview-country": "/?country=UA",
    "list": "/assets",
    "list-filtered": "/deployments?stage=floated",
    "stances": "/stances",
    "timeline": "/events?since=2025-02-01",
    "detail": "/sites/1",
    "source": "/sources/1",
    "map": "/map",
    "brief": "/brief?country=UA",
    "not-found": "/no-such-page",
    "search": "/search?q=Eastern+Europe",
}

PHONE = {"width": 375, "height": 812}


def _map_ready(page: Page) -> None:
    expect(page.locator("#map[data-ready=true]")).to_have_count(1)


def test_map_draws_every_located_site_and_opens_a_marker(page: Page, base_url: str,
                                                          artifacts) -> None:
    page.goto("/map")
    _map_ready(page)
    located = page.locator("section.results table").first.locator("tr[data-site]")
    markers = page.locator(".leaflet-marker-icon.marker")
    expect(markers).to_have_count(located.count())
    assert located.count() == 6
    # Candidates are drawn hollow and dashed; the legend says so.
    expect(page.locator(".leaflet-marker-icon.marker.candidate")).to_have_count(6)
    expect(page.locator(".map-key")).to_contain_text("Candidate site")
    # Boundaries come from the vendored TopoJSON: Ukraine is drawn as its own shape.
    expect(page.locator("path.ukraine")).to_have_count(1)

    page.get_by_role("button", name=re.compile(r"^Port of Odesa")).click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text("Port of Odesa")
    expect(popup).to_contain_text("Port · Ukraine")
    expect(popup.get_by_role("link", name="Port of Odesa")).to_have_attribute(
        "href", re.compile(r"^/sites/\d+$"))
    page.screenshot(path=artifacts / "map.png", full_page=True)


def test_map_follows_the_filter_in_place(page: Page, base_url: str) -> None:
    page.goto("/map")
    _map_ready(page)
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("checkbox", name=re.compile(r"^Nuclear power plant")).check()
    expect(page).to_have_url(re.compile(r"/map\?kind=nuclear_power_plant$"))
    expect(page.locator(".leaflet-marker-icon.marker")).to_have_count(3)
    rows = page.locator("section.results table").first.locator("tr[data-site]")
    expect(rows).to_have_count(3)
    expect(page.locator("#announce")).to_contain_text("Map shows 3 sites")
    assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the page"
    names = {page.locator(".leaflet-marker-icon.marker").nth(i).get_attribute("aria-label")
             .split(":")[0] for i in range(3)}
    assert names == {rows.nth(i).locator("th a").first.inner_text() for i in range(3)}

    page.go_back()
    expect(page).to_have_url(re.compile(r"/map$"))
    expect(page.locator(".leaflet-marker-icon.marker")).to_have_count(6)
    expect(page.locator("section.results table").first.locator("tr[data-site]")).to_have_count(6)
    # A live map, not the markup of a history snapshot: its markers still answer.
    page.get_by_role("button", name=re.compile(r"^Port of Pivdennyi")).click()
    expect(page.locator(".leaflet-popup", has_text="Port of Pivdennyi")).to_be_visible()


def test_a_row_can_be_shown_on_the_map_and_markers_work_by_keyboard(page: Page,
                                                                     base_url: str) -> None:
    page.goto("/map")
    _map_ready(page)
    page.get_by_role("link", name=re.compile(r"^Show on map\W+Rivne")).click()
    expect(page.locator(".leaflet-popup")).to_contain_text("Rivne nuclear power plant")
    expect(page.locator("tr.selected")).to_contain_text("Rivne nuclear power plant")

    marker = page.get_by_role("button", name=re.compile(r"^Port of Chornomorsk"))
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup", has_text="Port of Chornomorsk")).to_be_visible()
    expect(page.locator("tr.selected")).to_contain_text("Port of Chornomorsk")


def test_site_page_link_opens_its_marker(page: Page, base_url: str) -> None:
    page.goto("/sites?q=odesa")
    page.get_by_role("link", name="Port of Odesa").click()
    page.get_by_role("link", name="Show on the map").click()
    expect(page).to_have_url(re.compile(r"/map#site-\d+$"))
    expect(page.locator(".leaflet-popup")).to_contain_text("Port of Odesa")


def test_overview_map_panel(page: Page, base_url: str) -> None:
    page.goto("/")
    _map_ready(page)
    expect(page.locator(".leaflet-marker-icon.marker")).to_have_count(6)
    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()
    expect(page).to_have_url(re.compile(r"\?country=US$"))
    expect(page.locator(".leaflet-marker-icon.marker")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Open the map"))).to_have_attribute(
        "href", "/map?country=US")


def test_timeline_date_range_updates_in_place(page: Page, base_url: str, artifacts) -> None:
    page.goto("/events")
    expect(page.locator("ol.timeline > li")).to_have_count(8)
    page.get_by_label("From").fill("2025-02-22")
    page.get_by_label("From").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"/events\?since=2025-02-22$"))
    expect(page.locator("ol.timeline > li")).to_have_count(1)
    expect(page.locator("#announce")).to_have_text("1 events match.")
    page.screenshot(path=artifacts / "timeline-since.png", full_page=True)


def test_map_page_without_javascript_lists_every_site(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/map?kind=port")
    expect(page.locator(".map-fallback")).to_be_visible()
    expect(page.locator("tr[data-site]")).to_have_count(4)
    context.close()


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axe_finds_no_violations(page: Page, base_url: str, artifacts, name: str,
                                 viewport: str) -> None:
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    page.goto(PAGES[name])
    if page.locator("#map").count():
        _map_ready(page)
    found = violations(page)
    assert found == [], f"{PAGES[name]} at {viewport} width:\n{describe(found)}"
    if viewport == "phone":
        # Nothing wider than the screen: the page never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.screenshot(path=artifacts / f"{name}-{viewport}.png", full_page=True)


def test_axe_after_an_htmx_update(page: Page, base_url: str) -> None:
    page.goto("/assets")
    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()
    expect(page.locator("#announce")).to_have_text("2 assets match.")
    found = violations(page)
    assert found == [], describe(found)


def test_keyboard_reaches_filters_with_a_visible_focus(page: Page, base_url: str) -> None:
    page.goto("/assets")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    box = page.get_by_role("checkbox", name=re.compile(r"^Drones"))
    for _ in range(40):
        page.keyboard.press("Tab")
        if box.evaluate("el => el === document.activeElement"):
            break
    expect(box).to_be_focused()
    outline = box.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"asset_type=drone"))


@pytest.mark.parametrize("query", ["", "?country=UA", "?country=FR"])
def test_brief_prints_on_one_page(page: Page, base_url: str, artifacts, query: str) -> None:
    page.goto(f"/brief{query}")
    _map_ready(page)
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator(".filters, .facets")).to_have_count(0)
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        (artifacts / f"brief{query.replace('?country=', '-')}-{paper}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"/brief{query} takes {pages} {paper} pages"
