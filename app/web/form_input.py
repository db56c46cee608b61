"""Form posts through pydantic: the parsed model, or one message per field."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

Errors = dict[str, str]
M = TypeVar("M", bound=BaseModel)


def field_errors(error: ValidationError) -> Errors:
    """The first message for each field, keyed by field name ("" for the whole form)."""
    out: Errors = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = _plain(problem)
        out.setdefault(field, message[:1].upper() + message[1:])
    return out


def parse_form(model: type[M], form: FormData | dict[str, Any]
                             ) -> tuple[M | None, Errors]:
    """Validate the posted fields the model declares; the CSRF token and others are ignored."""
    data = {name: form.get(name) for name in model.model_fields if form.get(name) is not None}
    try:
        return model.model_validate(data), {}
    except ValidationError as error:
        return None, field_errors(error)


def _plain(problem: dict[str, Any]) -> str:
    """Pydantic's message, said to the person filling in the form."""
    ctx = problem.get("ctx") or {}
    if problem["type"] == "missing":
        return "Fill this in."
    if problem["type"] == "string_too_short":
        if ctx.get("min_length") == 1:
            return "Fill this in."
        return f"Use at least {ctx['min_length']} characters."
    if problem["type"] == "string_too_long":
        return f"Use at most {ctx['max_length']} characters."
    return problem["msg"].removeprefix("Value error, ")
