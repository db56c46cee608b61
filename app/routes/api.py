"""Read-only JSON API: `/api/v1/{kind}` with the same filters as the pages, and one row by id.

Response models are built from each kind's exported columns, so `/docs` documents
exactly the fields the CSV holds.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, create_model

from app import queries
from app.deps import SessionDep
from app.kinds import KINDS, Kind
from app.models import Citation

router = APIRouter(prefix="/api/v1", tags=["plan data"])


class CitationOut(BaseModel):
    source_id: int
    title: str
    publisher: str | None
    published_on: date | None
    url: str | None
    quote: str | None


class FacetValueOut(BaseModel):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(BaseModel):
    param: str
    label: str
    values: list[FacetValueOut]


def item_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {"id": (int, ...)}
    for col in kind.columns:
        for export in col.exports:
            fields[export.name] = (export.type, ...)
    fields["html_url"] = (str, ...)
    if kind.cited:
        fields["sources"] = (list[CitationOut], ...)
    name = "".join(part.title() for part in kind.singular.split())
    return create_model(name, **fields)


def page_model(kind: Kind, item: type[BaseModel]) -> type[BaseModel]:
    name = "".join(part.title() for part in kind.plural.split()) + "Page"
    return create_model(
        name,
        items=(list[item], ...),
        total=(int, ...),
        page=(int, ...),
        per_page=(int, ...),
        pages=(int, ...),
        facets=(list[FacetOut], ...),
    )


def _citation(c: Citation) -> CitationOut:
    s = c.source
    return CitationOut(source_id=s.id, title=s.title, publisher=s.publisher,
                       published_on=s.published_on, url=s.url, quote=c.quote)


def _item(kind: Kind, row: Any, cited: dict[int, list[Citation]]) -> dict[str, Any]:
    item = {**kind.record(row), "html_url": f"/{kind.slug}/{row.id}"}
    if kind.cited:
        item["sources"] = [_citation(c) for c in cited.get(row.id, [])]
    return item


def _register(kind: Kind) -> None:
    item = item_model(kind)

    def list_items(filters: Annotated[kind.filters, Query()], session: SessionDep):
        page = queries.list_rows(session=session, kind=kind, filters=filters)
        return {
            "items": [_item(kind, row, page.citations) for row in page.rows],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
            "facets": page.facets,
        }

    def get_item(row_id: int, session: SessionDep):
        row = queries.get_row(session=session, kind=kind, row_id=row_id)
        if row is None:
            raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
        return _item(kind, row, queries.citations(session=session, kind=kind, ids=[row_id]))

    router.add_api_route(
        f"/{kind.slug}", list_items, response_model=page_model(kind, item),
        name=f"api_list_{kind.slug}", summary=f"List {kind.plural.lower()}",
        description=f"{kind.description} Filters repeat for several values.",
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", get_item, response_model=item,
        name=f"api_get_{kind.slug}", summary=f"One {kind.singular}",
        responses={404: {"description": f"No such {kind.singular}"}},
    )


for _kind in KINDS.values():
    _register(_kind)
