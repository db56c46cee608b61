"""Forms for every kind of row, derived from its model's columns: one field list gives the
HTML form, the pydantic model that validates it (and the write API) and the values to save.

A kind declares nothing of its own here beyond `unique` (what makes a row a duplicate); labels
come from its columns, widgets and rules from the column types.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Session

from app.config import get_settings
from app.editing.messages import plain_message
from app.evidence import claims, quotes
from app.history.record import COLLECTIONS, UNRECORDED
from app.plan import places, text
from app.plan.kinds import KINDS, Kind
from app.plan.models import Source
from app.plan.vocab import CountryCode, vocab_value

#: Columns nobody types: the id, the seed key, timestamps, the row version, and what is
#: worked out from other values (a figure's claims, a text's fingerprint).
HIDDEN = {"id", "key", *UNRECORDED, "disputed", "claim_count", "sha256"}
#: Bounds of numeric columns, by name.
BOUNDS = {"latitude": (-90, 90), "longitude": (-180, 180)}
#: The largest whole number a column holds on every database (PostgreSQL's `integer`).
MAX_INT = 2**31 - 1


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
    for suffix, extra in (("_low", " (at least)"), ("_high", " (at most)"),
                          ("_best", " (best estimate)")):
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
        rule = (kind.inferred or {}).get(name)
        return FormField(name, label, "vocab", not rule and (required or column.default
                                                             is not None),
                         vocab=type_.enum_class, hint=rule)
    if isinstance(type_, DateTime):
        return FormField(name, label, "datetime", required, hint="YYYY-MM-DD HH:MM, in UTC")
    if isinstance(type_, Date):
        # No format hint: the browser's date picker shows the date in the reader's own
        # format, and sends it as YYYY-MM-DD whatever that is.
        return FormField(name, label, "date", required)
    if isinstance(type_, Integer):
        return FormField(name, label, "integer", required,
                         hint="Leave empty when not reported"
                         if name.endswith(("_low", "_high", "_best")) else None)
    if isinstance(type_, Float):
        low, high = BOUNDS.get(name, (None, None))
        return FormField(name, label, "decimal", required,
                         hint=f"From {low} to {high}" if low is not None else None)
    if isinstance(type_, Text):
        longest = (get_settings().source_text_max_length if (kind.model, name) == (Source, "text")
                   else None)
        return FormField(name, label, "textarea", required, max_length=longest)
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
                             hint="The words that support this entry, as the source's "
                                  "text has them")]
    elif claims.fields_of(model):
        # A changed figure cites the source of its new value (checked in `check`).
        fields += [
            FormField("source_id", "Source of the new figure", "ref", ref="sources",
                      hint="Needed when a figure or the stage changes"),
            FormField("quote", "Quoted words giving the new figure", "textarea",
                      hint="As the source's text has them"),
            FormField("reason", "Reason for the change", "textarea",
                      hint="Needed when a figure or the stage changes: say why"),
        ]
    return fields


def _type(field: FormField) -> Any:
    match field.widget:
        case "text" | "textarea":
            longest = field.max_length or get_settings().text_max_length
            return text.field(longest)
        case "integer":
            return Annotated[int, Field(ge=0, le=MAX_INT)]
        case "decimal":
            low, high = BOUNDS.get(field.name, (None, None))
            return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False)]
        case "date":
            return Annotated[date, BeforeValidator(_iso_date)]
        case "datetime":
            return Annotated[datetime, BeforeValidator(_iso_moment)]
        case "country":
            return CountryCode
        case "vocab":
            return vocab_value(field.vocab, field.label.lower())
        case "ref":
            return Annotated[int, Field(gt=0, le=MAX_INT)]
        case "refs":
            return list[Annotated[int, Field(gt=0, le=MAX_INT)]]
        case "checkbox":
            return bool
    raise AssertionError(field.widget)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            # Only YYYY-MM-DD, as documented: fromisoformat would take 20250221 too.
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                raise ValueError
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD, e.g. 2025-02-21") from None
    return value


def _iso_moment(value: Any) -> Any:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a time: use YYYY-MM-DD HH:MM, "
                             "e.g. 2025-02-21 09:30") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
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
            definitions[f.name] = (_type(f) | None, Field(None, description=(
                kind.inferred or {}).get(f.name)))
    name = "".join(p.title() for p in kind.singular.split()) + ("New" if creating else "Edit")
    # Values sent are settled first, so the form, the API and the import infer alike.
    settle = kind.settle and model_validator(mode="before")(
        lambda cls, data: kind.settle(dict(data)) if isinstance(data, Mapping) else data)
    return create_model(name, __base__=FormData, **definitions,
                        __validators__={"settle": settle} if settle else None)


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


def parse(form: Form, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Each field's value as its type has it, or the errors by field name; no rule that
    needs the database (those are `check`)."""
    errors: dict[str, str] = {}
    try:
        return form.model.model_validate(
            {k: v for k, v in raw.items() if v is not None}).model_dump(), {}
    except ValidationError as error:
        for issue in error.errors():
            name = str(issue["loc"][0]) if issue["loc"] else ""
            errors.setdefault(name, plain_message(issue))
        return None, errors


def validate(session: Session, form: Form, raw: dict[str, Any],
             row_id: int | None = None) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The values to save, or the errors by field name (messages for people)."""
    data, errors = parse(form, raw)
    if data is None:
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
    errors.update({k: v for k, v in places.problems(data).items() if k not in errors})
    if data.get("cited_in_id") is not None and data["cited_in_id"] == row_id:
        errors["cited_in_id"] = "A source cannot be known through itself."
    if "source_id" not in errors:
        errors.update(check_evidence(session, form, data, row_id))
    if not errors and (duplicate := _duplicate(session, form.kind, data, row_id)):
        errors[form.kind.unique[0]] = duplicate
    return errors


def changed_figures(session: Session, kind: Kind, data: dict[str, Any],
                    row_id: int | None) -> list[str]:
    """The figures (and stage) that `data` changes on the saved row."""
    row = session.get(kind.model, row_id) if row_id is not None else None
    if row is None:
        return []
    out = []
    for name in claims.fields_of(kind.model):
        parts = [name] if name == claims.STAGE else [f"{name}_{p}" for p in claims.PARTS]
        if any(part in data and data[part] != getattr(row, part) for part in parts):
            out.append(name)
    return out


def check_evidence(session: Session, form: Form, data: dict[str, Any],
                   row_id: int | None) -> dict[str, str]:
    """A quote must stand in its source's text; a changed figure needs a source, a reason."""
    errors: dict[str, str] = {}
    if not any(f.name == "source_id" for f in form.fields):
        return errors
    if changed := changed_figures(session, form.kind, data, row_id):
        what = " and ".join(_label(form.kind, n).lower() for n in changed)
        if not data.get("source_id"):
            errors["source_id"] = (f"You changed the {what}: choose the source that gives "
                                   "the new value (add it under Sources first if it is new).")
        if not data.get("reason"):
            errors["reason"] = f"Say why the {what} changes; the history keeps it."
    if data.get("source_id") and data.get("quote") and (
            message := quote_problem(session.get(Source, data["source_id"]), data["quote"])):
        errors["quote"] = message
    return errors


def quote_problem(source: Source | None, quote: str) -> str | None:
    """Why these words cannot be quoted from this source, or None if they can."""
    if source is None:
        return None
    if not source.text:
        return (f"“{source.title}” holds no text to find these words in: add its text on "
                "the source's page, or leave the quote empty.")
    if quotes.find(source.text, quote) is None:
        return (f"These words are not in the text of “{source.title}”. Copy them exactly "
                "(differences of spacing and of quote marks do not matter).")
    return None


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

