"""The ASGI entry point: `uvicorn app.main:create_app --factory`.

Importing `stamp` and `record` registers their session listeners, so every write of plan data
in this process is recorded in the history and bumps the data version (see `app.db`).
"""

from app.caching import stamp  # noqa: F401
from app.history import record  # noqa: F401
from app.web.factory import create_app

__all__ = ["create_app"]
