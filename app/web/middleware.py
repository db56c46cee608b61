"""Keeps a view of the past in the past: links and forms on a page shown `?as_of=` a date
carry that date, and a write that carries one is refused.

Doing this on the way out, for every HTML response, means no page, macro or column that
builds a link has to know about `as_of`, including pages and forms added later. Links to
`TIMELESS` addresses, and a link marked `data-present`, are left as they are.
"""

import json
import logging
import os
import re
import time

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.auth import signed_in_user, signs_in
from app.db import WRITING, close_request_sessions, get_session
from app.web.templating import render

#: Addresses that show the present whatever the page: they keep no date.
TIMELESS = ("/static/", "/docs", "/openapi.json", "/compare", "/changes.atom", "/changes.json",
            "/feeds/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_TAG = re.compile(r"<(?P<name>[a-zA-Z]+)\b(?P<attrs>[^>]*)>")
# Writes carry the date too, so that the server refuses them rather than apply a form
# filled in from the past to the present; so do the addresses scripts load data from.
_LINK = re.compile(
    r'(?<![\w-])(?P<attr>href|action|data-src|hx-(?:get|post|put|patch|delete))="(?P<url>/[^"]*)"')
_METHOD = re.compile(r'\bmethod="(?!get")', re.IGNORECASE)


def _timeless(url: str) -> bool:
    return url.startswith(TIMELESS) or "as_of=" in url


def with_date(html: str, day: str, change: int | None = None) -> str:
    """`html` with every link to a page of the app carrying `as_of=day` (and the
    `change` a permalink is pinned to), and hidden fields for them in every GET form
    (a GET form drops the query of its action)."""
    fields = f'<input type="hidden" name="as_of" value="{day}">'
    query = f"as_of={day}"
    if change is not None:
        fields += f'<input type="hidden" name="change" value="{change}">'
        query += f"&amp;change={change}"

    def link(match: re.Match) -> str:
        url = match["url"]
        if _timeless(url):
            return match[0]
        path, hash_, fragment = url.partition("#")
        path += f"{'&amp;' if '?' in path else '?'}{query}"
        return f'{match["attr"]}="{path}{hash_}{fragment}"'

    def tag(match: re.Match) -> str:
        attrs = match["attrs"]
        if "data-present" in attrs:
            return match[0]
        if match["name"].lower() == "form" and not _METHOD.search(attrs):
            action = _LINK.search(attrs)
            if action and _timeless(action["url"]):
                return match[0]
            return f"{match[0]}{fields}"
        return f"<{match['name']}{_LINK.sub(link, attrs)}>"

    return _TAG.sub(tag, html)


class AsOfMiddleware:
    """Refuses writes with `as_of`, and dates the links of pages shown as of a date (the
    session dependency puts the view in `request.state.as_of`)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b"as_of"
        if b"as_of" not in query and b"%" not in query:
            # No past view without `as_of` in the address (written plainly: an escaped
            # name is decoded below): nothing to refuse or to date.
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if "as_of" in request.query_params and request.method not in SAFE_METHODS:
            await _refuse(request)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        start: Message | None = None
        chunks: list[bytes] = []

        async def dating_send(message: Message) -> None:
            nonlocal start
            view = state.get("as_of")
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if view is None or not headers.get(b"content-type", b"").startswith(
                        b"text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = with_date(b"".join(chunks).decode(), view.param, view.change).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, dating_send)


def _refuse(request: Request):
    message = ("Views of the plan as of a past date are read-only: remove as_of from the "
               "address to make changes.")
    headers = {"Allow": ", ".join(SAFE_METHODS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, 405, headers)
    response = render(request, "error.html", {"status": 405, "message": message},
                      status_code=405)
    response.headers.update(headers)
    return response


class WritingMiddleware:
    """Marks a request that may write (any method but GET, HEAD and OPTIONS), so that its
    database session takes the write lock as it begins (`app.db.WRITING`)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in self.SAFE:
            await self.app(scope, receive, send)
            return
        token = WRITING.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            WRITING.reset(token)


class HeadMiddleware:
    """HEAD wherever GET works: the GET response's status and headers, without its body
    (routes declare GET only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


ACCESS_LOG = logging.getLogger("peaceplan.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """One structured line per request, with an id that is also sent back as
    `X-Request-ID` (a caller's own id is kept when it is a plain token), so a user's
    report, the access log and an error's traceback can be matched."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read from the raw headers, and the id added to them as they are: this runs for
        # every request, cached ones included.
        given = next((v.decode("latin-1") for k, v in scope["headers"]
                      if k == b"x-request-id"), "")
        request_id = given if _REQUEST_ID.match(given) else os.urandom(8).hex()
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*((k, v) for k, v in message.get("headers", ())
                                        if k != b"x-request-id"),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        except Exception:
            ACCESS_LOG.exception("request failed", extra={"request_id": request_id})
            raise
        finally:
            if ACCESS_LOG.isEnabledFor(logging.INFO):
                client = scope.get("client")
                line = json.dumps({
                    "request_id": request_id, "method": scope["method"], "path": scope["path"],
                    "status": status, "ms": round(1000 * (time.perf_counter() - started), 1),
                    "client": client[0] if client else None,
                })
                # Made and handed to the handlers directly: `info` would first walk the
                # stack for the line that logged, which every line of this log knows.
                ACCESS_LOG.handle(ACCESS_LOG.makeRecord(
                    ACCESS_LOG.name, logging.INFO, __file__, 0, line, (), None,
                    extra={"request_id": request_id}))


class RequestSessionsMiddleware:
    """Closes the database sessions a request opened (`app.db.get_session`) once its
    response, streamed ones included, has been sent, or the request has failed."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            await close_request_sessions(scope)


async def find_user(request: Request) -> None:
    """Who is asking, in `request.state.user`: None for an anonymous request (neither a
    token nor a signed-in session), told apart from the cookie already decoded, with no
    database, thread or dependency to resolve; a token or a session is looked up in a
    thread, through the route's own session (`get_session`, or a test's replacement of
    it). A lookup that finds the database away gives up the failed transaction and leaves
    the question open: a route's own `current_user` then meets the outage (a 503, not a
    500), and a page shows no account."""
    if not signs_in(request):
        request.scope.setdefault("state", {})["user"] = None
        return
    provider = request.app.dependency_overrides.get(get_session)
    session = provider() if provider else await get_session(request)
    try:
        await run_in_threadpool(signed_in_user, request, session)
    except DBAPIError:
        await run_in_threadpool(session.rollback)


class WhoIsAskingMiddleware:
    """Who is asking (`find_user`), before every route, for every page to show and every
    role check to read. Inside `WritingMiddleware`, so that a writing request's session
    begins as a writer. Static files need no one."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            await find_user(Request(scope))
        await self.app(scope, receive, send)
