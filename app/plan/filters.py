"""Filter state: query parameters -> one typed, validated filter object per kind of row.

The same pydantic model validates the HTML pages, the CSV exports and the JSON API, so
all three accept the same parameter names and reject the same bad values.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
)
from sqlalchemy import ColumnElement, Select

from app.plan.vocab import CountryCode, Vocab, country_name, vocab_value


@dataclass(frozen=True)
class Dim:
    """A filter dimension with facet counts: `?param=a&param=b` keeps rows matching any.

    A dimension is either a plain column of the row's table, or, when a row can have
    several values (an event's participant countries), `pairs`: a select of
    (row id, value) labelled `id` and `value`.
    """

    param: str
    label: str
    vocab: type[Vocab] | None = None  # None: ISO country codes
    column: ColumnElement | None = None
    pairs: Callable[[], Select] | None = None

    def label_of(self, value: str) -> str:
        return self.vocab(value).label if self.vocab else country_name(value)

    @property
    def value_type(self) -> Any:
        if self.vocab is None:
            return CountryCode
        return vocab_value(self.vocab, self.label.lower())


#: Letters or digits a search needs: with fewer, it would match nearly every row.
MIN_SEARCH = 2
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _search_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError("search text cannot contain NUL characters")
    if not value.strip():
        return None
    if len(_LETTER_OR_DIGIT.findall(value)) < MIN_SEARCH:
        raise ValueError(f"type at least {MIN_SEARCH} letters or digits to search for "
                         f"(signs and operators are not searched)")
    return value


TAIL = ("q", "sort", "page", "per_page")


class FilterQuery:
    """Turns a filter model back into query strings for links."""

    def values(self, param: str) -> list:
        return getattr(self, param, None) or []

    def query(self, **changes: Any) -> str:
        """This filter as a query string ('?country=US&sort=-troops', or ''), with some
        parameters changed (None drops one). Links built from the validated filter never
        carry a value the page has rejected."""
        data = {**self.model_dump(exclude_defaults=True), **changes}
        defaults = {name: f.default for name, f in type(self).model_fields.items()}
        data = {k: v for k, v in data.items() if v != defaults.get(k, object())}
        names = [n for n in data if n not in TAIL] + [n for n in TAIL if n in data]
        items = [
            (name, str(value))
            for name in names
            if data[name] is not None
            for value in (data[name] if isinstance(data[name], list) else [data[name]])
        ]
        return f"?{urlencode(items)}" if items else ""


class BaseFilters(FilterQuery, BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    q: Annotated[str | None, AfterValidator(_search_text)] = Field(
        None, max_length=200, description="Text search")
    sort: str | None = Field(None, description="Column key, prefixed with '-' for descending")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=500)


def _until_not_before_since(value: date | None, info: ValidationInfo) -> date | None:
    since = info.data.get("since")
    if value is not None and since is not None and value < since:
        raise ValueError(f"the end date {value} is before the start date {since}")
    return value


def filter_model(name: str, dims: list[Dim], sort_keys: list[str],
                 dated: bool = False) -> type[BaseFilters]:
    def check_sort(value: Any) -> str | None:
        if value in (None, ""):
            return None
        if str(value).lstrip("-") not in sort_keys:
            raise ValueError(f"cannot sort by '{value}': choose from {', '.join(sort_keys)}")
        return str(value)

    fields: dict[str, Any] = {
        dim.param: (list[dim.value_type], Field([], description=f"{dim.label} (repeatable)"))
        for dim in dims
    }
    # Listed, so that the schema names every order the API takes; empty is the default.
    orders = Literal[tuple([""] + sort_keys + [f"-{key}" for key in sort_keys])]
    fields["sort"] = (
        Annotated[orders | None, BeforeValidator(check_sort)],
        Field(None, description=f"One of {', '.join(sort_keys)}; prefix '-' to reverse"),
    )
    if dated:
        fields = {
            **fields,
            "since": (date | None, Field(None, description="On or after this date (YYYY-MM-DD)")),
            "until": (Annotated[date | None, AfterValidator(_until_not_before_since)],
                      Field(None, description="On or before this date (YYYY-MM-DD)")),
        }
    return create_model(name, __base__=BaseFilters, **fields)


@dataclass(frozen=True)
class FilterProblem:
    param: str
    value: str
    message: str


def parse(
    model: type[BaseFilters], query: Mapping[str, list[str]]
) -> tuple[BaseFilters, list[FilterProblem]]:
    """Validate query parameters for a page: bad values are dropped and reported, not fatal."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        values = [v for v in query.get(name, []) if v != ""]
        if not values:
            continue
        data[name] = values if _is_list(field.annotation) else values[-1]
    problems: list[FilterProblem] = []
    for _ in range(len(model.model_fields) + 1):  # each round removes at least one field
        try:
            return model.model_validate(data), problems
        except ValidationError as error:
            bad: dict[str, set] = {}
            for issue in error.errors():
                name, *rest = issue["loc"]
                message = issue["msg"].removeprefix("Value error, ")
                problems.append(FilterProblem(str(name), str(issue.get("input")), message))
                bad.setdefault(str(name), set()).add(rest[0] if rest else None)
            for name, indexes in bad.items():
                if None in indexes or not isinstance(data.get(name), list):
                    data.pop(name, None)
                else:
                    data[name] = [v for i, v in enumerate(data[name]) if i not in indexes]
    raise AssertionError("filter values kept failing validation")  # pragma: no cover


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list
