"""Security headers on every response: a strict Content-Security-Policy and its companions.

The pages run only the site's own script files: no inline script, no `eval`, no inline
styles (htmx is told not to add its indicator `<style>`, Swagger UI starts from a file).
Boundaries are drawn from local files, so images come from the site alone (`data:` for the
icons in Swagger UI's stylesheet). A response that sets one of these headers itself keeps
its own.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    # Sources link out to their publishers: a reader's path through the plan stays here.
    # Within the site the full address still goes along (and `Origin` is unaffected).
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
#: Sent only over HTTPS: over plain HTTP a browser ignores it, and a site reached by HTTP
#: for development must not be pinned to HTTPS.
HSTS = ("strict-transport-security", "max-age=31536000")

_PLAIN = tuple((k.encode(), v.encode()) for k, v in HEADERS.items())
_SECURE = (*_PLAIN, tuple(h.encode() for h in HSTS))


def security_headers(scheme: str) -> dict[str, str]:
    """The headers for a response over `scheme`, for responses built outside the middleware
    (the server error page)."""
    return dict(HEADERS, **({HSTS[0]: HSTS[1]} if scheme == "https" else {}))


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response passing through, whoever built it:
    routes, error handlers, static files, the page cache and its 304s.

    The scheme is the scope's: a proxy in front is trusted only where the app is told to
    rewrite the scope from its headers, before this runs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _SECURE if scope.get("scheme") == "https" else _PLAIN

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
