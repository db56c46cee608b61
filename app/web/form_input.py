"""Form posts through pydantic: the parsed model, or one message per field."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from app.editing.messages import plain_message

Errors = dict[str, str]
M = TypeVar("M", bound=BaseModel)


def field_errors(error: ValidationError) -> Errors:
    """The first message for each field, keyed by field name ("" for the whole form)."""
    out: Errors = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = plain_message(problem)
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
