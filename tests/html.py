"""Reading the app's HTML in tests."""

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def result_ids(response, slug: str) -> set[int]:
    """Ids of the rows in the results table, read from their links to detail pages."""
    links = soup(response).select(f"tbody a[href^='/{slug}/']")
    return {int(a["href"].partition("?")[0].rsplit("/", 1)[1]) for a in links}
