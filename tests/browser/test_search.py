"""In Chromium: the header's search box finds rows of every kind, grouped, the words marked."""

import re

from playwright.sync_api import Page, expect


def test_the_header_search_finds_rows_grouped_and_marked(page: Page, base_url: str,
                                                          artifacts) -> None:
    page.goto("/assets")
    box = page.get_by_role("search", name="Search the plan").get_by_role("searchbox")
    box.fill("Eastern Europe")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=Eastern\+Europe$"))
    expect(page.locator("h1")).to_have_text("Search")
    assets = page.locator("section.search-group", has=page.locator("#found-assets"))
    expect(assets.locator("h2 .count")).to_have_text("2")
    expect(assets.locator(".hits li > a")).to_have_text(["Fighter jets (US)", "Missiles (US)"])
    expect(assets.locator(".matched", has_text="Based at").first).to_contain_text(
        "Eastern Europe")
    expect(assets.locator(".matched mark").first).to_have_text("Eastern")
    sites = page.locator("section.search-group", has=page.locator("#found-sites"))
    expect(sites.locator(".hits li > a mark")).to_have_text(["Eastern", "Europe"])
    # The box keeps what was typed, and the marks stand out from the text around them.
    expect(box).to_have_value("Eastern Europe")
    mark = assets.locator("mark").first
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") != \
        mark.evaluate("m => getComputedStyle(m.parentElement).backgroundColor")
    page.screenshot(path=artifacts / "search.png", full_page=True)

    assets.locator(".hits li > a", has_text="Missiles").click()
    expect(page).to_have_url(re.compile(r"/assets/\d+$"))
    expect(page.locator("h1")).to_contain_text("Missiles")


def test_another_spelling_and_an_empty_result(page: Page, base_url: str) -> None:
    page.goto("/")
    box = page.get_by_role("search", name="Search the plan").get_by_role("searchbox")
    box.fill("Odessa")
    box.press("Enter")
    hit = page.locator("section.search-group", has=page.locator("#found-sites"))
    expect(hit.locator(".hits li > a")).to_have_text(["Port of Odesa"])
    expect(hit.locator("mark")).to_have_text(["Odesa"])

    page.get_by_label("Words to find").fill("zzzqqq")
    page.get_by_label("Words to find").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Nothing matches “zzzqqq”")
    expect(page.locator(".search-lists a", has_text="Assets")).to_have_attribute(
        "href", "/assets")
