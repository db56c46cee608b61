"""In Chromium at 1280 px and 375 px: the scenarios page, the stances timeline and a
stakeholder's stances over time fit the window, pass axe, and work without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_widths import LAPTOP, MEASURE, PHONE

PAGES = ["/scenarios", "/scenarios?a=plan&b=requested&country=GB",
         "/scenarios?a=plan@2025-02-21&b=committed", "/stances/timeline",
         "/stances/timeline?country=FR&country=DE", "/stakeholders/1"]


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280", "375"])
def test_the_pages_fit_and_pass_axe(page: Page, live_server: str, size, artifacts) -> None:
    page.set_viewport_size(size)
    problems = []
    for url in PAGES:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(MEASURE)
        if found["page"] > 0:
            problems.append(f"{url}: the page scrolls sideways by {found['page']} px")
        if size is LAPTOP:
            problems += [f"{url}: table cut off: {cut}" for cut in found["cut"]
                         if "over time" not in cut]  # a stage per column may scroll
        if found := violations(page):
            problems.append(f"{url}: {describe(found)}")
    page.goto("/scenarios")
    page.screenshot(path=artifacts / f"scenarios-{size['width']}.png", full_page=True)
    assert not problems, "\n".join(problems)


def test_two_scenarios_are_chosen_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    page = context.new_page()
    page.goto("/scenarios")
    page.locator("#pick-a").select_option("plan")
    page.locator("#pick-b-on").fill("2025-02-21")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(f"{live_server}/scenarios?a=plan&a_on=&b=committed&b_on=2025-02-21")
    expect(page.locator("#scenario-a .figure")).to_have_text("30,000")
    expect(page.locator("#scenario-b .card-detail")).to_contain_text("as of 21 Feb 2025")
    context.close()


#: Labels of the charts along time that overlap another visible one on the same line.
CLASHES = """() => [...document.querySelectorAll('svg.time-axis, svg.time-events')]
.flatMap((row) => {
  const boxes = [...row.querySelectorAll('text')]
    .filter((t) => getComputedStyle(t).display !== 'none')
    .map((t) => [t.getAttribute('y'), t.lastChild.textContent, t.getBoundingClientRect()]);
  return boxes.flatMap(([y, a, r], i) => boxes.slice(i + 1)
    .filter(([z, , s]) => z === y && r.right > s.left && s.right > r.left)
    .map(([, b]) => `${a} / ${b}`));
})"""


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280", "375"])
def test_no_label_of_a_chart_along_time_prints_over_another(page: Page, live_server: str,
                                                            size) -> None:
    page.set_viewport_size(size)
    # A date a year on stretches the axis over many months.
    # Two force levels dated the same day mark that day twice.
    for url in ["/scenarios?a=committed@2025-03-01&b=committed@2026-06-01", "/scenarios",
                "/scenarios?a=proposed&b=requested", "/stances/timeline", "/stakeholders/1"]:
        page.goto(url)
        assert page.evaluate(CLASHES) == [], url
