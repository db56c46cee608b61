"""The API's documentation (`/docs`): Swagger UI from vendored files, started by a script
file, so it loads nothing from a CDN and runs under the site's Content-Security-Policy."""

from fastapi import APIRouter, Request

from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/docs", name="api_docs")
def api_docs(request: Request):
    """Swagger UI over the app's OpenAPI description."""
    app = request.app
    return render(request, "api/docs.html",
                  {"title": f"{app.title}: documentation", "openapi_url": app.openapi_url})
