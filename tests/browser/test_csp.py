"""In Chromium: every page of the site runs under its Content-Security-Policy without a
single violation or console error, signed out and signed in, the API docs and the map
included, and after an HTMX update."""

import re

from playwright.sync_api import Page, expect

from app.plan.kinds import KINDS

PASSWORD = "browser csp password"

#: Violations are recorded in the page itself, from before its first script runs.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const what = `${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`;
  window.__violations.push(`${what} at ${e.sourceFile}:${e.lineNumber}`);
});
"""

PUBLIC = ["/", "/?country=UA", *(f"/{slug}" for slug in KINDS), "/map", "/brief",
          "/compare", "/compare?from=2025-02-21", "/assets?as_of=2025-02-25",
          "/login"]
#: Error pages are pages too; the console's note of their status is not a fault.
REFUSED = ["/no-such-page", "/assets?country=XX"]
SIGNED_IN = ["/assets/new", "/account/tokens", "/admin/users", "/admin/changes",
             "/admin/import"]


def _problems(page: Page, url: str, console: list[str]) -> list[str]:
    found = [f"{url}: {v}" for v in page.evaluate("window.__violations")]
    found += [f"{url}: console: {m}" for m in console]
    console.clear()
    return found


def _a_row(page: Page, slug: str) -> str:
    """The page of one row of a kind (not every list links its rows)."""
    return f"/{slug}/{page.request.get(f'/api/v1/{slug}').json()['items'][0]['id']}"


def test_no_page_breaks_the_content_security_policy(page: Page, live_server: str,
                                                    create_user) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    rows = [_a_row(page, slug) for slug in KINDS]

    for url in [*PUBLIC, *rows, "/sources/1#q-1"]:
        page.goto(url)
        if url == "/map":
            expect(page.locator("#map[data-ready=true]")).to_have_count(1)
            expect(page.locator(".leaflet-marker-icon.marker").first).to_be_visible()
            expect(page.locator("path.ukraine")).to_have_count(1)
        problems += _problems(page, url, console)
    for url in REFUSED:
        page.goto(url)
        console[:] = [m for m in console if not re.search(r"status of 40[04]", m)]
        problems += _problems(page, url, console)

    # An HTMX swap: new content and htmx's loading classes, without an inline style.
    page.goto("/assets")
    page.get_by_role("checkbox").first.check()
    expect(page).to_have_url(re.compile(r"/assets\?"))
    expect(page.locator("#results")).not_to_have_class(re.compile("htmx-request"))
    problems += _problems(page, "/assets (filtered by HTMX)", console)

    # Swagger UI: its operations from /openapi.json, and a request tried out.
    page.goto("/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    operation = page.locator(".opblock-get").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first
           ).to_have_text("200")
    problems += _problems(page, "/docs", console)

    create_user("csp-admin", "admin", PASSWORD)
    page.goto("/login")
    page.get_by_label("Name").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in-user")).to_have_text("csp-admin")
    for url in [*SIGNED_IN, f"{rows[0]}/edit", "/changes/1"]:
        page.goto(url)
        problems += _problems(page, url, console)
    # The editor's form, swapped in place by HTMX.
    page.goto(rows[1])
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    problems += _problems(page, f"{rows[1]} (edit in place)", console)

    assert problems == [], "\n".join(problems)
