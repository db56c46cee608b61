"""The ASGI entry point: `uvicorn app.main:create_app --factory`.

Importing `stamp`, `record` and `index` registers their session listeners, so every write of
plan data in this process is recorded in the history, bumps the data version and is indexed
for search (see `app.db`).
"""

from app.caching import stamp  # noqa: F401
from app.history import record  # noqa: F401
from app.search import index  # noqa: F401
from app.web.factory import create_app

__all__ = ["create_app"]
