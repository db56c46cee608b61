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
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from app.browse import queries
from app.editing import claiming, forms, merging, writes
from app.evidence import claims
from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import Citation
from app.web.api_errors import CSRF, rejected, write_errors
from app.web.deps import EditorUser, LiveSessionDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["plan data"])


class CitationOut(BaseModel):
    id: int
    source_id: int
    title: str
    publisher: str | None = Field(description="The outlet; null when it is not known")
    cited_as: str = Field(description="Outlet (or 'unnamed outlet') and date")
    reliability: str = Field(description="Admiralty grade A-F of the source")
    published_on: date | None
    url: str | None
    quote: str | None
    quote_url: str = Field(description="The source's page, at the highlighted quote")
    field: str | None = Field(description="The figure this citation is a claim about")


class ClaimOut(CitationOut):
    low: int | None
    high: int | None
    best: int | None
    stage: str | None
    claimed_on: date | None
    credibility: str
    rank: str
    rank_reason: str | None
    shown: bool = Field(description="Whether the row shows this claim's figure")


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


def _cited_as(source: Any) -> str:
    when = source.published_on.isoformat() if source.published_on else "undated"
    return f"{source.outlet}, {when}"


def _citation(c: Citation) -> CitationOut:
    s = c.source
    return CitationOut(id=c.id, source_id=s.id, title=s.title, publisher=s.publisher,
                       cited_as=_cited_as(s), reliability=s.reliability.value,
                       published_on=s.published_on, url=s.url, quote=c.quote,
                       quote_url=f"/sources/{s.id}" + (f"#q-{c.id}" if c.quote else ""),
                       field=c.field)


def _claim(c: Citation, shown: set[int]) -> ClaimOut:
    return ClaimOut(**_citation(c).model_dump(), low=c.low, high=c.high, best=c.best,
                    stage=c.stage and c.stage.value, claimed_on=c.claimed_on,
                    credibility=c.credibility.value, rank=c.rank.value,
                    rank_reason=c.rank_reason, shown=c.id in shown)


def _shown_ids(model: type, found: list[Citation]) -> set[int]:
    return {f.pick.id for f in claims.figures(model, found, {}) if f.pick is not None}


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
    **write_errors(f"The account may not edit, or {CSRF}"),
    409: {"description": "The row changed since `version`, or other rows still refer to it"},
}
ROW_WRITE_ERRORS = {**WRITE_ERRORS, 404: {"description": "No such row, or no such claim of it"}}


def _actor(user: Any) -> record.Actor:
    return record.Actor(user.username, user.id)


class FieldConflict(BaseModel):
    field: str
    base: Any = Field(description="Its value in the version you sent (null when that version "
                                  "is not in the history)")
    theirs: Any = Field(description="Its value now")
    mine: Any = Field(description="The value you sent")


class StaleDetail(BaseModel):
    message: str
    conflicts: list[FieldConflict] = Field(
        description="The fields changed both since your version and by you, differently")
    current: dict[str, Any] = Field(description="The row as it now stands")


class Stale(BaseModel):
    detail: StaleDetail


def _stale(kind: Kind, row: Any, cited: dict[int, list[Citation]],
           merged: merging.Merge | None = None, message: str | None = None) -> HTTPException:
    conflicts = [FieldConflict(field=n, base=c.base[n], theirs=c.theirs[n], mine=c.mine[n])
                 for c in (merged.clashes if merged else []) for n in c.unit.names]
    return HTTPException(409, {
        "message": message or f"This {kind.singular} changed since the version you sent; "
                              "nothing was written. Here is the current one.",
        "conflicts": jsonable_encoder(conflicts),
        "current": jsonable_encoder(_item(kind, row, cited)),
    })


def _stale_response(what: str) -> dict[int, dict[str, Any]]:
    return {409: {"model": Stale, "description": what}}


def _patch_model(form: forms.Form) -> type[BaseModel]:
    """The edit's fields, each optional: a PATCH sends the ones it changes. A field that
    must have a value still refuses null."""
    fields: dict[str, Any] = {
        name: (info.annotation, FieldInfo.merge_field_infos(info, default=None))
        for name, info in form.model.model_fields.items()}
    return create_model(f"{form.model.__name__}Patch", __base__=forms.FormData, **fields,
                        version=(int, Field(description="The version this edit is based on")))


def _current(form: forms.Form, row: Any) -> dict[str, Any]:
    return {f.name: [item.id for item in getattr(row, f.name)] if f.many
            else getattr(row, f.name, None) for f in form.fields}


def _register_writes(kind: Kind) -> None:
    item = item_model(kind)
    new_form, edit_form = forms.form_for(kind, creating=True), forms.form_for(kind)
    edit_body = create_model(f"{edit_form.model.__name__}Body", __base__=edit_form.model,
                             version=(int, Field(description="The version this edit is based on")))
    patch_body = _patch_model(edit_form)

    def _get(session, row_id: int) -> Any:
        row = queries.get_row(session=session, kind=kind, row_id=row_id)
        if row is None:
            raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
        return row

    def _cited(session, row_id: int) -> dict[int, list[Citation]]:
        return queries.citations(session=session, kind=kind, ids=[row_id])

    def create_item(body: new_form.model, session: LiveSessionDep, user: EditorUser,
                    response: Response):
        data = body.model_dump()
        if errors := forms.check(session, new_form, data):
            raise rejected(errors)
        row = writes.create(session, new_form, data, _actor(user))
        session.commit()
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/{kind.slug}/{row.id}"
        return _item(kind, _get(session, row.id), _cited(session, row.id))

    def _saved(session, row, data: dict[str, Any], version: int, user) -> dict[str, Any]:
        """Write an edit over `version` (a 409 if the row moved meanwhile), and the row."""
        try:
            writes.update(session, edit_form, row, data, version, _actor(user))
        except writes.Conflict as conflict:
            raise _stale(kind, conflict.row, _cited(session, row.id)) from None
        session.commit()
        return _item(kind, _get(session, row.id), _cited(session, row.id))

    def update_item(row_id: int, body: edit_body, session: LiveSessionDep, user: EditorUser):
        row = _get(session, row_id)
        data = body.model_dump(exclude={"version"})
        if errors := forms.check(session, edit_form, data, row_id=row_id):
            raise rejected(errors)
        if body.version != row.version:
            merged = merging.merge(session, edit_form, row, data, body.version)
            raise _stale(kind, row, _cited(session, row_id), merged, message=(
                f"This {kind.singular} changed since the version you sent; nothing was "
                "written. PUT replaces every field: send the fields you change with PATCH "
                "to have them merged with the changes made since."))
        return _saved(session, row, data, body.version, user)

    def patch_item(row_id: int, body: patch_body, session: LiveSessionDep, user: EditorUser):
        row = _get(session, row_id)
        sent = {name: getattr(body, name) for name in body.model_fields_set - {"version"}}
        write = dict(sent)
        if body.version != row.version:
            # Unsent fields stand as they were in the version sent: not changed by this edit.
            base = merging.base_of(session, kind, row, body.version)
            mine = {**(base or {}), **sent} if base is not None else {**_current(
                edit_form, row), **sent}
            merged = merging.merge(session, edit_form, row, mine, body.version, meant=set(sent))
            if merged.clashes:
                raise _stale(kind, row, _cited(session, row_id), merged)
            write = {k: v for k, v in sent.items() if k not in merged.theirs} | merged.links
        if errors := forms.check(session, edit_form, {**_current(edit_form, row), **write},
                                 row_id=row_id):
            raise rejected(errors)
        return _saved(session, row, write, row.version, user)

    def delete_item(row_id: int, session: LiveSessionDep, user: EditorUser,
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
        name=f"api_create_{kind.slug}", summary=f"Add {kind.a_singular}",
        description="Takes the fields of the HTML form; a fact needs `source_id` (and may "
                    "give `quote`, words its source's text holds), so every figure has its "
                    "source: on a row with figures, it is the first claim about each.",
        responses=WRITE_ERRORS,
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", update_item, methods=["PUT"], response_model=item,
        name=f"api_update_{kind.slug}", summary=f"Replace {kind.a_singular}'s fields",
        description="Send every field and the `version` you read; a newer version answers "
                    "409 with the current row. Changing a figure (or a contribution's stage) "
                    "needs `source_id` for the new value, the words as `quote`, and a "
                    "`reason`: the new value becomes the figure's preferred claim.",
        responses={**ROW_WRITE_ERRORS, **_stale_response(
            "The row changed since `version`: nothing written; `conflicts` lists the fields "
            "both you and they changed, differently")},
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", patch_item, methods=["PATCH"], response_model=item,
        name=f"api_patch_{kind.slug}", summary=f"Change some of {kind.a_singular}'s fields",
        description="Send only the fields you change, and the `version` you read. When the "
                    "row has changed since, your fields are merged with those changes: "
                    "applied where nobody else changed them since your version (links to "
                    "other rows, such as a deployment's sites, merge as sets: the rows you "
                    "add or remove against your version are added or removed), otherwise "
                    "409 listing each conflicting field with its value in your version "
                    "(`base`), now (`theirs`) and yours (`mine`). A figure's `low`, `high` "
                    "and `best` merge as one value. Changing a figure (or a contribution's "
                    "stage) needs `source_id`, `quote` and `reason`, as with PUT.",
        responses={**ROW_WRITE_ERRORS, **_stale_response(
            "A field you sent was changed since `version` to another value than yours: "
            "nothing written; `conflicts` lists each with base, theirs and mine")},
    )
    router.add_api_route(
        f"/{kind.slug}/{{row_id}}", delete_item, methods=["DELETE"], status_code=204,
        name=f"api_delete_{kind.slug}", summary=f"Delete {kind.a_singular}",
        description="Recorded in the history, from where it can be restored.",
        responses=ROW_WRITE_ERRORS,
    )


def _register_claims(kind: Kind) -> None:
    def _row(session, row_id: int) -> Any:
        row = queries.get_row(session=session, kind=kind, row_id=row_id)
        if row is None:
            raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
        return row

    def _claims_of(session, row) -> list[ClaimOut]:
        found = claims.of_row(session, row)
        shown = _shown_ids(kind.model, found)
        return [_claim(c, shown) for c in found]

    def _one(session, row, claim_id: int) -> Citation:
        citation = claiming.find(session, kind, row, claim_id)
        if citation is None:
            raise HTTPException(404, f"No claim {claim_id} on {kind.singular} {row.id}.")
        return citation

    def _out(session, row, citation) -> ClaimOut:
        return next(c for c in _claims_of(session, row) if c.id == citation.id)

    def list_claims(row_id: int, session: SessionDep) -> list[ClaimOut]:
        return _claims_of(session, _row(session, row_id))

    def add_claim(row_id: int, body: claiming.ClaimIn, session: LiveSessionDep, user: EditorUser,
                  response: Response) -> ClaimOut:
        row = _row(session, row_id)
        if errors := claiming.problems(session, kind, body):
            raise rejected(errors)
        citation = claiming.add(session, kind, row, body, _actor(user))
        session.commit()
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/{kind.slug}/{row_id}/claims/{citation.id}"
        return _out(session, row, citation)

    def update_claim(row_id: int, claim_id: int, body: claiming.ClaimIn, session: LiveSessionDep,
                     user: EditorUser) -> ClaimOut:
        row = _row(session, row_id)
        citation = _one(session, row, claim_id)
        if errors := claiming.problems(session, kind, body):
            raise rejected(errors)
        if body.field != citation.field:
            raise rejected({"field": "A claim stays about its figure: add a new claim."})
        claiming.update(session, kind, row, citation, body, _actor(user))
        session.commit()
        return _out(session, row, citation)

    def delete_claim(row_id: int, claim_id: int, session: LiveSessionDep, user: EditorUser,
                     reason: str | None = Query(None, max_length=500,
                                                description="Why, kept in the history")):
        row = _row(session, row_id)
        citation = _one(session, row, claim_id)
        if claiming.only_support(session, row, citation):
            raise HTTPException(409, f"This is the only claim about the {citation.field}: "
                                "deprecate it, or add the claim that replaces it first.")
        claiming.delete(session, kind, row, citation, _actor(user), reason)
        session.commit()
        return Response(status_code=204)

    base = f"/{kind.slug}/{{row_id}}/claims"
    router.add_api_route(base, list_claims, response_model=list[ClaimOut],
                         name=f"api_claims_{kind.slug}",
                         summary=f"Claims about {kind.a_singular}'s figures",
                         responses={404: {"description": f"No such {kind.singular}"}},
                         description=claims.FIGURE_RULE + " " + claims.STAGE_RULE)
    router.add_api_route(base, add_claim, methods=["POST"], response_model=ClaimOut,
                         status_code=201, name=f"api_add_claim_{kind.slug}",
                         summary=f"Add a claim to {kind.a_singular}",
                         responses=ROW_WRITE_ERRORS)
    router.add_api_route(f"{base}/{{claim_id}}", update_claim, methods=["PUT"],
                         response_model=ClaimOut, name=f"api_update_claim_{kind.slug}",
                         summary="Change a claim (its rank, say)", responses=ROW_WRITE_ERRORS)
    router.add_api_route(f"{base}/{{claim_id}}", delete_claim, methods=["DELETE"],
                         status_code=204, name=f"api_delete_claim_{kind.slug}",
                         summary="Remove a claim", responses=ROW_WRITE_ERRORS)


for _kind in KINDS.values():
    _register(_kind)
    _register_writes(_kind)
    if claims.fields_of(_kind.model):
        _register_claims(_kind)
