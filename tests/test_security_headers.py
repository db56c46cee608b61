"""Security headers on every response, a strict Content-Security-Policy the pages keep to
(no inline script, handler or style in a template or a rendered page), HSTS over HTTPS
only, and a session cookie marked Secure when SESSION_HTTPS_ONLY is set."""

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import SESSION_COOKIE, get_settings
from app.db import get_session
from app.main import create_app
from app.web.headers import CONTENT_SECURITY_POLICY, HEADERS
from tests.html import soup
from tests.test_query_budget import counting

ROOT = Path(__file__).resolve().parents[1]
CACHED = "/assets?country=FR"


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (d.split() for d in policy.split(";"))}


def _has_every_header(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert "strict-transport-security" not in response.headers  # plain HTTP


def test_the_policy_allows_only_the_sites_own_files():
    policy = _directives(CONTENT_SECURITY_POLICY)
    for directive in ("script-src", "style-src", "default-src", "connect-src", "font-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]
    assert not re.search(r"unsafe-|\*|https?:", CONTENT_SECURITY_POLICY)


@pytest.mark.parametrize("path", [
    "/", "/assets", "/map", "/docs", "/login", "/api/v1/assets", "/openapi.json",
    "/sites.geojson", "/assets.csv", "/changes.atom", "/healthz",
    "/static/app.css", "/static/vendor/htmx/htmx.min.js",
])
def test_every_answer_carries_the_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _has_every_header(response)


@pytest.mark.parametrize(("path", "status"), [
    ("/no-such-page", 404), ("/api/v1/no-such-thing", 404), ("/assets/999999", 404),
    ("/api/v1/assets?page=first", 422), ("/assets?country=XX", 400),
    ("/admin/users", 303), ("/static/no-such-file.css", 404),
])
def test_errors_and_redirects_carry_the_headers(client, path, status):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    _has_every_header(response)


def test_a_refused_form_carries_the_headers(client):
    refused = client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 403  # no CSRF token
    _has_every_header(refused)


def test_a_cached_page_a_304_and_a_head_carry_the_headers(client, session):
    first = client.get(CACHED)
    with counting(session) as statements:
        replayed = client.get(CACHED)
    assert len(statements) == 1  # the data version only: the page came from the cache
    _has_every_header(replayed)
    not_modified = client.get(CACHED, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304
    _has_every_header(not_modified)
    static = client.get("/static/app.css")
    again = client.get("/static/app.css", headers={"If-None-Match": static.headers["etag"]})
    assert again.status_code == 304
    _has_every_header(again)
    _has_every_header(client.head(CACHED))


def test_headers_are_sent_once(client):
    raw = client.get(CACHED).headers.raw
    names = [k.lower() for k, _ in raw]
    for name in HEADERS:
        assert names.count(name.encode()) == 1, name


def test_hsts_over_https_only(app):
    with TestClient(app, base_url="https://testserver") as secure:
        for path in ("/", CACHED, "/api/v1/assets", "/static/app.css", "/no-such-page"):
            response = secure.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000", path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/").headers


def test_a_server_error_carries_the_headers(session):
    # An app of its own: the failing probe route must not outlive this test.
    app: FastAPI = create_app()
    app.dependency_overrides[get_session] = lambda: session

    def fail():
        raise RuntimeError("a fault in a route")

    app.add_api_route("/probe-failure", fail)
    for base in ("http://testserver", "https://testserver"):
        with TestClient(app, base_url=base, raise_server_exceptions=False) as client:
            response = client.get("/probe-failure")
            assert response.status_code == 500
            for name, value in HEADERS.items():
                assert response.headers[name] == value, name
            assert ("strict-transport-security" in response.headers) == base.startswith("https")


# --- The session cookie over HTTPS ---


def _session_cookie(client: TestClient) -> str:
    response = client.get("/login")  # the sign-in form puts a CSRF token in the session
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith(f"{SESSION_COOKIE}=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    return cookies[0].lower()


def test_the_session_cookie_is_secure_when_set_to_https_only(session, monkeypatch):
    monkeypatch.setenv("SESSION_HTTPS_ONLY", "true")
    get_settings.cache_clear()
    try:
        app: FastAPI = create_app()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, base_url="https://testserver") as client:
        cookie = _session_cookie(client)
    assert "; secure" in cookie and "; httponly" in cookie and "samesite=lax" in cookie


def test_the_session_cookie_is_not_secure_by_default(client):
    assert "; secure" not in _session_cookie(client)


# --- What the pages are made of ---


#: Pages that, between them, use every template that makes a whole page.
RENDERED = ["/", "/?country=UA", "/assets", "/events", "/sources", "/sources/1", "/sites/1",
            "/map", "/brief", "/compare", "/compare?from=2025-02-21", "/docs", "/login",
            "/no-such-page", "/assets?country=XX"]
SIGNED_IN = ["/assets/new", "/assets/1/edit", "/account/tokens", "/admin/users",
             "/admin/changes", "/admin/import", "/changes/1"]


def _inline_code(html) -> list[str]:
    """Inline scripts, event handler attributes, `javascript:` links and inline styles."""
    found = [f"<script> {s.text[:40]!r}" for s in html.find_all("script")
             if not s.get("src") and s.get("type") != "application/json"]
    found += [f"<style> {s.text[:40]!r}" for s in html.find_all("style")]
    for tag in html.find_all(True):
        for attr, value in tag.attrs.items():
            if attr == "style" or attr.startswith(("on", "hx-on")):
                found.append(f"<{tag.name} {attr}={value!r}>")
            if attr in ("href", "src", "action") and str(value).lower().startswith("javascript:"):
                found.append(f"<{tag.name} {attr}={value!r}>")
    return found


@pytest.mark.parametrize("path", RENDERED)
def test_rendered_pages_have_no_inline_code_or_style(client, path):
    assert _inline_code(soup(client.get(path))) == []


def test_signed_in_pages_have_no_inline_code_or_style(admin_client):
    for path in SIGNED_IN:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert _inline_code(soup(response)) == [], path


def test_htmx_adds_no_inline_style_and_evaluates_nothing(client):
    meta = soup(client.get("/")).select_one('meta[name="htmx-config"]')
    config = json.loads(meta["content"])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    # Its indicator rules come from the stylesheet instead.
    assert ".htmx-indicator" in (ROOT / "static" / "app.css").read_text()


# Templates hold Jinja as well as HTML, so they are read as text: a `<script>` without a
# `src`, a `style=` attribute, an `on...=` handler or `hx-on` is refused wherever it stands.
INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", re.I),
     "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "on...= handler"),
    (re.compile(r"\bhx-on\b|\bdata-hx-on\b", re.I), "hx-on"),
    (re.compile(r"javascript:", re.I), "javascript: link"),
]


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")))
def test_templates_hold_no_inline_code_or_style(template):
    text = (ROOT / "templates" / template).read_text()
    found = [f"{what}: {m.group(0)[:60]!r}" for pattern, what in INLINE
             for m in pattern.finditer(text)]
    assert found == []


def test_the_template_check_finds_what_it_looks_for():
    bad = ['<script>go()</script>', '<div style="color: red">', '<a href="/" onclick="x()">',
           '<button hx-on:click="x()">', '<a href="javascript:void(0)">', '<style>p{}</style>']
    for text in bad:
        assert any(p.search(text) for p, _ in INLINE), text
    good = ['<script src="/static/app.js" defer></script>',
            '<script type="application/json" id="d">{}</script>',
            '<p>Based on reporting, the one site</p>', '<a href="/x" data-present>']
    for text in good:
        assert not any(p.search(text) for p, _ in INLINE), text
