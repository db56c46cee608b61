"""In Chromium: the country field of a form is a search box over the real select: typing a
few letters or the ISO code offers the matches, picked by keyboard or pointer; axe finds
nothing wrong with it open or closed."""

from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_editing import sign_in_as_editor


def test_typing_ukr_offers_ukraine_picked_by_keyboard(page: Page, live_server: str,
                                                      create_user, artifacts) -> None:
    sign_in_as_editor(page, create_user, live_server, "cora", "/sites/new")
    box = page.get_by_role("combobox", name="Country")
    select = page.locator("select#f-country_code")
    expect(select).to_be_hidden()
    box.click()
    box.fill("ukr")
    expect(box).to_have_attribute("aria-expanded", "true")
    listbox = page.get_by_role("listbox", name="Country")
    options = listbox.get_by_role("option")
    expect(options.first).to_have_text("Ukraine (UA)")
    expect(options.first).to_have_attribute("aria-selected", "true")
    assert violations(page) == [], describe(violations(page))
    page.screenshot(path=artifacts / "country-search-open.png")
    box.press("Enter")  # picks, does not submit
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("Ukraine")
    expect(select).to_have_value("UA")
    expect(page).to_have_url(f"{live_server}/sites/new")

    # By ISO code, then down the list with the arrow keys.
    box.fill("fr")
    expect(options.first).to_have_text("France (FR)")
    box.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    picked = second.inner_text()
    box.press("Enter")
    expect(select).to_have_value(picked.rsplit("(", 1)[1].rstrip(")"))

    # Escape leaves the choice as it was; leaving the box with a code picks it.
    box.fill("pol")
    box.press("Escape")
    expect(box).to_have_value(picked.rsplit(" (", 1)[0])
    box.fill("pl")
    box.press("Tab")
    expect(select).to_have_value("PL")
    expect(box).to_have_value("Poland")
    assert violations(page) == [], describe(violations(page))


def test_the_chosen_country_is_what_the_form_sends(page: Page, live_server: str,
                                                   create_user) -> None:
    sign_in_as_editor(page, create_user, live_server, "dima", "/sites/new")
    box = page.get_by_role("combobox", name="Country")
    box.fill("ukr")
    page.get_by_role("listbox", name="Country").get_by_role("option", name="Ukraine (UA)").click()
    page.locator("#f-latitude").fill("999")  # refused: the form comes back
    page.get_by_role("button", name="Add site").click()
    expect(page.locator(".field.invalid").first).to_be_visible()
    # Sent, refused for another field, shown again: the country is still chosen.
    expect(page.get_by_role("combobox", name="Country")).to_have_value("Ukraine")
    expect(page.locator("select#f-country_code")).to_have_value("UA")
