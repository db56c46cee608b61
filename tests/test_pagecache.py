"""Cached pages: ETag/304, a write shows at once, personal requests bypass the cache."""

import re

import pytest
from bs4 import BeautifulSoup

from app.caching.pages import public_paths
from app.config import SESSION_COOKIE
from app.plan.kinds import KINDS
from tests.test_query_budget import counting, grow

FILTER = "/assets?country=FR&asset_type=drone"


def _total(html: str) -> int:
    return int(BeautifulSoup(html, "html.parser").select_one("#total").text)


def test_etag_answers_304_and_differs_for_the_fragment(client):
    page = client.get(FILTER)
    etag = page.headers["etag"]
    assert etag.startswith('W/"') and page.headers["cache-control"] == "no-cache"
    assert client.get(FILTER, headers={"If-None-Match": etag}).status_code == 304
    fragment = client.get(FILTER, headers={"HX-Request": "true"})
    assert fragment.headers["etag"] != etag and "<html" not in fragment.text
    other = client.get("/assets?country=FR")
    assert other.headers["etag"] != etag


def test_a_write_changes_the_etag_and_the_counts_at_once(client, session):
    page = client.get(FILTER)
    before = _total(page.text)
    grow(session, 3)  # FR drones, written through the ORM: the data version moves
    again = client.get(FILTER, headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 200
    assert again.headers["etag"] != page.headers["etag"]
    assert _total(again.text) == before + 3
    api = client.get("/api/v1/assets?country=FR&asset_type=drone").json()
    assert api["total"] == before + 3
    counts = {v["value"]: v["count"] for f in api["facets"] if f["param"] == "posture"
              for v in f["values"]}
    assert counts["monitoring"] >= 3


@pytest.mark.parametrize("cookie", [f"{SESSION_COOKIE}=abc", f"theme=dark; {SESSION_COOKIE}=abc"])
def test_a_signed_in_request_is_neither_cached_nor_tagged(client, session, cookie):
    client.get(FILTER)
    with counting(session) as statements:
        page = client.get(FILTER, headers={"Cookie": cookie})
    assert page.status_code == 200 and "etag" not in page.headers
    # Built afresh, not replayed: the list read its rows (a replay reads only the version).
    assert any("FROM asset" in statement for statement in statements)


def test_other_cookies_share_the_cache(client, session):
    client.get(FILTER)
    with counting(session) as statements:
        page = client.get(FILTER, headers={"Cookie": "theme=dark"})
    assert "etag" in page.headers and len(statements) == 1


def test_kept_responses_stay_compressed(client):
    first = client.get(FILTER, headers={"Accept-Encoding": "gzip"})
    second = client.get(FILTER, headers={"Accept-Encoding": "gzip"})
    plain = client.get(FILTER, headers={"Accept-Encoding": "identity"})
    assert first.headers["content-encoding"] == second.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert first.text == second.text == plain.text


def test_errors_and_other_paths_are_not_tagged(client):
    assert "etag" not in client.get("/assets?country=XX").headers  # 400
    assert "etag" not in client.get("/docs").headers


def test_static_files_are_versioned_and_kept_long(client):
    page = client.get("/")
    css = re.search(r'href="(/static/app\.css\?v=\w+)"', page.text).group(1)
    kept = client.get(css)
    assert kept.status_code == 200 and "immutable" in kept.headers["cache-control"]
    plain = client.get("/static/app.css")
    assert plain.headers["cache-control"] == "no-cache"
    assert client.get("/static/app.css",
                      headers={"If-None-Match": plain.headers["etag"]}).status_code == 304


@pytest.mark.parametrize(("path", "public"), [
    ("/", True), ("/assets", True), ("/force-levels/3", True), ("/assets.csv", True),
    ("/api/v1/assets", True), ("/api/v1/assets/7", True),
    ("/assets/7/edit", False), ("/login", False), ("/admin/users", False), ("/docs", False),
    ("/static/app.css", False), ("/assetsx", False),
])
def test_only_the_public_read_pages_are_kept(path, public):
    assert bool(public_paths(KINDS).match(path)) is public


def test_a_request_with_an_api_token_is_neither_cached_nor_tagged(client, session):
    client.get(FILTER)
    page = client.get(FILTER, headers={"Authorization": "Bearer pp_anything"})
    assert page.status_code == 200 and "etag" not in page.headers


def test_a_burst_of_identical_cold_requests_renders_once(monkeypatch):
    """Sixteen requests for an address no one has asked for at this data version: the first
    builds the page and the others wait for it, rather than sixteen renders at once."""
    import asyncio
    from datetime import UTC, datetime

    import httpx

    from app.caching import pages
    from app.caching.stamp import Version

    async def version(_app):
        return Version(1, datetime(2026, 1, 1, tzinfo=UTC))

    monkeypatch.setattr(pages, "_version", version)
    renders = []

    async def route(scope, receive, send):
        renders.append(scope["path"])
        await asyncio.sleep(0.05)  # a slow render: the others arrive meanwhile
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"the page"})

    cache = pages.PageCache(route, paths=re.compile(r"^/"), private_cookies=())

    async def app(scope, receive, send):  # as Starlette would call it, naming its app
        await cache({**scope, "app": None}, receive, send)

    async def burst(path: str, n: int) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await asyncio.gather(*(c.get(path) for _ in range(n)))

    answers = asyncio.run(burst("/assets", 16))
    assert [a.text for a in answers] == ["the page"] * 16
    assert renders == ["/assets"]
    # Another address is built on its own.
    asyncio.run(burst("/sites", 2))
    assert renders == ["/assets", "/sites"]
