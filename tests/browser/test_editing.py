"""In Chromium: an editor edits a row in place, sees a bad value refused next to its field
with what they typed kept, saves, finds the change in the row's history and reverts it."""

from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.axe import describe, violations

PASSWORD = "browser editing password"


def sign_in_as_editor(page: Page, create_user, live_server: str, name: str, to: str) -> None:
    """Make an editor with the console command and sign in, landing on `to`."""
    create_user(name, "editor", PASSWORD)
    page.goto(f"/login?next={quote(to, safe='/')}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}{to}")


def test_inline_edit_with_an_error_then_save_and_revert(page: Page, live_server: str,
                                                        create_user, artifacts) -> None:
    sign_in_as_editor(page, create_user, live_server, "bea", "/assets?asset_type=drone")

    page.locator("tbody a").first.click()
    detail_url = page.url
    page.get_by_role("link", name="Edit", exact=True).click()
    quantity = page.get_by_label("Quantity (at least)")
    expect(quantity).to_be_visible()
    page.get_by_label("Condition").fill("Only after a ceasefire")
    quantity.fill("-5")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-quantity_low-error")
    expect(error).to_have_text("Enter 0 or more.")
    expect(quantity).to_have_value("-5")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Condition")).to_have_value("Only after a ceasefire")
    # Focus, and the view, move to the summary at the top of the form, away from Save.
    summary = page.locator("#row-form .problems").first
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    page.screenshot(path=artifacts / "edit-validation-error.png", full_page=True)

    quantity.fill("8")
    # A changed figure needs its source, the words, and a reason.
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-source_id-error")).to_contain_text("choose the source")
    expect(quantity).to_have_value("8")
    page.get_by_label("Source of the new figure").select_option(
        label="[Untitled report of 21 Feb 2025 on Starmer's plan for 30,000 European troops]")
    page.get_by_label("Quoted words giving the new figure").fill("drones")
    page.get_by_label("Reason for the change").fill("A count of the drones")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(detail_url)
    history = page.locator("section", has=page.locator("#history-h"))
    expect(history).to_contain_text("Edited asset")
    expect(history.locator("table.diff").first).to_contain_text("at least 8")
    expect(page.locator("#record")).to_contain_text("Only after a ceasefire")
    page.screenshot(path=artifacts / "edit-saved-history.png", full_page=True)

    history.get_by_role("link", name="Edited asset").first.click()
    page.get_by_role("button", name="Revert this change").click()
    expect(page.locator("h1")).to_contain_text("Reverted change")
    page.goto(detail_url)
    expect(page.locator("#record")).not_to_contain_text("Only after a ceasefire")


def test_forms_pass_axe_empty_and_with_errors(page: Page, live_server: str, create_user,
                                             artifacts) -> None:
    sign_in_as_editor(page, create_user, live_server, "cy", "/assets/new")
    found = violations(page)
    assert found == [], describe(found)
    page.get_by_label("Quantity (at least)").fill("-1")
    page.get_by_role("button", name="Add asset").click()
    expect(page.locator("#f-quantity_low-error")).to_be_visible()
    found = violations(page)
    assert found == [], describe(found)
    page.screenshot(path=artifacts / "form-errors.png", full_page=True)
