"""Bulk import of deployments, assets or sites from CSV or JSON: every row is checked with
the forms' own rules before anything is written, and then all rows are written or none.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.editing import forms, writes
from app.history.record import Actor, attribute, change_id
from app.plan.kinds import KINDS, Kind
from app.plan.models import Citation
from app.plan.vocab import allowed

IMPORTABLE = ("deployments", "assets", "sites")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
#: Several references in one CSV cell ("3;7") go to a multiple-choice field; every other
#: cell is text, kept whole whatever it holds.
LIST_SEPARATOR = ";"


EXAMPLE_LEFT_IN = ("This is the template's example row, a copy of a row already in the plan: "
                   "replace its values with your own, or delete it.")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not a row's problem)."""


@dataclass
class Row:
    number: int  # the data row's place in the file, from 1, header not counted
    raw: dict[str, Any]
    values: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Preview:
    kind: Kind
    form: forms.Form
    rows: list[Row]
    unknown_columns: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def bad(self) -> int:
        return sum(1 for r in self.rows if r.errors)


def columns(kind: Kind) -> list[str]:
    """The header of an import file for this kind: the fields of its form."""
    return [f.name for f in forms.form_for(kind, creating=True).fields]


def example(session: Session, kind: Kind) -> dict[str, str] | None:
    """The template's example row: a row of the plan (the first quoting a source), as a file
    gives it, with the source and the quoted words. None while the kind has no row."""
    form = forms.form_for(kind, creating=True)
    model = kind.model
    # The first row quoting a source, so the example shows the source and the words too.
    cited = session.scalars(select(Citation).where(
        Citation.subject_type == kind.subject_type, Citation.quote.is_not(None))
        .order_by(Citation.subject_id, Citation.field.is_not(None), Citation.id)
        .limit(1)).first()
    row = (session.get(model, cited.subject_id) if cited is not None else
           session.scalars(select(model).order_by(model.id).limit(1)).first())
    if row is None:
        return None
    values = forms.values_of(form, row)
    if cited is not None:
        values |= {"source_id": str(cited.source_id), "quote": cited.quote}
    return {f.name: _cell_text(values.get(f.name), f.many) for f in form.fields}


def _cell_text(value: Any, many: bool) -> str:
    if many:
        return LIST_SEPARATOR.join(value or [])
    return "" if value is None else str(value)


def _is_example(record: dict[str, Any], shown: dict[str, str] | None) -> bool:
    """Whether a record of a file is the template's example, left in unchanged."""
    if not shown:
        return False
    return all(_cell_text(record.get(k), isinstance(record.get(k), list)).strip() == v
               for k, v in shown.items())


def template_csv(session: Session, kind: Kind) -> str:
    """The header, then the example row: a file to fill in by overwriting it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns(kind))
    if (shown := example(session, kind)) is not None:
        writer.writerow(shown.values())
    return buffer.getvalue()


@dataclass(frozen=True)
class ColumnGuide:
    name: str
    label: str
    required: bool
    takes: str


def guide(kind: Kind) -> list[ColumnGuide]:
    """What each column of an import file takes, for the import page."""
    out = []
    for f in forms.form_for(kind, creating=True).fields:
        out.append(ColumnGuide(f.name, f.label, f.required, _takes(f)))
    return out


def _takes(f: forms.FormField) -> str:
    match f.widget:
        case "vocab":
            return f"One of: {allowed(f.vocab)}."
        case "country":
            return "An ISO 3166-1 alpha-2 code, such as UA, FR or GB."
        case "ref":
            return f"The id of a {KINDS[f.ref].singular} (the number in its address)."
        case "refs":
            return (f"Ids of {KINDS[f.ref].plural.lower()}, separated by "
                    f"“{LIST_SEPARATOR}”.")
        case "integer":
            return "A whole number, 0 or more." + (f" {f.hint}." if f.hint else "")
        case "decimal":
            return "A number" + (f", {f.hint.lower()}." if f.hint else ".")
        case "date":
            return "A date, YYYY-MM-DD."
        case "datetime":
            return f"A time, {f.hint}."
        case "checkbox":
            return "true or false."
    limit = f.max_length or get_settings().text_max_length
    return f"Text, up to {limit:,} characters." + (f" {f.hint}." if f.hint else "")


def read(text: str, name: str) -> list[dict[str, Any]]:
    """Records from CSV or JSON (an array of objects), judged by content, then name."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise UnreadableFile("The file is empty.")
    if stripped.startswith("[") or name.lower().endswith(".json"):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise UnreadableFile(f"Not valid JSON: {error}.") from None
        except RecursionError:
            raise UnreadableFile("The JSON is nested too deeply: rows are objects of "
                                 "plain values.") from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise UnreadableFile("JSON must be an array of objects, one per row.")
        return [{k: _cell(v) for k, v in r.items()} for r in records]
    reader = csv.DictReader(io.StringIO(stripped))
    records = []
    try:
        if not reader.fieldnames:
            raise UnreadableFile("The CSV file has no header row.")
        for record in reader:
            if None in record:
                raise UnreadableFile(f"Line {reader.line_num} has more cells than the header.")
            records.append({k.strip(): v for k, v in record.items() if k})
    except csv.Error as error:
        # The csv module's own limit on a cell (131,072 characters) is far above any
        # field's, so a cell it refuses is one no field could take.
        raise UnreadableFile(f"Near line {reader.line_num}, the CSV cannot be read: "
                             f"{error}.") from None
    return records


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) for v in value]
    return None if value is None else str(value)


def fields(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    """A record's cells as the form reads them: a cell of a field holding several
    references is split on ";", every other cell is kept as it is."""
    many = {f.name for f in forms.form_for(kind, creating=True).fields if f.many}
    return {k: _split(v) if k in many else v for k, v in record.items()}


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


class _Record(dict):
    """One record as the form reader expects it: every field's values as a list."""

    def getlist(self, key: str) -> list[Any]:
        value = self.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


def preview(session: Session, slug: str, text: str, name: str = "") -> Preview:
    if slug not in IMPORTABLE:
        raise UnreadableFile(f"Only {', '.join(IMPORTABLE)} can be imported.")
    kind = KINDS[slug]
    form = forms.form_for(kind, creating=True)
    records = read(text, name)
    if len(records) > MAX_ROWS:
        raise UnreadableFile(f"{len(records)} rows: at most {MAX_ROWS} at a time.")
    known = set(columns(kind))
    unknown = sorted({k for r in records for k in r} - known)
    rows = []
    seen: dict[tuple, int] = {}
    shown = example(session, kind)
    for number, record in enumerate(records, start=1):
        raw = forms.raw_values(form, _Record(fields(kind, record)))
        if _is_example(record, shown):
            rows.append(Row(number, raw, None, {"": EXAMPLE_LEFT_IN}))
            continue
        values, errors = forms.validate(session, form, raw)
        if values:  # the preview shows text as it will be stored, cleaned and trimmed
            raw.update({f.name: values[f.name] for f in form.fields
                        if f.widget in ("text", "textarea") and values.get(f.name)})
        row = Row(number, raw, values, errors)
        if values and kind.unique:
            key = tuple(str(values.get(n) or "").lower() for n in kind.unique)
            if key in seen:
                row.errors[kind.unique[0]] = f"The same as row {seen[key]} of this file."
                row.values = None
            seen.setdefault(key, number)
        rows.append(row)
    return Preview(kind, form, rows, unknown)


def write(session: Session, result: Preview, actor: Actor, name: str) -> int:
    """Write every row of a clean preview as one change (its id returned); the caller
    commits."""
    assert result.ok, "only a preview without errors is written"
    attribute(session, actor, "import",
              f"Imported {len(result.rows)} {result.kind.plural.lower()} from {name}")
    for row in result.rows:
        writes.create(session, result.form, row.values, actor)
    return change_id(session)
