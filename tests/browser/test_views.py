"""In Chromium: a reader saves the filter of a list as a view, finds it under its name with
its controls working in place, and cites the page; axe-core checks both at both widths."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations

PASSWORD = "browser views password"
PHONE = {"width": 375, "height": 812}


def _sign_in(page: Page, create_user, live_server: str, name: str, to: str) -> None:
    create_user(name, "viewer", PASSWORD)
    page.goto(f"/login?next={quote(to, safe='/')}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}{to}")


def _clean(page: Page, where: str) -> None:
    found = violations(page)
    assert found == [], f"{where}:\n{describe(found)}"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_save_a_filtered_list_then_change_it_in_place(page: Page, live_server: str, create_user,
                                                      artifacts, viewport: str) -> None:
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    _sign_in(page, create_user, live_server, f"vera-{viewport}", "/assets")
    if viewport == "phone":
        page.get_by_role("button", name="Filters", exact=True).click()
    page.get_by_role("checkbox", name=re.compile(r"^United States")).check()
    expect(page.locator("#announce")).to_have_text("2 assets match.")
    # The form saves the filter now shown, which HTMX put in place of the first page's.
    page.get_by_text("Save this view").click()
    page.get_by_label("Name of the view").fill(f"US backstop {viewport}")
    _clean(page, "the list with the save form open")
    page.get_by_role("button", name="Save view").click()
    expect(page).to_have_url(f"{live_server}/views/us-backstop-{viewport}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"US backstop {viewport}")
    expect(page.locator("#total")).to_have_text("2")

    # Its own controls change the filter on its address, without leaving the view.
    if viewport == "phone":
        page.get_by_role("button", name="Filters", exact=True).click()
    page.get_by_role("checkbox", name=re.compile(r"^Fighter jets")).check()
    expect(page.locator("#total")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"/views/us-backstop-\w+\?.*asset_type=fighter_jet"))
    expect(page.locator(".view-changed")).to_contain_text("not the view's saved filter")
    # The Cite box followed the update; it cites the page shown, which outlives the view.
    page.get_by_text("Cite this page").click()
    expect(page.locator("#cite-this .permalink a")).to_have_text(re.compile(
        r"/assets\?country=US&asset_type=fighter_jet&as_of=.*&change=\d+$"))
    _clean(page, "a saved view with its Cite box open")
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=artifacts / f"saved-view-{viewport}.png", full_page=True)

    page.goto("/views")
    expect(page.get_by_role("link", name=f"US backstop {viewport}", exact=True)).to_be_visible()
    _clean(page, "the list of views")
    page.screenshot(path=artifacts / f"views-{viewport}.png", full_page=True)

    # Renamed, then deleted: the first address follows, then says it is gone.
    page.get_by_role("link", name=f"Edit US backstop {viewport}").click()
    _clean(page, "the form to edit a view")
    page.get_by_label("Name").fill(f"Backstop {viewport}")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(f"{live_server}/views/backstop-{viewport}")
    page.goto(f"/views/us-backstop-{viewport}")
    expect(page).to_have_url(f"{live_server}/views/backstop-{viewport}")
    page.get_by_role("link", name="Rename, share or delete").click()
    page.get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.locator(".notice")).to_contain_text("Deleted the view")
    response = page.goto(f"/views/us-backstop-{viewport}")
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Gone")
    _clean(page, "a deleted view")


def test_a_permalink_opens_the_cited_page_as_it_was(page: Page, live_server: str) -> None:
    page.goto("/sites?kind=port")
    page.get_by_text("Cite this page").click()
    link = page.locator("#cite-this .permalink a")
    expect(link).to_have_attribute("href", re.compile(r"as_of=[0-9T:Z-]+&change=\d+$"))
    total = page.locator("#total").inner_text()
    link.click()
    expect(page.locator(".as-of")).to_contain_text("The plan as it stood at")
    expect(page.locator("#total")).to_have_text(total)
    _clean(page, "a permalink")
