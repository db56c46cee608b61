"""In Chromium: a page of the past stays in the past while filtering and sorting in place."""

import re

from playwright.sync_api import Page, expect


def test_filtering_a_page_of_the_past_keeps_its_date(page: Page, base_url: str,
                                                     artifacts) -> None:
    page.goto("/assets?as_of=2025-02-21")
    banner = page.locator(".as-of")
    expect(banner).to_contain_text("21 Feb 2025")
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("checkbox", name=re.compile(r"^Drones")).check()
    expect(page).to_have_url(re.compile(r"as_of=2025-02-21"))
    expect(page).to_have_url(re.compile(r"asset_type=drone"))
    expect(page.locator("#total")).to_have_text("1")
    page.locator("#sort-quantity").click()
    expect(page).to_have_url(re.compile(r"sort=quantity.*as_of=2025-02-21"))
    assert page.evaluate("window.__sameDocument === true"), "filtering reloaded the page"
    page.screenshot(path=artifacts / "assets-as-of.png", full_page=True)

    banner.get_by_role("link", name="Back to the present").click()
    expect(page).to_have_url(re.compile(r"/assets\?asset_type=drone&sort=quantity$"))
    expect(page.locator(".as-of")).to_have_count(0)
