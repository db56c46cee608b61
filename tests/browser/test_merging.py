"""In Chromium, two editors in two browsers: the second to save over the first is shown
the one field both changed, chooses theirs, and keeps what only the other changed."""

from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_editing import sign_in_as_editor


def test_a_conflict_is_settled_field_by_field(page: Page, browser: Browser, live_server: str,
                                               create_user, artifacts) -> None:
    sign_in_as_editor(page, create_user, live_server, "mia", "/assets?asset_type=fighter_jet")
    page.locator("tbody a").first.click()
    detail_url = page.url
    edit_url = f"{detail_url}/edit"
    page.goto(edit_url)

    colleague = browser.new_context(base_url=live_server)
    try:
        other = colleague.new_page()
        sign_in_as_editor(other, create_user, live_server, "noa", "/assets")
        other.goto(edit_url)
        other.locator("#f-role").fill("Their role")
        other.locator("#f-country_note").fill("Their note")
        other.get_by_role("button", name="Save").click()
        expect(other).to_have_url(detail_url)
    finally:
        colleague.close()

    page.locator("#f-role").fill("My role")
    page.get_by_role("button", name="Save").click()
    alert = page.locator("#row-form .problems")
    expect(alert).to_contain_text("changed since you opened the form by noa")
    expect(alert.locator("ul.kept")).to_contain_text("Their note")
    expect(page.locator("#f-role")).to_have_value("My role")
    expect(page.locator("#f-role-theirs")).to_have_text("Their value: Their role")
    expect(page.locator("#f-country_note")).to_have_value("Their note")
    choice = page.locator("#resolve-role")
    expect(choice.get_by_label("Keep mine: My role")).to_be_checked()
    page.screenshot(path=artifacts / "edit-merge-conflict.png", full_page=True)
    found = violations(page)
    assert found == [], describe(found)

    choice.get_by_label("Take theirs: Their role").check()
    page.get_by_role("button", name="Save with these choices").click()
    expect(page).to_have_url(detail_url)
    expect(page.locator("#record")).to_contain_text("Their role")
    page.goto(edit_url)
    expect(page.locator("#f-country_note")).to_have_value("Their note")
