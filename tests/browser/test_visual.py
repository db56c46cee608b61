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


def _drawn(page: Page) -> dict[str, int]:
    """How many sites the map draws, by how: a marker of its own, inside a cluster, in a
    shaded area, or in the note at the map's edge (each as the map itself says)."""
    def counted(selector: str, pattern: str) -> int:
        texts = page.locator(selector).all_inner_texts()
        return sum(int(re.match(pattern, " ".join(t.split())).group(1)) for t in texts)

    return {"markers": page.locator("#map .leaflet-marker-icon.marker").count(),
            "clustered": counted("#map .marker-cluster", r"(\d+) sites:"),
            "in areas": counted("#map .area-label", r".* · (\d+) sites?$"),
            "noted": page.locator("#map .map-note li").count()}


def _marker_names(page: Page) -> set[str]:
    markers = page.locator("#map .leaflet-marker-icon.marker")
    return {markers.nth(i).get_attribute("title").split(":")[0] for i in range(markers.count())}


def _row_names(rows) -> set[str]:
    return {rows.nth(i).locator("th a").first.inner_text() for i in range(rows.count())}


def test_map_draws_every_located_site_and_opens_a_marker(page: Page, base_url: str,
                                                          artifacts) -> None:
    page.goto("/map")
    _map_ready(page)
    located = page.locator("section.results table").first.locator("tr[data-site]")
    # Six candidate sites at points, four categories known only to Ukraine, Eastern Europe.
    expect(located).to_have_count(11)
    drawn = _drawn(page)
    assert sum(drawn.values()) == 11, drawn
    assert drawn["clustered"] == 3 and drawn["in areas"] == 4 and drawn["noted"] == 1, drawn
    # Candidates are drawn hollow and dashed; the legend says so. Every point is a candidate.
    markers = page.locator("#map .leaflet-marker-icon.marker")
    expect(page.locator("#map .leaflet-marker-icon.marker.candidate")).to_have_count(
        markers.count())
    expect(page.locator(".map-key")).to_contain_text("Candidate site")
    # Boundaries come from the vendored TopoJSON: Ukraine is drawn as its own shape.
    expect(page.locator("path.ukraine")).to_have_count(1)

    # The Odesa ports share a cluster, which names them; choosing it zooms in to them.
    page.get_by_role("button", name=re.compile(r"^3 sites: .*Port of Odesa")).click()
    page.get_by_role("button", name=re.compile(r"^Port of Odesa")).click()
    panel = page.locator("#map-panel")
    expect(panel).to_contain_text("Port of Odesa")
    expect(panel).to_contain_text("Port · Ukraine")
    expect(panel.get_by_role("link", name="Port of Odesa")).to_have_attribute(
        "href", re.compile(r"^/sites/\d+$"))
    expect(page.locator(".leaflet-popup")).to_have_count(0)  # beside the map, not over it
    page.screenshot(path=artifacts / "map.png", full_page=True)


def test_map_follows_the_filter_in_place(page: Page, base_url: str) -> None:
    page.goto("/map")
    _map_ready(page)
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("checkbox", name=re.compile(r"^Nuclear power plant")).check()
    expect(page).to_have_url(re.compile(r"/map\?kind=nuclear_power_plant$"))
    # Three candidate plants at points, and the report's plants, known only to Ukraine.
    rows = page.locator("section.results table").first.locator("tr[data-site]")
    expect(rows).to_have_count(4)
    expect(page.locator("#announce")).to_contain_text("Map shows 4 sites")
    assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the page"
    assert _drawn(page) == {"markers": 3, "clustered": 0, "in areas": 1, "noted": 0}
    expect(page.locator("#map .area-label")).to_have_text("Ukraine · 1 site")
    names = _row_names(rows)
    assert _marker_names(page) == names - {"Ukrainian nuclear power plants (none named)"}
    page.locator("#map .area-label").click()
    expect(page.locator("#map-panel")).to_contain_text(
        "Ukrainian nuclear power plants (none named)")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/map$"))
    expect(page.locator("section.results table").first.locator("tr[data-site]")).to_have_count(11)
    expect(page.locator("#map .area-label")).to_have_text("Ukraine · 4 sites")
    assert sum(_drawn(page).values()) == 11
    # A live map, not the markup of a history snapshot: its markers still answer.
    page.get_by_role("button", name=re.compile(r"^3 sites: .*Port of Pivdennyi")).click()
    page.get_by_role("button", name=re.compile(r"^Port of Pivdennyi")).click()
    expect(page.locator("#map-panel")).to_contain_text("Port of Pivdennyi")


def test_a_row_can_be_shown_on_the_map_and_markers_work_by_keyboard(page: Page,
                                                                     base_url: str) -> None:
    page.goto("/map")
    _map_ready(page)
    panel = page.locator("#map-panel")
    page.get_by_role("link", name=re.compile(r"^Show on map\W+Rivne")).click()
    expect(panel).to_contain_text("Rivne nuclear power plant")
    expect(page.locator("tr.selected")).to_contain_text("Rivne nuclear power plant")
    # A port in the cluster: shown from its row, the map zooms in to open it.
    page.get_by_role("link", name=re.compile(r"^Show on map\W+Port of Pivdennyi")).click()
    expect(panel).to_contain_text("Port of Pivdennyi")
    expect(page.get_by_role("button", name=re.compile(r"^Port of Pivdennyi"))).to_be_visible()

    page.goto("/map")
    _map_ready(page)
    # By keyboard alone: Enter on the cluster zooms in, Enter on a marker opens it, and
    # so does Enter on a shaded area's label.
    page.get_by_role("button", name=re.compile(r"^3 sites: .*Port of Chornomorsk")).focus()
    page.keyboard.press("Enter")
    marker = page.get_by_role("button", name=re.compile(r"^Port of Chornomorsk"))
    expect(marker).to_be_visible()
    marker.focus()
    page.keyboard.press("Enter")
    expect(panel).to_contain_text("Port of Chornomorsk")
    expect(page.locator("tr.selected")).to_contain_text("Port of Chornomorsk")
    page.get_by_role("button", name=re.compile(r"^Ukraine: 4 sites")).focus()
    page.keyboard.press("Enter")
    expect(panel).to_contain_text("Ukrainian cities (none named)")
    expect(panel).not_to_contain_text("Port of Chornomorsk")


def test_site_page_link_opens_its_marker(page: Page, base_url: str) -> None:
    page.goto("/sites?q=odesa")
    page.get_by_role("link", name="Port of Odesa").click()
    page.get_by_role("link", name="Show on the map").click()
    expect(page).to_have_url(re.compile(r"/map#site-\d+$"))
    # Its cluster opened to show it, and its details are beside the map.
    expect(page.locator("#map-panel")).to_contain_text("Port of Odesa")
    expect(page.get_by_role("button", name=re.compile(r"^Port of Odesa"))).to_be_visible()
    expect(page.locator("tr.selected")).to_contain_text("Port of Odesa")


def test_overview_map_panel(page: Page, base_url: str) -> None:
    page.goto("/")
    _map_ready(page)
    expect(page.locator("#map .area-label")).to_have_text("Ukraine · 4 sites")
    assert sum(_drawn(page).values()) == 11
    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()
    expect(page).to_have_url(re.compile(r"\?country=US$"))
    # The US hosts no site, but its jets and missiles would wait in Eastern Europe.
    expect(page.locator("#map .area-label")).to_have_count(0)
    expect(page.locator("#map .map-note")).to_contain_text("Eastern Europe")
    expect(page.locator("#map .map-note")).to_contain_text("Fighter jets")
    assert _drawn(page) == {"markers": 0, "clustered": 0, "in areas": 0, "noted": 1}
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
