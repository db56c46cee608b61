"""List, detail and CSV routes for every registered kind of row.

One handler per route shape, registered once per kind: `/{kind}`, `/{kind}.csv`,
`/{kind}/{id}`. A kind adds no route code of its own.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.browse import charts, export, queries, timecharts
from app.editing import forms
from app.evidence import claims, quotes
from app.history import changelog
from app.plan.filters import parse
from app.plan.kinds import KINDS, Kind
from app.plan.vocab import Credibility, Rank, Role, Stage
from app.web import reads
from app.web.deps import SessionDep
from app.web.tables import table_options, table_reads, table_rows
from app.web.templating import query_lists, render

router = APIRouter(include_in_schema=False)
#: The list pages, matched before every other route: the most asked-for addresses, each
#: an exact path no other route takes, and a request tries the routes in order.
lists = APIRouter(include_in_schema=False)


def render_list(request: Request, session: Session, kind: Kind, *, path: str | None = None,
                listing: str | None = None, per_page: int | None = None,
                extra: Callable[[queries.Page], dict[str, Any]] | None = None,
                links: str | None = None) -> Response:
    """A kind's list page (or its results block, for HTMX): facets, summary, exports, and
    the rows shown by `listing` (the kind's own, by default). Other views of a kind's rows
    (the map) reuse it with their own `path` and `listing`, and all rows on one page
    (`per_page`). Its filter, sort and page links lead to `links` (a saved view's
    address), by default the page's own `path`."""
    filters, problems = parse(kind.filters, query_lists(request))
    path = path or f"/{kind.slug}"
    shown = filters.model_copy(update={"per_page": per_page, "page": 1}) if per_page else filters
    table = listing is None and kind.listing == "rows/_table.html"
    page = queries.list_rows(session=session, kind=kind, filters=shown,
                             options=table_options(kind) if table else None,
                             reads=table_reads(kind) if table else None)
    context = {
        "kind": kind,
        "filters": filters,
        "page": page,
        "rows": table_rows(kind, page),
        "problems": problems,
        "path": links or path,
        # The page and filter shown, as a view saves it.
        "address": path + filters.query(),
        "listing": listing or kind.listing,
        "charts": charts.for_kind(session, kind, filters),
        **(extra(page) if extra else {}),
    }
    user = getattr(request.state, "user", None)
    # A page of the past is read-only; a page for an editor is never cached (`render`).
    context["editing"] = (user is not None and user.can(Role.EDITOR)
                          and not getattr(request.state, "as_of", None))
    status = 400 if problems else 200
    return render(request, "rows/list.html", context, block="results", status_code=status,
                  session=session)


def render_detail(request: Request, session: Session, kind: Kind, row: Any, *,
                  errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:
    """A row's page; `errors` and `values` refill its claim or citation form after a
    refused post, with the message next to the field."""
    cited = queries.citations(session=session, kind=kind, ids=[row.id]).get(row.id, [])
    related = []
    for section in kind.related:
        other = KINDS[section.kind]
        page = queries.list_rows(
            session=session, kind=other, filters=other.filters(per_page=100),
            extra=[section.where(row)], with_facets=False,
        )
        related.append({"label": section.label, "kind": other, "page": page,
                        "rows": table_rows(other, page)})
    user = getattr(request.state, "user", None)
    editor = user is not None and user.can(Role.EDITOR)
    labels = {col.key: col.label for col in kind.columns}
    context = {
        "kind": kind,
        "row": row,
        "fields": [(col.label, col.show(row)) for col in kind.columns],
        "citations": [c for c in cited if c.field is None],
        "figures": claims.figures(kind.model, [c for c in cited if c.field], labels),
        "rules": {"figure": claims.FIGURE_RULE, "stage": claims.STAGE_RULE},
        "related": related,
        "history": changelog.row_history(session, kind, row.id),
        "editor": editor,
        "source_choices": forms.options(session, KINDS["sources"])
        if editor and kind.cited else [],
        "vocab": {"stage": list(Stage), "credibility": list(Credibility), "rank": list(Rank)},
        "errors": errors or {},
        "values": values or {},
        "text": held_text(session, row) if kind.slug == "sources" else None,
        **stances_of(kind, related),
    }
    return render(request, "rows/detail.html", context, status_code=status_code,
                  session=session)


def stances_of(kind: Kind, related: list[dict[str, Any]]) -> dict[str, Any]:
    """A stakeholder's stances along time, from the stances and events already listed
    on their page (the events as markers)."""
    if kind.slug != "stakeholders":
        return {}
    listed = {section["kind"].slug: section["page"] for section in related}
    stances = listed["stances"]
    found = timecharts.events(listed["events"].rows)
    return {"stance_timeline": timecharts.stance_timeline(stances.rows, found),
            "stance_citations": stances.citations, "shapes": timecharts.SHAPES}


def held_text(session: Session, source: Any) -> dict[str, Any] | None:
    """A source's text cut into stretches, each knowing the quotes that cover it, and the
    rows citing each quote, for the highlighted text on the source's page."""
    if not source.text:
        return None
    cites = queries.citing(session, source.id)
    anchors, unfound = [], []
    for c in cites:
        if not c.quote:
            continue
        found = quotes.find(source.text, c.quote, c.prefix, c.suffix)
        (anchors.append((c.id, found)) if found else unfound.append(c))
    titles = queries.titles(session, [(c.subject_type, c.subject_id) for c in cites])
    return {
        "paragraphs": _paragraphs(quotes.segments(source.text, anchors)),
        "by_id": {c.id: c for c in cites},
        "titles": titles,
        "unfound": unfound,
    }


def _paragraphs(segments: list[quotes.Segment]) -> list[list[quotes.Segment]]:
    """Segments regrouped by paragraph (a line break in the text starts a new one)."""
    out: list[list[quotes.Segment]] = [[]]
    for seg in segments:
        parts = seg.text.split("\n")
        for i, part in enumerate(parts):
            if i:
                out.append([])
            if part:
                out[-1].append(quotes.Segment(part, seg.quotes, seg.starts if i == 0 else (),
                                              seg.ends if i == len(parts) - 1 else ()))
    return [p for p in out if p]


def _register(kind: Kind) -> None:
    async def list_page(request: Request, session: SessionDep):
        return await reads.build(render_list, request, session, kind)

    def export_csv(filters: Annotated[kind.filters, Query()], session: SessionDep):
        rows = export.open_rows(session, kind, filters)
        return StreamingResponse(
            export.csv_chunks(session, kind, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{kind.slug}.csv"'},
        )

    def detail_page(row_id: int, request: Request, session: SessionDep):
        row = queries.get_row(session=session, kind=kind, row_id=row_id)
        if row is None:
            raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
        return render_detail(request, session, kind, row)

    lists.add_api_route(f"/{kind.slug}", list_page, name=f"list_{kind.slug}")
    router.add_api_route(f"/{kind.slug}.csv", export_csv, name=f"export_{kind.slug}")
    router.add_api_route(f"/{kind.slug}/{{row_id}}", detail_page, name=f"show_{kind.slug}")


for _kind in KINDS.values():
    _register(_kind)
