"""The application: middleware, static files, routers and error pages."""

from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app.accounts import csrf
from app.accounts.auth import current_user
from app.caching.pages import PageCache, public_paths
from app.config import SESSION_COOKIE, get_settings, secret_key
from app.plan.kinds import KINDS
from app.web.middleware import AsOfMiddleware, WritingMiddleware
from app.web.routes import (
    account,
    admin_users,
    api,
    auth,
    changes,
    editing,
    evidence,
    history,
    importing,
    maps,
    overview,
    rows,
)
from app.web.static import STATIC_DIR, CachedStatic, static_url
from app.web.templating import render


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.endswith((".csv", ".atom", ".geojson"))
                or path in ("/openapi.json",))


def _csrf_rejection(request: Request):
    if not _wants_html(request):
        return csrf.json_rejection(request)
    message = ("This form has expired or did not come from this site. "
               "Go back, reload the page and try again.")
    return render(request, "error.html", {"status": 403, "message": message},
                  block="content", status_code=403)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Peaceplan API",
        version="1",
        summary="A proposed peacekeeping deployment plan as data, every figure with its source.",
        docs_url=None,
        redoc_url=None,
        # Every route knows who asks, so every page can show it.
        dependencies=[Depends(current_user)],
    )
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
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.include_router(overview.router)
    app.include_router(auth.router)
    app.include_router(admin_users.router)
    app.include_router(account.router)
    app.include_router(api.router)
    app.include_router(history.router)
    app.include_router(changes.router)
    app.include_router(importing.router)
    # Before the rows: `/{kind}/new` would otherwise be taken for a row id.
    app.include_router(evidence.router)
    app.include_router(editing.router)
    app.include_router(maps.router)
    app.include_router(maps.data_router)
    app.include_router(rows.router)

    @app.get("/docs", include_in_schema=False)
    def api_docs():
        """Swagger UI from vendored files: the docs work offline and load nothing from a CDN."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title}: documentation",
            swagger_js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=static_url("vendor/swagger-ui/favicon-32x32.png"),
        )

    @app.exception_handler(HTTPException)
    async def html_http_error(request: Request, exc: HTTPException):
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
        context = {"status": exc.status_code, "message": exc.detail}
        return render(request, "error.html", context, block="content", status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def html_validation_error(request: Request, exc: RequestValidationError):
        if not _wants_html(request):
            return await request_validation_exception_handler(request, exc)
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        ]
        context = {"status": 400, "message": "The address has a bad value.", "problems": problems}
        return render(request, "error.html", context, block="content", status_code=400)

    return app
