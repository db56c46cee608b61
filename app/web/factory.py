"""The application: middleware, static files, routers and error pages."""

import ctypes
import ctypes.util
import gc
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import quote, urlsplit

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.accounts import csrf
from app.caching.pages import PageCache, public_paths
from app.config import SESSION_COOKIE, get_settings, secret_key
from app.plan.kinds import KINDS
from app.web.headers import SecurityHeadersMiddleware, security_headers
from app.web.limits import LimitsMiddleware, plain_refusal, wants_html
from app.web.middleware import (
    AsOfMiddleware,
    HeadMiddleware,
    RequestLogMiddleware,
    RequestSessionsMiddleware,
    WhoIsAskingMiddleware,
    WritingMiddleware,
    find_user,
)
from app.web.routes import (
    account,
    admin_users,
    alerts,
    api,
    auth,
    changes,
    cite,
    docs,
    editing,
    evidence,
    health,
    history,
    importing,
    maps,
    overview,
    package,
    rows,
    scenarios,
    search,
    views,
    views_api,
)
from app.web.static import STATIC_DIR, CachedStatic
from app.web.templating import render


def _wants_html(request: Request) -> bool:
    return wants_html(request.url.path)


def _csrf_rejection(request: Request):
    if not _wants_html(request):
        return csrf.json_rejection(request)
    message = ("This form has expired or did not come from this site. "
               "Go back, reload the page and try again.")
    return render(request, "error.html", {"status": 403, "message": message},
                  block="content", status_code=403)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _unavailable(request: Request) -> Response:
    """The database cannot be reached: say so, and when to try again; never a 500."""
    return plain_refusal(request.url.path, 503, "Unavailable",
                         "The database cannot be reached just now. Try again in a few seconds.",
                         headers={"Retry-After": "5"})


def _allowed(request: Request) -> str:
    """Every method some route takes at this path: the router names only those of the
    first route whose path matched, where reads and writes are separate routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(request.url.path):
            methods |= route_methods
    return ", ".join(sorted(methods))


def _access_log() -> None:
    """The access log goes to standard error, one JSON line per request, unless the host
    configured the `peaceplan.access` logger itself."""
    log = logging.getLogger("peaceplan.access")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


#: glibc's `mallopt` parameter for the number of heaps ("arenas") threads allocate from.
_M_ARENA_MAX = -8


def _few_malloc_arenas() -> None:
    """Two heaps for the whole process, as `MALLOC_ARENA_MAX=2` sets them: glibc gives each
    allocating thread a heap of its own, up to eight per core, and memory freed in one is
    not reused by another, so a worker's request threads held about 8 MB of freed memory
    more after a filter mix and an export. Before any of those threads exists; nothing on
    other C libraries."""
    with suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c")).mallopt(_M_ARENA_MAX, 2)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    _few_malloc_arenas()
    to_thread.current_default_thread_limiter().total_tokens = get_settings().request_threads
    # What is loaded by now (modules, the routing table, the mappers) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it, which
    # under load stalled every request in flight for 100 ms or more.
    gc.collect()
    gc.freeze()
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    _access_log()
    app = FastAPI(
        lifespan=_lifespan,
        title="Peaceplan API",
        version="1",
        summary="A proposed peacekeeping deployment plan as data, every figure with its source.",
        docs_url=None,
        redoc_url=None,
    )
    # Innermost: the request's sessions are closed after everything else used them.
    app.add_middleware(RequestSessionsMiddleware)
    # Every route knows who asks, so every page can show it; inside the session (the
    # cookie is decoded) and the writing flag (a writer's session begins as one).
    app.add_middleware(WhoIsAskingMiddleware)
    # Added before GZip, so inside it: links are dated before the page is compressed.
    app.add_middleware(AsOfMiddleware)
    app.add_middleware(WritingMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    # The last added runs first: the session is read before the CSRF check needs it.
    app.add_middleware(csrf.CSRFMiddleware, reject=_csrf_rejection)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.session_https_only,
    )
    # Outermost, so a kept response is replayed already compressed and before any session
    # work; requests with a session cookie pass by it.
    app.add_middleware(PageCache, paths=public_paths(KINDS),
                       private_cookies=settings.private_cookies,
                       max_bytes=settings.page_cache_mb * 1024 * 1024)
    # Before the cache and any reading of the body.
    app.add_middleware(LimitsMiddleware, max_body_bytes=settings.max_body_mb * 1024 * 1024)
    # Outside the page cache and the error pages, so that what they answer carries the
    # security headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    # Around everything: a HEAD is served as the GET it stands for, cached ones included,
    # and every request, cached or not, is logged with its id.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(RequestLogMiddleware)
    if settings.trusted_proxies:
        # First of all, so the log, the throttle and the scheme see the real client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.include_router(rows.lists)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(overview.router)
    app.include_router(auth.router)
    app.include_router(admin_users.router)
    app.include_router(account.router)
    app.include_router(views_api.router)
    app.include_router(alerts.router)
    app.include_router(alerts.api_router)
    app.include_router(api.router)
    app.include_router(search.api_router)
    app.include_router(search.router)
    app.include_router(history.router)
    app.include_router(changes.router)
    app.include_router(importing.router)
    # Before the rows: `/{kind}/new` would otherwise be taken for a row id.
    app.include_router(evidence.router)
    app.include_router(editing.router)
    app.include_router(maps.router)
    app.include_router(maps.data_router)
    app.include_router(package.router)
    # Before the rows: `/stances/timeline` would otherwise be taken for a row id.
    app.include_router(scenarios.router)
    app.include_router(scenarios.api_router)
    app.include_router(views.router)
    app.include_router(cite.router)
    app.include_router(rows.router)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        # Answered by the outermost error layer, past every middleware: it brings its own
        # security headers.
        return PlainTextResponse("Internal Server Error", 500,
                                 headers=security_headers(request.url.scheme))

    @app.exception_handler(MultiPartException)
    async def bad_multipart(request: Request, exc: MultiPartException):
        return JSONResponse({"detail": f"Malformed form data: {exc.message}"}, 400)

    @app.exception_handler(DBAPIError)
    async def database_down(request: Request, exc: DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            return _unavailable(request)
        raise exc

    @app.exception_handler(HTTPException)
    async def html_http_error(request: Request, exc: HTTPException):
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": _allowed(request)}
        if not _wants_html(request):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401:
            if request.headers.get("HX-Request") == "true":
                # Signed out meanwhile (expired, disabled): HTMX loads the sign-in page in
                # full, to come back to the page the request was made from.
                page = urlsplit(request.headers.get("HX-Current-URL", "/"))
                here = page.path + (f"?{page.query}" if page.query else "")
                return Response(status_code=401,
                                headers={"HX-Redirect": f"/login?next={quote(here)}"})
            if request.method in ("GET", "HEAD"):
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(here)}", status_code=303)
        if not hasattr(request.state, "user") and "session" in request.scope:
            # An error page no route rendered (a static file that is not there): its
            # header shows the account as every other page does.
            await find_user(request)
        context = {"status": exc.status_code, "message": exc.detail,
                   "page_link": getattr(exc, "page", None)}
        return render(request, "error.html", context, block="content", status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def html_validation_error(request: Request, exc: RequestValidationError):
        if not _wants_html(request):
            # The refused values go back as JSON can hold them (NaN cannot be sent raw).
            return JSONResponse({"detail": jsonable_encoder(_json_safe(exc.errors()))}, 422)
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        ]
        context = {"status": 400, "message": "The address has a bad value.", "problems": problems}
        return render(request, "error.html", context, block="content", status_code=400)

    return app
