"""JSON API: `/api/v1/{kind}` with the same filters as the pages, one row by id, and writes.

Response models are built from each kind's exported columns, so `/docs` documents
exactly the fields the CSV holds. Writes take the same fields as the HTML forms, validated
by the same models and rules (`app.editing.forms`), and need an editor's API token (or
session and CSRF token); an update or delete names the version it is based on, so it never
overwrites a newer one unseen.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, create_model

from app.browse import queries
from app.editing import forms, writes
from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import Citation
from app.web.deps import EditorUser, SessionDep

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
    fields["version"] = (int, Field(description="Send it back with an update or delete"))
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
    item = {**kind.record(row), "html_url": f"/{kind.slug}/{row.id}", "version": row.version}
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


# --- Writes ---

WRITE_ERRORS = {
    401: {"description": "No valid API token or session"},
    403: {"description": "The account may not edit, or a session request lacks its CSRF token"},
    409: {"description": "The row changed since `version`, or other rows still refer to it"},
}


def _rejected(errors: dict[str, str]) -> RequestValidationError:
    """Rule errors in the same 422 shape as FastAPI's own validation errors."""
    return RequestValidationError([
        {"type": "value_error", "loc": ("body", name) if name else ("body",), "msg": message,
         "input": None}
        for name, message in errors.items()
    ])


def _actor(user: Any) -> record.Actor:
    return record.Actor(user.username, user.id)


def _stale(kind: Kind, row: Any, cited: dict[int, list[Citation]]) -> HTTPException:
    return HTTPException(409, {
        "message": f"This {kind.singular} changed since the version you sent; nothing was "
                   "written. Here is the current one.",
        "current": jsonable_encoder(_item(kind, row, cited)),
    })


def _register_writes(kind: Kind) -> None:
    item = item_model(kind)
    new_form, edit_form = forms.form_for(kind, creating=True), forms.form_for(kind)
    edit_body = create_model(f"{edit_form.model.__name__}Body", __base__=edit_form.model,
                             version=(int, Field(description="The version this edit is based on")))

    def _get(session, row_id: int) -> Any:
        row = queries.get_row(session=session, kind=kind, row_id=row_id)
        if row is None:
            raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
        return row

    def _cited(session, row_id: int) -> dict[int, list[Citation]]:
        return queries.citations(session=session, kind=kind, ids=[row_id])

    def create_item(body: new_form.model, session: SessionDep, user: EditorUser,
                    response: Response):
        data = body.model_dump()
        if errors := forms.check(session, new_form, data):
            raise _rejected(errors)
        row = writes.create(session, new_form, data, _actor(user))
        session.commit()
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/{kind.slug}/{row.id}"
        return _item(kind, _get(session, row.id), _cited(session, row.id))

    def update_item(row_id: int, body: edit_body, session: SessionDep, user: EditorUser):
        row = _get(session, row_id)
        data = body.model_dump(exclude={"version"})
        if errors := forms.check(session, edit_form, data, row_id=row_id):
            raise _rejected(errors)
        try:
            writes.update(session, edit_form, row, data, body.version, _actor(user))
        except writes.Conflict as conflict:
            raise _stale(kind, conflict.row, _cited(session, row_id)) from None
        session.commit()
        return _item(kind, _get(session, row_id), _cited(session, row_id))

    def delete_item(row_id: int, session: SessionDep, user: EditorUser,
                    version: int = Query(description="The version being deleted")):
        row = _get(session, row_id)
        if row.version != version:
            raise _stale(kind, row, _cited(session, row_id))
        try:
            writes.delete(session, kind, row, _actor(user))
        except writes.InUse as in_use:
            raise HTTPException(409, f"This {kind.singular} is {in_use}.") from None
        session.commit()
        return Response(status_code=204)

    router.add_api_route(
        f"/{kind.slug}", create_item, methods=["POST"], response_model=item, status_code=201,
        name=f"api_create_{kind.slug}", summary=f"Add a {kind.singular}",
        description="Takes the fields of the HTML form; a fact needs `source_id` (and may "
                    "give `quote`), so every figure has its source.",
        responses=WRITE_ERRORS,
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", update_item, methods=["PUT"], response_model=item,
        name=f"api_update_{kind.slug}", summary=f"Replace a {kind.singular}'s fields",
        description="Send every field and the `version` you read; a newer version answers "
                    "409 with the current row.",
        responses=WRITE_ERRORS,
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", delete_item, methods=["DELETE"], status_code=204,
        name=f"api_delete_{kind.slug}", summary=f"Delete a {kind.singular}",
        description="Recorded in the history, from where it can be restored.",
        responses=WRITE_ERRORS,
    )


for _kind in KINDS.values():
    _register(_kind)
    _register_writes(_kind)
