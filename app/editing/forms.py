"""Forms for every kind of row, derived from its model's columns: one field list gives the
HTML form, the pydantic model that validates it (and the write API) and the values to save.

A kind declares nothing of its own here beyond `unique` (what makes a row a duplicate); labels
come from its columns, widgets and rules from the column types.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from sqlalchemy import Boolean, Date, Enum, Float, Integer, String, Text, func, select
from sqlalchemy.orm import Session

from app.history.record import COLLECTIONS, UNRECORDED
from app.plan.kinds import KINDS, Kind
from app.plan.vocab import CountryCode, vocab_value

#: Columns nobody types: the id, the seed key, timestamps and the row version.
HIDDEN = {"id", "key", *UNRECORDED}
#: Bounds of numeric columns, by name.
BOUNDS = {"latitude": (-90, 90), "longitude": (-180, 180)}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, integer, decimal, date, country, vocab, ref, refs
    required: bool = False
    vocab: Any = None
    ref: str | None = None  # the kind a reference points to
    max_length: int | None = None
    hint: str | None = None

    @property
    def many(self) -> bool:
        return self.widget == "refs"

    @property
    def vocab_options(self) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in self.vocab] if self.vocab else []


@dataclass(frozen=True)
class Form:
    kind: Kind
    fields: list[FormField]
    model: type[BaseModel]

    def field(self, name: str) -> FormField:
        return next(f for f in self.fields if f.name == name)


def _kind_of_table(table_name: str) -> Kind:
    return next(k for k in KINDS.values() if k.subject_type == table_name)


def _label(kind: Kind, name: str) -> str:
    labels = {col.key: col.label for col in kind.columns}
    if name in labels:
        return labels[name]
    for suffix, extra in (("_low", " (at least)"), ("_high", " (at most)")):
        if name.endswith(suffix) and name.removesuffix(suffix) in labels:
            return labels[name.removesuffix(suffix)] + extra
    for suffix in ("_id", "_code"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            if name in labels:
                return labels[name]
    return name.replace("_", " ").capitalize()


def _field(kind: Kind, column) -> FormField:
    name, label, type_ = column.key, _label(kind, column.key), column.type
    required = not column.nullable and column.default is None
    fk = next(iter(column.foreign_keys), None)
    if fk is not None and fk.column.table.name == "country":
        return FormField(name, label, "country", required)
    if fk is not None:
        target = _kind_of_table(fk.column.table.name).slug
        return FormField(name, label, "ref", required, ref=target)
    if isinstance(type_, Enum):
        return FormField(name, label, "vocab", required or column.default is not None,
                         vocab=type_.enum_class)
    if isinstance(type_, Date):
        return FormField(name, label, "date", required, hint="YYYY-MM-DD")
    if isinstance(type_, Integer):
        return FormField(name, label, "integer", required,
                         hint="Leave empty when not reported" if name.endswith(("_low", "_high"))
                         else None)
    if isinstance(type_, Float):
        low, high = BOUNDS.get(name, (None, None))
        return FormField(name, label, "decimal", required,
                         hint=f"From {low} to {high}" if low is not None else None)
    if isinstance(type_, Text):
        return FormField(name, label, "textarea", required)
    if isinstance(type_, Boolean):
        return FormField(name, label, "checkbox")
    assert isinstance(type_, String), f"no form widget for {kind.slug}.{name}: {type_}"
    return FormField(name, label, "text", required, max_length=type_.length)


def _fields(kind: Kind, creating: bool) -> list[FormField]:
    model = kind.model
    fields = [_field(kind, c) for c in model.__table__.columns if c.key not in HIDDEN]
    for name in COLLECTIONS.get(model, ()):
        target = getattr(model, name).property.mapper.class_.__tablename__
        fields.append(FormField(name, _label(kind, name), "refs", ref=_kind_of_table(target).slug))
    if creating and kind.cited:
        # Every fact cites a source from the start.
        fields += [FormField("source_id", "Source", "ref", True, ref="sources"),
                   FormField("quote", "Quoted words from the source", "textarea",
                             hint="The words that support this entry")]
    return fields


def _type(field: FormField) -> Any:
    match field.widget:
        case "text" | "textarea":
            text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=field.max_length)]
            return text
        case "integer":
            return Annotated[int, Field(ge=0)]
        case "decimal":
            low, high = BOUNDS.get(field.name, (None, None))
            return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False)]
        case "date":
            return Annotated[date, BeforeValidator(_iso_date)]
        case "country":
            return CountryCode
        case "vocab":
            return vocab_value(field.vocab, field.label.lower())
        case "ref":
            return Annotated[int, Field(gt=0)]
        case "refs":
            return list[Annotated[int, Field(gt=0)]]
        case "checkbox":
            return bool
    raise AssertionError(field.widget)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD, e.g. 2025-02-21") from None
    return value


class FormData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _model(kind: Kind, fields: list[FormField], creating: bool) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for f in fields:
        if f.many:
            definitions[f.name] = (_type(f), [])
        elif f.required:
            definitions[f.name] = (_type(f), ...)
        else:
            definitions[f.name] = (_type(f) | None, None)
    name = "".join(p.title() for p in kind.singular.split()) + ("New" if creating else "Edit")
    return create_model(name, __base__=FormData, **definitions)


def form_for(kind: Kind, creating: bool = False) -> Form:
    return _form(kind.slug, creating)


@cache
def _form(slug: str, creating: bool) -> Form:
    kind = KINDS[slug]
    fields = _fields(kind, creating)
    return Form(kind, fields, _model(kind, fields, creating))


# --- Validation ---


def raw_values(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the user sent, per field, as the form shows it back: lists for multiple
    choices, the last value otherwise, empty text as None."""
    out: dict[str, Any] = {}
    for f in form.fields:
        values = data.getlist(f.name) if hasattr(data, "getlist") else data.get(f.name)
        if not isinstance(values, list | tuple):
            values = [] if values is None else [values]
        values = [v.strip() if isinstance(v, str) else v for v in values]
        values = [v for v in values if v not in ("", None)]
        if f.many:
            out[f.name] = values
        elif f.widget == "checkbox":
            out[f.name] = bool(values) and values[-1] not in ("0", "false", "off", False)
        else:
            out[f.name] = values[-1] if values else None
    return out


def validate(session: Session, form: Form, raw: dict[str, Any],
             row_id: int | None = None) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The values to save, or the errors by field name (messages for people)."""
    errors: dict[str, str] = {}
    try:
        data = form.model.model_validate(
            {k: v for k, v in raw.items() if v is not None}).model_dump()
    except ValidationError as error:
        for issue in error.errors():
            name = str(issue["loc"][0]) if issue["loc"] else ""
            message = issue["msg"].removeprefix("Value error, ")
            if issue["type"] == "missing":
                message = "This field is required."
            errors.setdefault(name, message)
        return None, errors
    errors = check(session, form, data, row_id)
    return (None, errors) if errors else (data, {})


def check(session: Session, form: Form, data: dict[str, Any],
          row_id: int | None = None) -> dict[str, str]:
    """Rules beyond one field's type: references exist, ranges are in order, no duplicate."""
    errors: dict[str, str] = {}
    for f in form.fields:
        if f.widget in ("ref", "refs") and data.get(f.name):
            wanted = set(data[f.name]) if f.many else {data[f.name]}
            model = KINDS[f.ref].model
            found = set(session.scalars(select(model.id).where(model.id.in_(wanted))))
            if missing := sorted(wanted - found):
                ids = ", ".join(map(str, missing))
                errors[f.name] = f"No {KINDS[f.ref].singular} with id {ids}."
        if f.name.endswith("_low"):
            high = f.name.removesuffix("_low") + "_high"
            if data.get(f.name) is not None and data.get(high) is not None \
                    and data[f.name] > data[high]:
                errors[high] = "The upper figure cannot be below the lower one."
    if data.get("cited_in_id") is not None and data["cited_in_id"] == row_id:
        errors["cited_in_id"] = "A source cannot be known through itself."
    if not errors and (duplicate := _duplicate(session, form.kind, data, row_id)):
        errors[form.kind.unique[0]] = duplicate
    return errors


def _duplicate(session: Session, kind: Kind, data: dict[str, Any],
               row_id: int | None) -> str | None:
    if not kind.unique:
        return None
    model = kind.model
    where = []
    for name in kind.unique:
        column, value = getattr(model, name), data.get(name)
        if value is None:
            where.append(column.is_(None))
        elif isinstance(value, str):
            where.append(func.lower(column) == value.lower())
        else:
            where.append(column == value)
    if row_id is not None:
        where.append(model.id != row_id)
    other = session.scalars(select(model).where(*where).limit(1)).first()
    if other is None:
        return None
    what = " and ".join(_label(kind, n).lower() for n in kind.unique)
    return f"Another {kind.singular} has this {what}: “{kind.title(other)}” (id {other.id})."


# --- Choices for the widgets ---


def choices(session: Session, form: Form) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options of each reference field, one query per referenced kind."""
    return {f.ref: options(session, KINDS[f.ref]) for f in form.fields if f.ref}


def options(session: Session, kind: Kind) -> list[tuple[str, str]]:
    """Rows of a kind as (id, title) choices, by title."""
    rows = session.scalars(select(kind.model).options(*kind.options)
                           .order_by(kind.model.id).limit(2000))
    return sorted(((str(r.id), kind.title(r)) for r in rows), key=lambda o: o[1].lower())


def values_of(form: Form, row: Any) -> dict[str, Any]:
    """A saved row's values as the form shows them."""
    out: dict[str, Any] = {}
    for f in form.fields:
        value = getattr(row, f.name, None)
        if f.many:
            out[f.name] = [str(item.id) for item in value or []]
        elif value is None:
            out[f.name] = None
        elif isinstance(value, date):
            out[f.name] = value.isoformat()
        elif isinstance(value, float):
            out[f.name] = f"{value:g}"
        else:
            out[f.name] = str(value)
    return out

