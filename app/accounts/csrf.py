"""CSRF protection for every unsafe request, whatever route it is for.

The token lives in the signed session cookie and must come back with every POST, PUT, PATCH
and DELETE, either in the `X-CSRF-Token` header (HTMX, fetch) or in a `csrf_token` form
field (plain forms, which work without JavaScript). Requests that authenticate with
`Authorization: Bearer` are exempt: a browser never adds that header to a cross-site
request by itself, and such requests are never authenticated by the cookie.
"""

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from jinja2 import pass_context
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FORM_BODY = 20 * 1024 * 1024


def token(request: Request, *, create: bool = True) -> str | None:
    """This session's CSRF token, made on first use."""
    value = request.session.get(SESSION_KEY)
    if value is None and create:
        value = request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return value


def is_bearer(request: Request) -> bool:
    """Whether the request says `Authorization: Bearer`. Read from the raw headers: every
    request asks, before any route."""
    return any(name == b"authorization" and value.partition(b" ")[0].lower() == b"bearer"
               for name, value in request.scope["headers"])


# --- Template helpers ---


@pass_context
def csrf_token(context) -> str:
    return token(context["request"])


@pass_context
def csrf_field(context) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, token(context["request"]))


@pass_context
def csrf_headers(context) -> Markup:
    """`hx-headers` for <body>, once the session has a token, so HTMX sends it."""
    value = token(context["request"], create=False)
    if value is None:
        return Markup("")
    return Markup("hx-headers='{{\"X-CSRF-Token\": \"{}\"}}'").format(value)


TEMPLATE_GLOBALS = {"csrf_token": csrf_token, "csrf_field": csrf_field,
                    "csrf_headers": csrf_headers}


# --- Middleware ---

Rejection = Callable[[Request], Awaitable[Response] | Response]


def json_rejection(request: Request) -> Response:
    return JSONResponse({"detail": "CSRF token missing or wrong."}, status_code=403)


class CSRFMiddleware:
    """Checks the token before any route runs. Sits inside SessionMiddleware.

    A form body is read here to find the field, then replayed to the route untouched.
    """

    def __init__(self, app: ASGIApp, reject: Rejection = json_rejection) -> None:
        self.app = app
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Methods no route takes go on to the router's 405.
        if scope["type"] != "http" or scope["method"] not in WRITING_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if is_bearer(request):
            await self.app(scope, receive, send)
            return
        expected = token(request, create=False)
        sent = request.headers.get(HEADER)
        content_type = request.headers.get("content-type", "")
        if sent is None and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            body = await _read_body(receive)
            if body is None:  # too large, or the client went away
                await JSONResponse({"detail": "Request body too large."}, 413)(
                    scope, receive, send)
                return
            receive = _replay(body, receive)
            sent = await _form_token(scope, receive, content_type, body)
            receive = _replay(body, receive)
        if not (expected and sent and secrets.compare_digest(sent, expected)) \
                and _routed(scope):
            response = self.reject(request)
            if not isinstance(response, Response):
                response = await response
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _routed(scope: Scope) -> bool:
    """Whether a route takes this method at this path. A method no route takes is not a
    forgery to refuse but a 405 for the router to answer, with the methods it allows."""
    router = getattr(scope.get("app"), "router", None)
    if router is None:
        return True
    return any(route.matches(scope)[0] is Match.FULL for route in router.routes)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then whatever the client sends next."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _form_token(scope: Scope, receive: Receive, content_type: str,
                      body: bytes) -> str | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
        return values[0] if values else None
    try:
        form = await Request(scope, receive).form()
    except (MultiPartException, HTTPException, KeyError):
        # A multipart body without a boundary, or malformed: it carries no token.
        return None
    try:
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()
