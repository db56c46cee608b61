"""The body rows of a results table as HTML, built in Python.

A list page shows 50 rows of some seven cells and their citations: through Jinja macros
that was a macro call, a `groupby` and dozens of escaped fragments per row, more time than
the page's SQL. Here each row is one string; the table macro prints it as it is, and adds
only what depends on who is asking (the Edit link).
"""

from functools import cache
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, load_only, selectinload

from app.browse import queries
from app.plan.kinds import KINDS, Kind
from app.web.templating import sources


def table_options(kind: Kind) -> list[Any]:
    """Loader options for a page of the results table: the columns its cells read, and
    the name of each row they refer to (a row's page loads all of `kind.options`)."""
    return _table_options(kind.slug)


@cache
def _table_options(slug: str) -> list[Any]:
    kind = KINDS[slug]
    model, refs, own = kind.model, [], {"disputed"} & set(kind.model.__table__.c.keys())
    for col in kind.table_columns:
        own.update(r for r in col.reads if r in model.__table__.c)
        if col.refers:
            rel = getattr(model, col.refers[0])
            target = rel.property.mapper.class_
            own.update(c.key for c in rel.property.local_columns if c.key in model.__table__.c)
            # A row referred to by one column comes in the same statement; a list of them
            # (a contingent's sites) in one more.
            load = selectinload if rel.property.uselist else joinedload
            refs.append(load(rel).load_only(getattr(target, col.ref_name)))
    return [load_only(*(getattr(model, key) for key in sorted(own))), *refs]


#: Kinds whose table cells read only their columns' `reads` and the id and name of the
#: rows they refer to: their list pages read plain values (`queries.plain_rows`).
PLAIN = {"assets", "deployments"}


def table_reads(kind: Kind) -> queries.Reads | None:
    if kind.slug not in PLAIN:
        return None
    return _table_reads(kind.slug)


@cache
def _table_reads(slug: str) -> queries.Reads:
    kind = KINDS[slug]
    model = kind.model
    own = {"disputed"} & set(model.__table__.c.keys())
    one, many = [], []
    for col in kind.table_columns:
        own.update(r for r in col.reads if r in model.__table__.c)
        if col.refers:
            prop = getattr(model, col.refers[0]).property
            (many if prop.uselist else one).append((col.refers[0], col.ref_name))
            own.update(c.key for c in prop.local_columns if c.key in model.__table__.c)
    return queries.Reads(tuple(sorted(own - {"id"})), tuple(one), tuple(many))


def table_rows(kind: Kind, page: queries.Page) -> list[dict[str, Any]]:
    """Rows as display cells, and each as the start of its `<tr>` (every cell but the
    Edit link, and no closing tag); the title is the cell that links to the row's page."""
    columns = kind.table_columns
    linked = next((i for i, col in enumerate(columns) if col.link), None)
    opening = ['<td class="num">' if col.numeric else '<td class="">' for col in columns]
    out = []
    for row in page.rows:
        cells = [col.show(row) for col in columns]
        citations = page.citations.get(row.id, [])
        # Plain strings of escaped values, made Markup once (see `templating.sources`).
        html = ["<tr>"]
        for i, cell in enumerate(cells):
            if i == linked:
                html.append(f'{opening[i]}<a href="/{kind.slug}/{row.id}">'
                            f'{escape(cell or "(untitled)")}</a></td>')
            else:
                html.append(f"{opening[i]}{escape(cell)}</td>")
        if kind.cited:
            html.append(f"<td>{sources(citations)}</td>")
        out.append({"id": row.id, "cells": cells,
                    "title": cells[linked] if linked is not None else f"{kind.singular} {row.id}",
                    "citations": citations, "html": Markup("".join(html))})
    return out
