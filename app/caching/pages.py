"""Whole responses of the public read pages, cached per data version, with ETags.

A page, its HTMX fragment, the API and the CSV export depend only on the address, the
headers that pick the fragment, and the data: so a response is a function of
(address, fragment headers, data version). This middleware reads the version (one
primary-key lookup), answers `If-None-Match` with 304, replays a response it has already
built at that version, and otherwise lets the route build it and keeps it (small ones only,
a bounded total per process). A write in any process bumps the version (`stamp`), so
the next request everywhere misses and rebuilds: no entry is ever served stale.

Per-user content: a request carrying a private cookie (the session cookie, see
`Settings.private_cookies`) or an `Authorization` header bypasses the cache and gets no
ETag; a response that sets a cookie or says `Cache-Control: private` or `no-store` is
neither kept nor tagged.
"""

import asyncio
import hashlib
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from contextlib import contextmanager
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.caching import stamp
from app.caching.memo import LRU
from app.config import get_settings
from app.db import get_engine, get_session
from app.plan.models import utcnow

#: Request headers that choose between the page and a fragment of it.
VARIANT_HEADERS = ("hx-request", "hx-boosted", "hx-history-restore-request")
ROOT = Path(__file__).resolve().parents[2]


@cache
def build_id() -> str:
    """A digest of the code and templates: a new release never answers 304 to an old page."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("templates/**/*.html")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def public_paths(slugs: Iterable[str]) -> re.Pattern:
    """The read pages every visitor sees alike: overview, lists, exports, details, API."""
    kinds = "|".join(re.escape(s) for s in slugs)
    return re.compile(rf"^/(?:(?:api/v1/)?(?:{kinds})(?:\.csv|/\d+)?)?$")


class PageCache:
    def __init__(self, app: ASGIApp, *, paths: re.Pattern, private_cookies: Iterable[str],
                 max_bytes: int = 32 * 1024 * 1024, max_body: int = 1024 * 1024) -> None:
        self.app = app
        self.paths = paths
        self.private_cookies = frozenset(private_cookies)
        self.max_body = max_body
        self.store = LRU(max_bytes)
        # Responses being built, by key: a request for one waits for it rather than
        # building it again (right after a write, every visitor asks for a page at once).
        self.building: dict[tuple, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not self.paths.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # A signed-in browser (session cookie) or script (API token) may see its own page.
        if "authorization" in headers or self._private(headers.get("cookie")):
            await self.app(scope, receive, send)
            return
        try:
            version = (await _version(scope["app"])).token
        except Exception:  # the database is away: the route will say so (503)
            await self.app(scope, receive, send)
            return
        variant = tuple(headers.get(h, "") for h in VARIANT_HEADERS)
        # The host too: a page's Cite box names its own absolute address, which a request
        # for another host must not be handed. And the day: pages say how long ago the
        # newest source is, and a citation the day it was read.
        address = (headers.get("host", ""), scope["path"], scope["query_string"], variant,
                   utcnow().date().isoformat())
        digest = hashlib.blake2b(repr((build_id(), version, address)).encode(), digest_size=12)
        etag = f'W/"{digest.hexdigest()}"'
        if etag in headers.get("if-none-match", ""):
            await _send(send, 304, [(b"etag", etag.encode()), *_validators()], b"")
            return
        gzip = "gzip" in headers.get("accept-encoding", "")
        key = (version, address, gzip)
        kept = self.store.get(key)
        if kept is None and (pending := self.building.get(key)) is not None:
            await pending.wait()
            kept = self.store.get(key)
        if kept is not None:
            await _send(send, 200, *kept)
            return
        if key in self.building:  # built, but not kept (too big, not a 200): build our own
            await self.app(scope, receive, self._keeping(send, key, etag))
            return
        self.building[key] = done = asyncio.Event()
        try:
            await self.app(scope, receive, self._keeping(send, key, etag))
        finally:
            del self.building[key]
            done.set()

    def _private(self, cookie_header: str | None) -> bool:
        if not cookie_header or not self.private_cookies:
            return False
        cookies = SimpleCookie()
        cookies.load(cookie_header)
        return not self.private_cookies.isdisjoint(cookies)

    def _keeping(self, send: Send, key: tuple, etag: str) -> Send:
        """`send`, tagging a shareable 200 response on the way and keeping a copy of it."""
        kept: dict = {"headers": None, "body": []}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                control = headers.get("cache-control", "")
                if (message["status"] == 200 and "set-cookie" not in headers
                        and "private" not in control and "no-store" not in control):
                    headers["etag"] = etag
                    if not control:
                        headers["cache-control"] = "no-cache"
                    kept["headers"] = [(k, v) for k, v in message["headers"]
                                       if k not in (b"content-length", b"transfer-encoding")]
                    kept["size"] = 0
            elif message["type"] == "http.response.body" and kept["headers"] is not None:
                chunk = message.get("body", b"")
                kept["size"] += len(chunk)
                if kept["size"] > self.max_body:
                    kept["headers"] = None  # too big to keep: streamed through only
                else:
                    kept["body"].append(chunk)
                    if not message.get("more_body", False):
                        body = b"".join(kept["body"])
                        self.store.put(key, (kept["headers"], body),
                                       len(body) + 64 * len(kept["headers"]) + 200)
            await send(message)

        return wrapped


def _validators() -> list[tuple[bytes, bytes]]:
    return [(b"cache-control", b"no-cache"),
            (b"vary", b"HX-Request, HX-Boosted, HX-History-Restore-Request, Accept-Encoding")]


async def _send(send: Send, status: int, headers: list, body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _version(app) -> stamp.Version:
    """The data version, read through the routes' own session source when it is replaced
    (a test's transaction, say), so the version is the one the route will see."""
    provider: Callable | None = app.dependency_overrides.get(get_session)
    if provider is None:
        return await _reader(get_settings().database_url)()
    if inspect.isgeneratorfunction(provider):
        with contextmanager(provider)() as session:
            return stamp.current(session)
    return stamp.current(provider())


@cache
def _reader(url: str) -> Callable[[], Awaitable[stamp.Version]]:
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        return stamp.AsyncReader(engine).read
    # SQLite answers in microseconds: run here, not handed to a thread.
    reader = stamp.Reader(engine)

    async def read() -> stamp.Version:
        return reader.read()

    return read
