"""Static files with cache lifetimes: addresses carry a digest of the file, so a browser
keeps a file for a year and a new version is a new address."""

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


@cache
def static_url(path: str) -> str:
    """`/static/<path>?v=<digest of its content>`, computed once per process."""
    digest = hashlib.blake2b((STATIC_DIR / path).read_bytes(), digest_size=6).hexdigest()
    return f"/static/{path}?v={digest}"


class CachedStatic(StaticFiles):
    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200
                      ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        # A versioned address never changes content; an unversioned one is revalidated
        # (StaticFiles answers If-None-Match with 304).
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["cache-control"] = (
            "public, max-age=31536000, immutable" if versioned else "no-cache")
        return response
