"""The application: middleware, static files, routers and error pages."""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from app.config import get_settings
from app.kinds import KINDS
from app.pagecache import PageCache, public_paths
from app.routes import api, overview, rows
from app.static import STATIC_DIR, CachedStatic, static_url
from app.templating import render


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.endswith(".csv") or path in ("/openapi.json",))


def create_app() -> FastAPI:
    app = FastAPI(
        title="Peaceplan API",
        version="1",
        summary="A proposed peacekeeping deployment plan as data, every figure with its source.",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    # Outermost, so a kept response is replayed already compressed.
    settings = get_settings()
    app.add_middleware(PageCache, paths=public_paths(KINDS),
                       private_cookies=settings.private_cookies,
                       max_bytes=settings.page_cache_mb * 1024 * 1024)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.include_router(overview.router)
    app.include_router(api.router)
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
        context = {"status": exc.status_code, "message": exc.detail}
        return render(request, "error.html", context, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def html_validation_error(request: Request, exc: RequestValidationError):
        if not _wants_html(request):
            return await request_validation_exception_handler(request, exc)
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        ]
        context = {"status": 400, "message": "The address has a bad value.", "problems": problems}
        return render(request, "error.html", context, status_code=400)

    return app
