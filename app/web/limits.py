"""Limits on what a request may carry, refused before any work: the body's size, the
query string's length and its number of parameters.

A body is counted as it arrives, so a client that sends no Content-Length, or a false
one, is stopped at the limit too; nothing is read past it.
"""

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Longer query strings are refused (414): no page's filters need nearly as much.
MAX_QUERY_BYTES = 8192
#: More parameters than this are refused (400): a filter of every country is about 40.
MAX_PARAMETERS = 200


def wants_html(path: str) -> bool:
    return not (path.startswith("/api/")
                or path.endswith((".csv", ".atom", ".geojson", ".zip", ".json"))
                or path in ("/openapi.json",))


def plain_refusal(path: str, status: int, title: str, message: str,
                  headers: dict[str, str] | None = None) -> Response:
    """A small answer made without templates or the database, for refusals that come
    before either may be used: JSON for the API and data files, a page otherwise."""
    if not wants_html(path):
        return JSONResponse({"detail": message}, status, headers=headers)
    return HTMLResponse(f"<!doctype html><html lang=en><title>{title}</title>"
                        f"<h1>{title}</h1><p>{message}</p></html>", status, headers=headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"The request is larger than {limit // (1024 * 1024)} MB, "
                              "the most this site takes.")


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if refusal := self._refusal(scope):
            await refusal(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD") and not any(
                name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"]):
            # A read with no body: nothing to count.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:
            # Raised where a middleware (the CSRF check) read the body; a route's reading
            # is answered by the app's own HTTPException handler instead.
            if started:
                raise
            await plain_refusal(scope["path"], 413, "Too large", error.detail)(
                scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        path, query = scope["path"], scope.get("query_string", b"")
        if len(query) > MAX_QUERY_BYTES:
            return plain_refusal(path, 414, "Address too long",
                                 f"The address's query is longer than {MAX_QUERY_BYTES:,} "
                                 "bytes: choose fewer filters.")
        if query.count(b"&") >= MAX_PARAMETERS:
            return plain_refusal(path, 400, "Too many parameters",
                                 f"The address has more than {MAX_PARAMETERS} parameters: "
                                 "choose fewer filters.")
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    return plain_refusal(path, 400, "Bad request",
                                         "The Content-Length header is not a number.")
                if int(value) > self.max_body:
                    return plain_refusal(path, 413, "Too large",
                                         BodyTooLarge(self.max_body).detail)
        return None
