"""Columns of a kind of row: one declaration gives the HTML cell, the sort order and the
exported fields (CSV and JSON), so a table, its export and its API cannot disagree.

Cells are turned into display strings in Python, not looped over with `attr()` in Jinja,
which keeps a 50-row table cheap to render.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, case, func

from app.plan.quantities import format_date, format_range
from app.plan.vocab import Vocab, country_name

Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Export:
    name: str
    get: Getter
    type: Any = str | None


@dataclass(frozen=True)
class Col:
    key: str
    label: str
    show: Callable[[Any], str | Markup]
    exports: Sequence[Export] = ()
    sort: Sequence[ColumnElement] = ()  # plain expressions; queries add direction and NULLS LAST
    numeric: bool = False
    in_table: bool = True
    link: bool = False  # the cell links to the row's own page
    # The words a reader would type to find the row by this column (labels, not slugs;
    # country names; the names of rows it refers to); None: not searched.
    words: Callable[[Any], list[str]] | None = None
    refers: tuple[str, str] | None = None  # a reference: (relationship, kind it points to)
    ref_name: str = "name"  # the field of the row referred to that its exports name it by
    # The row's own column attributes its exports read: the CSV export selects just these
    # (and each reference's id and name) as plain values, without loading the row.
    reads: Sequence[str] = ()

    @property
    def sortable(self) -> bool:
        return bool(self.sort)


def _attr(path: str) -> Getter:
    parts = path.split(".")
    if len(parts) == 1:
        # Called for every cell of every exported row: the common case without the loop.
        def get_one(row: Any) -> Any:
            return getattr(row, path, None) if row is not None else None

        return get_one

    def get(row: Any) -> Any:
        for part in parts:
            row = getattr(row, part, None) if row is not None else None
        return row

    return get


def text(key: str, label: str, attr: str | None = None, *, sort: ColumnElement | None = None,
         link: bool = False, in_table: bool = True, searched: bool = True) -> Col:
    get = _attr(attr or key)
    return Col(key, label, show=lambda row: get(row) or "", exports=[Export(key, get)],
               sort=[sort] if sort is not None else [], link=link, in_table=in_table,
               words=(lambda row: [get(row) or ""]) if searched else None,
               reads=[attr or key])


def vocab(key: str, label: str, enum: type[Vocab], *, sort: ColumnElement | None = None,
          in_table: bool = True, link: bool = False, ordered: bool = True) -> Col:
    """A vocabulary value shown by label. An `ordered` one sorts in the enumeration's own
    order (a status sorts floated < proposed < pledged); any other by its label's
    alphabet, as the reader sees it, never by slug."""
    get = _attr(key)
    members = list(enum) if ordered else sorted(enum, key=lambda m: m.label.lower())
    order = [case({m.value: i for i, m in enumerate(members)}, value=sort)] \
        if sort is not None else []
    def show(row: Any) -> str:
        return enum(get(row)).label if get(row) else ""

    # Labels of values only the row's own page shows (how sure, how reliable) would make
    # every row match a word like "reported".
    return Col(key, label, show=show, exports=[Export(key, lambda row: get(row) and str(get(row)))],
               sort=order, in_table=in_table, link=link,
               words=(lambda row: [show(row)]) if in_table else None, reads=[key])


def country(key: str, label: str, attr: str, *, note: str | None = None,
            sort: ColumnElement | None = None) -> Col:
    """A country code shown by name; where no country is named, the note or 'unspecified'."""
    get, get_note = _attr(attr), _attr(note) if note else (lambda row: None)

    def show(row: Any) -> str:
        code = get(row)
        if code:
            return f"{country_name(code)} ({code})"
        return get_note(row) or "Unspecified"

    def words(row: Any) -> list[str]:
        code = get(row)
        return [country_name(code), code, get_note(row) or ""] if code else [get_note(row) or ""]

    exports = [Export(key, get)]
    if note:
        exports.append(Export(note, get_note))
    return Col(key, label, show=show, exports=exports, sort=[sort] if sort is not None else [],
               words=words, reads=[attr, note] if note else [attr])


def quantity(key: str, label: str, low: ColumnElement, high: ColumnElement) -> Col:
    """A figure as the range its claims give (with a best estimate where one is given),
    marked where claims about it disagree."""
    get_low, get_high, get_best = _attr(low.key), _attr(high.key), _attr(f"{key}_best")

    def show(row: Any) -> str | Markup:
        text = format_range(get_low(row), get_high(row))
        if (best := get_best(row)) is not None:
            text += f" (best {best:,})"
        if getattr(row, "disputed", False):
            return Markup(f'{escape(text)} <span class="badge disputed" title="Sources '
                          'disagree: see the claims on its page">disputed</span>')
        return text

    return Col(
        key, label,
        show=show,
        exports=[Export(f"{key}_low", get_low, int | None),
                 Export(f"{key}_high", get_high, int | None),
                 Export(f"{key}_best", get_best, int | None)],
        sort=[func.coalesce(high, low), low],
        numeric=True,
        reads=[low.key, high.key, f"{key}_best"],
    )


def claims() -> Col:
    """Whether a row's figures are disputed, and how many claims they rest on."""
    return Col("claims", "Claims", show=lambda row: f"{row.claim_count}",
               exports=[Export("disputed", lambda row: bool(row.disputed), bool),
                        Export("claims", lambda row: row.claim_count or 0, int)],
               in_table=False, reads=["disputed", "claim_count"])


def day(key: str, label: str, column: ColumnElement, precision: str | None = None, *,
        in_table: bool = True) -> Col:
    get, get_precision = _attr(column.key), _attr(precision) if precision else None

    def show(row: Any) -> str:
        value = get(row)
        return format_date(value, get_precision(row)) if get_precision else format_date(value)

    exports = [Export(key, lambda row: get(row) and get(row).isoformat(), date | None)]
    if precision:
        exports.append(Export(precision, lambda row: str(get_precision(row))))
    return Col(key, label, show=show, exports=exports, sort=[column],
               in_table=in_table, reads=[column.key, precision] if precision else [column.key])


def moment(key: str, label: str, *, in_table: bool = True) -> Col:
    """A time, in UTC to the minute."""
    get = _attr(key)
    return Col(key, label,
               show=lambda row: f"{get(row):%d %b %Y %H:%M} UTC" if get(row) else "not recorded",
               exports=[Export(key, lambda row: get(row) and get(row).isoformat())],
               in_table=in_table, reads=[key])


def number(key: str, label: str) -> Col:
    get = _attr(key)
    return Col(key, label, show=lambda row: "" if get(row) is None else f"{get(row):g}",
               exports=[Export(key, get, float | None)], numeric=True, in_table=False,
               reads=[key])


def ref(key: str, label: str, attr: str, kind: str, *, many: bool = False,
        name: str = "name", in_table: bool = True, empty: str = "not reported") -> Col:
    """A link to another row (or, with `many`, to several), exported as id(s) and name(s)."""
    get = _attr(attr)

    def items(row: Any) -> list:
        value = get(row)
        return list(value or []) if many else ([value] if value is not None else [])

    def show(row: Any) -> Markup:
        # Escaped strings made Markup once: `Markup.format` runs a Python formatter per
        # call, and a page of 50 rows calls it for every reference.
        links = [f'<a href="/{kind}/{item.id}">{escape(getattr(item, name))}</a>'
                 for item in items(row)]
        if not links:
            return Markup(f"<span class=muted>{escape(empty)}</span>")
        return Markup(", ".join(links))

    if many:
        exports = [Export(f"{key}_ids", lambda row: [i.id for i in items(row)], list[int]),
                   Export(f"{key}_names", lambda row: [getattr(i, name) for i in items(row)],
                          list[str])]
    else:
        exports = [Export(f"{key}_id", lambda row: items(row)[0].id if items(row) else None,
                          int | None),
                   Export(f"{key}_name",
                          lambda row: getattr(items(row)[0], name) if items(row) else None)]
    return Col(key, label, show=show, exports=exports, in_table=in_table,
               words=(lambda row: [getattr(i, name) for i in items(row)]) if in_table else None,
               refers=(attr, kind), ref_name=name)


@dataclass(frozen=True)
class Related:
    """A section of a detail page listing rows of another kind tied to this row."""

    label: str
    kind: str
    where: Callable[[Any], ColumnElement]
