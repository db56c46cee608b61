"""In Chromium: a signed-in reader subscribes through the alerts form (a plain post, no
script needed), sees the subscription and its log; both pages pass axe and fit a laptop
and a phone without scrolling sideways."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_widths import LAPTOP, MEASURE, PHONE

PASSWORD = "browser test password"


def _sign_in(page: Page, create_user, name: str, size: dict, then: str) -> None:
    """A new viewer, signed in through the form at `size`, landing on `then`."""
    create_user(name, "viewer", PASSWORD)
    page.set_viewport_size(size)
    page.goto(f"/login?next={then}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280", "375"])
def test_subscribe_through_the_form_and_read_the_pages(page: Page, live_server: str,
                                                       create_user, artifacts, size) -> None:
    _sign_in(page, create_user, f"reader{size['width']}", size, "/account/alerts")
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()

    page.get_by_role("button", name="Subscribe").click()  # nothing chosen
    expect(page.locator(".problems")).to_contain_text("Choose what to watch")
    expect(page.locator("#sub-events-error")).to_contain_text("at least one kind of change")

    page.get_by_label("A country").check()
    page.get_by_label("Country", exact=True).select_option("FR")
    page.get_by_label("a stage moved").check()
    page.get_by_label("For a stage: only moves to").select_option("committed")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Watching everything involving France")
    expect(page.locator(".notice")).to_contain_text("Now watching")
    found = violations(page)
    assert found == [], describe(found)
    assert page.evaluate(MEASURE)["page"] <= 0
    page.screenshot(path=artifacts / f"alerts-detail-{size['width']}.png", full_page=True)

    page.get_by_role("link", name="All your subscriptions").click()
    expect(page.locator("table.subscriptions tbody tr")).to_have_count(1)
    expect(page.locator("table.subscriptions")).to_contain_text("stage moved to committed")
    found = violations(page)
    assert found == [], describe(found)
    measured = page.evaluate(MEASURE)
    assert measured["page"] <= 0 and (size is PHONE or measured["cut"] == [])
    page.screenshot(path=artifacts / f"alerts-{size['width']}.png", full_page=True)
    feed = page.request.get(page.locator("#feed-json").get_attribute("href"))
    assert feed.ok and feed.json()["items"] == []


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280", "375"])
def test_watch_a_row_from_its_page(page: Page, live_server: str, create_user, artifacts,
                                   size) -> None:
    """The row's "Watch this" link opens the form with the row chosen; sent as it comes
    with one kind of change ticked, it watches that row."""
    _sign_in(page, create_user, f"watcher{size['width']}", size, "/deployments/1")
    link = page.get_by_role("link", name="Watch this deployment for alerts")
    expect(link).to_be_visible()
    found = violations(page)
    assert found == [], describe(found)
    assert page.evaluate(MEASURE)["page"] <= 0
    link.click()
    expect(page.get_by_label("One row")).to_be_checked()
    expect(page.get_by_label("Row number (its address ends with it)")).to_have_value("1")
    page.get_by_label("a figure changed").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Watching deployment")
    page.screenshot(path=artifacts / f"alerts-row-{size['width']}.png", full_page=True)
