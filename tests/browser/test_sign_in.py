"""In Chromium: an account made with the console command signs in through the form, sees
its name in the header, and signs out."""

import re

from playwright.sync_api import Page, expect

PASSWORD = "browser test password"


def test_sign_in_and_out(page: Page, live_server: str, create_user, artifacts) -> None:
    create_user("ada", "editor", PASSWORD)

    page.goto("/assets")
    page.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/login?next=/assets")
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".problems")).to_have_text("The name or the password is wrong.")
    expect(page.get_by_label("Name")).to_have_value("ada")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/assets")
    expect(page.locator("#signed-in-user")).to_have_text("ada")
    expect(page.locator(".account .role")).to_have_text("Editor")
    page.screenshot(path=artifacts / "signed-in.png")

    # HTMX sends the session's CSRF token in a header on its own (from <body hx-headers>):
    # this request carries no form field with it.
    page.goto("/account/tokens")
    page.evaluate("htmx.ajax('POST', '/account/tokens', "
                  "{target: '#panel', values: {name: 'from htmx'}})")
    expect(page.locator("#new-token")).to_have_text(re.compile(r"^pp_"))
    expect(page.locator("tbody th")).to_have_text(["from htmx"])

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator(".notice")).to_have_text("Signed out.")
    expect(page.locator("#signed-in-user")).to_have_count(0)
    expect(page.locator(".account").get_by_role("link", name="Sign in")).to_be_visible()
