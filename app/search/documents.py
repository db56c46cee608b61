"""One search document per row: the words a reader would type to find it, made from the
kind's own column declarations, so a new column is searched without code of its own."""

from collections.abc import Iterable
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, select

from app.plan.kinds import KINDS, Kind
from app.search import words

#: Kinds by the table their rows are in, the subject type of their documents.
BY_TABLE: dict[str, Kind] = {kind.subject_type: kind for kind in KINDS.values()}
BY_MODEL: dict[type, Kind] = {kind.model: kind for kind in KINDS.values()}
#: A source's whole text may run to megabytes; the first stretch is what is searched
#: (PostgreSQL's tsvector holds at most 1 MB).
MAX_CHARS = 200_000


def fields(kind: Kind, row: Any) -> list[tuple[str, str]]:
    """(label, text) of everything a row is found by, its title first, without repeats."""
    out = [("Title", kind.title(row))]
    for col in kind.columns:
        if col.words is not None:
            out.extend((col.label, text) for text in col.words(row) if text)
    labels = {col.key: col.label for col in kind.columns}
    for column in kind.search:  # texts a list searches that no column shows (a source's)
        value = getattr(row, column.key, None)
        if value:
            label = labels.get(column.key, column.key.replace("_", " ").capitalize())
            out.append((label, value.label if isinstance(value, Enum) else str(value)))
    seen: set[str] = set()
    return [(label, text) for label, text in out if not (text in seen or seen.add(text))]


def document(kind: Kind, row: Any) -> str:
    """The row's words as the index holds them."""
    text = "\n".join(text for _, text in fields(kind, row))
    return words.indexed(text[:MAX_CHARS])


def referring(kind: Kind) -> Iterable[tuple[Kind, Any]]:
    """(other kind, its relationship) for each kind whose documents hold names of `kind`'s
    rows (an asset holds its site's name), so renaming a site changes its assets'."""
    for other in KINDS.values():
        for col in other.columns:
            if col.words is not None and col.refers and col.refers[1] == kind.slug:
                yield other, getattr(other.model, col.refers[0])


def referring_ids(kind: Kind, ids: set[int]) -> Iterable[tuple[Kind, Any]]:
    """Selects of the ids of rows whose documents name one of `ids`, with their kind."""
    for other, relationship in referring(kind):
        match: ColumnElement = kind.model.id.in_(ids)
        where = relationship.any(match) if relationship.property.uselist \
            else relationship.has(match)
        yield other, select(other.model.id).where(where)
