"""In Chromium at a laptop's 1280 px and a phone's 375 px: no page scrolls sideways, no
table cuts a column off at 1280 px, and on a phone the sections fold behind a Menu button
so that the overview's first screen shows its figures."""

import re

import pytest
from playwright.sync_api import Page, expect

from app.plan.kinds import KINDS

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
PAGES = ["/", "/?country=US", *(f"/{slug}" for slug in KINDS), "/map", "/brief",
         "/brief?country=US", "/compare", "/events?view=timeline", "/login", "/docs"]

#: Parts of the page wider than the window, and tables wider than their box.
MEASURE = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  cut: [...document.querySelectorAll('.table-wrap')]
    .filter((t) => t.scrollWidth > t.clientWidth + 1)
    .map((t) => `${t.getAttribute('aria-label')}: ${t.scrollWidth} > ${t.clientWidth}`),
})"""


def _walk(page: Page, urls: list[str], tables: bool) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    problems = []
    for url in urls:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(MEASURE)
        if found["page"] > 0:
            problems.append(f"{url}: the page scrolls sideways by {found['page']} px")
        if tables:
            problems += [f"{url}: table cut off: {cut}" for cut in found["cut"]]
        problems += [f"{url}: console: {m}" for m in console]
        console.clear()
    return problems


def _rows(page: Page) -> list[str]:
    return [f"/{slug}/{page.request.get(f'/api/v1/{slug}').json()['items'][0]['id']}"
            for slug in KINDS]


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280", "375"])
def test_no_page_scrolls_sideways_or_cuts_a_table(page: Page, live_server: str, size) -> None:
    page.set_viewport_size(size)
    problems = _walk(page, [*PAGES, *_rows(page)], tables=size is LAPTOP)
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_figures_come_first_and_the_menu_opens(page: Page,
                                                              live_server: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav).to_be_hidden()
    header = page.locator("header.site").bounding_box()
    assert header["height"] < 120, header
    # The three headline figures are on the first screen, side by side.
    cards = page.locator(".card .figure")
    expect(cards).to_have_count(3)
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    assert all(box["y"] + box["height"] < PHONE["height"] for box in boxes), boxes
    assert len({round(box["y"]) for box in boxes}) == 1, boxes
    expect(page.locator(".gap")).to_contain_text("15%")

    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    # Escape folds it again, back on its button.
    nav.get_by_role("link", name="Overview").focus()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    nav.get_by_role("link", name="Change log").click()
    expect(page).to_have_url(re.compile(r"/compare$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change log")

    # The country filter folds the same way, and still filters once opened.
    page.goto("/")
    page.get_by_role("button", name="Filter by country").click()
    page.get_by_role("checkbox", name=re.compile("^United States")).check()
    expect(page).to_have_url(re.compile(r"\?country=US$"))


def test_on_a_phone_a_signed_in_header_keeps_apart(page: Page, live_server: str,
                                                   create_user) -> None:
    from tests.browser.test_editing import sign_in_as_editor

    sign_in_as_editor(page, create_user, live_server, "wren", "/")
    page.set_viewport_size(PHONE)
    page.goto("/assets")
    boxes = {name: page.locator(selector).bounding_box() for name, selector in (
        ("brand", ".brand"), ("menu", ".fold-toggle >> nth=0"), ("account", ".account"),
        ("search", ".site-search"))}

    def overlap(a, b) -> bool:
        return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                    or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])

    names = list(boxes)
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
               if overlap(boxes[a], boxes[b])]
    assert not clashes, boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_at_1280_px_the_sections_show_in_their_groups(page: Page, live_server: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto("/assets")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Sections")
    for group in ("Figures", "Positions", "Record"):
        expect(nav.get_by_role("list", name=group)).to_be_visible()
    # One line for the brand and account, one for the sections: the header does not jump
    # from page to page.
    heights = set()
    for url in ("/", "/assets", "/login", "/compare"):
        page.goto(url)
        heights.add(round(page.locator("header.site").bounding_box()["height"]))
    assert len(heights) == 1 and heights.pop() < 130


def test_on_a_phone_no_text_starts_left_of_the_screen(page: Page, live_server: str) -> None:
    # A floated line wider than its column hangs out on the left, where no scrolling
    # reaches it: the sites list's export links lost their "Export:".
    page.set_viewport_size(PHONE)
    problems = []
    for url in [*(f"/{slug}" for slug in KINDS), "/assets?country=US"]:
        page.goto(url)
        cut = page.evaluate("""() => [...document.querySelectorAll('main *')]
          .filter((e) => e.getClientRects().length && e.checkVisibility()
                         && e.getBoundingClientRect().left < -0.5)
          .map((e) => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 40)}`)""")
        problems += [f"{url}: {c}" for c in cut]
    assert not problems, "\n".join(problems)
