"""In Chromium: filters update the panels in place, push the URL, and Back restores the view."""

import re

from playwright.sync_api import Page, expect


def _mark_document(page: Page) -> None:
    # A full page load would wipe this; an HTMX swap keeps it.
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_overview_country_filter_and_back(page: Page, base_url: str, artifacts) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("reassurance force")
    troops = page.locator("section:has(#h-troops)")
    expect(troops).to_contain_text("Contributors not specified")
    page.screenshot(path=artifacts / "overview.png", full_page=True)
    _mark_document(page)

    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()

    expect(page).to_have_url(re.compile(r"/\?country=US$"))
    assets = page.locator("section:has(#h-assets)")
    expect(assets.locator("tbody th")).to_have_text(["Fighter jets", "Missiles"])
    expect(troops).to_contain_text("No troop contingents reported")
    expect(page.locator(".scope")).to_contain_text("United States")
    assert _same_document(page), "choosing a country reloaded the whole page"
    page.screenshot(path=artifacts / "overview-us.png", full_page=True)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(troops).to_contain_text("Contributors not specified")
    expect(page.locator("section:has(#h-assets) tbody th")).to_have_count(6)


def test_assets_facets_narrow_the_table(page: Page, base_url: str, artifacts) -> None:
    page.goto("/assets")
    expect(page.locator("#results tbody tr")).to_have_count(6)
    _mark_document(page)

    page.get_by_role("checkbox", name=re.compile(r"^Drones")).check()
    expect(page).to_have_url(re.compile(r"/assets\?asset_type=drone$"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator("#announce")).to_have_text("1 assets match.")
    assert _same_document(page)

    page.get_by_role("checkbox", name=re.compile(r"^Drones")).uncheck()
    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()
    expect(page).to_have_url(re.compile(r"country=US"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.screenshot(path=artifacts / "assets-us.png", full_page=True)


def test_search_box_filters_as_you_type(page: Page, base_url: str) -> None:
    page.goto("/events")
    page.get_by_label("Search events").fill("Washington")
    expect(page).to_have_url(re.compile(r"q=Washington"))
    expect(page.locator("#results ol.timeline > li")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("week of 24 Feb 2025")


def test_works_without_javascript(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/assets")
    page.get_by_role("checkbox", name=re.compile(r"^Fighter jets")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"asset_type=fighter_jet"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    context.close()


def test_back_and_forward_keep_controls_in_step(page: Page, base_url: str) -> None:
    page.goto("/?country=US")
    germany = page.get_by_role("checkbox", name=re.compile(r"^Germany"))
    us = page.get_by_role("checkbox", name=re.compile(r"^United States"))
    germany.check()
    expect(page).to_have_url(re.compile(r"country=US&country=DE$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?country=US$"))
    expect(us).to_be_checked()
    expect(germany).not_to_be_checked()

    page.goto("/events")
    search = page.get_by_label("Search events")
    search.fill("Washington")
    expect(page).to_have_url(re.compile(r"q=Washington"))
    search.fill("Macron")
    expect(page).to_have_url(re.compile(r"q=Macron"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=Washington"))
    expect(search).to_have_value("Washington")
    expect(page.locator("#results ol.timeline > li")).to_have_count(1)
    page.go_forward()
    expect(search).to_have_value("Macron")


def test_sort_link_keeps_keyboard_focus(page: Page, base_url: str) -> None:
    page.goto("/sites")
    page.locator("#sort-kind").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=kind"))
    expect(page.locator("#sort-kind")).to_be_focused()


def test_back_and_forward_after_a_filter_raise_no_script_error(page: Page,
                                                                base_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in ("/assets", "/", "/map"):
        page.goto(path)
        page.locator("form[hx-push-url] input[type=checkbox]").first.check()
        expect(page).to_have_url(re.compile(r"\?."))
        page.go_back()
        expect(page).not_to_have_url(re.compile(r"\?."))
        page.go_forward()
        expect(page).to_have_url(re.compile(r"\?."))
        page.wait_for_timeout(200)  # the restore's own handlers run after the URL changes
    assert errors == []
