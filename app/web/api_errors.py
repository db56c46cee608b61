"""How every part of the JSON API refuses: a rule the input model alone could not check
answers 422 in FastAPI's own validation shape, and the refusals each route documents are
worded once."""

from collections.abc import Iterable

from fastapi.exceptions import RequestValidationError

from app.plan.filters import FilterProblem

UNAUTHENTICATED = {401: {"description": "No valid API token or session"}}
UNREADABLE = {400: {"description": "The body cannot be read as JSON"}}
CSRF = "a session request lacks its CSRF token"


def write_errors(forbidden: str) -> dict[int, dict[str, str]]:
    """The refusals of a route that takes a body: `forbidden` says when it answers 403."""
    return {**UNREADABLE, **UNAUTHENTICATED, 403: {"description": forbidden}}


def rejected(errors: dict[str, str]) -> RequestValidationError:
    """Rule errors in the same 422 shape as FastAPI's own validation errors; a field within
    another is named with dots (`row.id`), the body as a whole by an empty name."""
    return RequestValidationError([
        {"type": "value_error", "loc": ("body", *name.split(".")) if name else ("body",),
         "msg": message, "input": None}
        for name, message in errors.items()
    ])


def query_rejected(problems: Iterable[FilterProblem]) -> RequestValidationError:
    """A filter's refused values, each named by its query parameter."""
    return RequestValidationError([
        {"type": "value_error", "loc": ("query", p.param), "msg": p.message, "input": p.value}
        for p in problems
    ])
