"""In Chromium: a figure's citation lands on its quote, highlighted and in view, in the
source's text as held."""

import re

from playwright.sync_api import Page, expect

PHONE = {"width": 375, "height": 812}


def _quote_id(page: Page) -> str:
    """The citation id in the page's URL, which must be a source page's `#q-N`."""
    expect(page).to_have_url(re.compile(r"/sources/\d+#q-\d+$"))
    return re.search(r"#q-(\d+)$", page.url).group(1)


def _expect_quote_shown(page: Page, quote: str) -> None:
    """`#q-N` is in the highlighted text and in view; every stretch of quote N is `current`,
    and nothing else is."""
    target = page.locator(f".source-text #q-{quote}")
    expect(target).to_have_count(1)
    assert target.evaluate("el => el.matches('mark, span.quote-anchor')"), target.evaluate(
        "el => el.outerHTML")
    expect(target).to_be_in_viewport()
    stretches = page.locator(f'.source-text mark[data-quotes~="{quote}"]')
    expect(stretches.first).to_be_in_viewport()
    count = stretches.count()
    assert count >= 1, f"no highlighted stretch carries quote {quote}"
    expect(page.locator(".source-text mark.current")).to_have_count(count)
    for i in range(count):
        expect(stretches.nth(i)).to_have_class(re.compile(r"\bcurrent\b"))


def test_a_figures_citation_lands_on_its_highlighted_quote(page: Page, base_url: str,
                                                           artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/assets")
    cite = page.locator('#results a.cite[href*="#q-"]').first
    href = cite.get_attribute("href")
    assert re.fullmatch(r"/sources/\d+#q-\d+", href), href

    cite.click()
    quote = _quote_id(page)
    assert page.url.endswith(href)
    _expect_quote_shown(page, quote)
    page.screenshot(path=artifacts / "source-quote.png")

    # Another quote of the same source, linked from the same page (its rows' tables): only
    # the hash changes, and the highlight moves to that quote.
    source = re.search(r"/sources/(\d+)#", page.url).group(1)
    other = page.locator(f'a.cite[href^="/sources/{source}#q-"]:not([href$="#q-{quote}"])')
    expect(other.first).to_be_attached()
    other_href = other.first.get_attribute("href")
    page.evaluate("window.__sameDocument = true")
    other.first.click()
    expect(page).to_have_url(re.compile(re.escape(other_href) + "$"))
    moved = _quote_id(page)
    _expect_quote_shown(page, moved)
    expect(page.locator(f'.source-text mark.current[data-quotes~="{quote}"]'
                        f':not([data-quotes~="{moved}"])')).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "following the link reloaded"
    assert errors == []


def test_headline_card_source_leads_to_the_quote(page: Page, base_url: str,
                                                 artifacts) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    label = page.locator(".card-label", has_text=re.compile(r"^Proposed$"))
    card = page.locator(".card", has=label)
    expect(card).to_have_count(1)
    link = card.locator(".card-sources").get_by_role("link", name="unnamed outlet, 21 Feb 2025")
    expect(link).to_have_attribute("href", re.compile(r"^/sources/\d+#q-\d+$"))

    link.click()
    quote = _quote_id(page)
    _expect_quote_shown(page, quote)
    current = page.locator(".source-text mark.current")
    expect(current.first).to_contain_text("30,000 European troops")
    expect(current.first).to_be_in_viewport()
    page.screenshot(path=artifacts / "source-quote-phone.png")


def test_no_error_without_a_quote_to_show(page: Page, base_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for url in ("/sources/1#q-999999", "/sources/1#sources-h", "/assets#q-1", "/sources/1"):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("mark.current")).to_have_count(0)
    assert errors == []
