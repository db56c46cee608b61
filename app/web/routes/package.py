"""The data package: `/datapackage.zip`, every table of the plan with its Table Schema,
for any list's filter and `as_of`."""

from datetime import date
from typing import Annotated, get_origin

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.history import citation
from app.packaging import selection, writing
from app.plan.kinds import KINDS
from app.web import api_errors
from app.web.deps import SessionDep
from app.web.templating import query_lists

router = APIRouter(tags=["data package"])


def _documented() -> type[BaseModel]:
    """The parameters as the API documents them: each list's filters, by name. Which
    values each takes is its list's affair (`/api/v1/<kind>` documents them)."""
    fields = {}
    for name in selection.PARAMS:
        takers = [kind for kind in KINDS.values() if name in kind.filters.model_fields]
        field = takers[0].filters.model_fields[name]
        lists = ", ".join(kind.slug for kind in takers)
        many = get_origin(field.annotation) is list
        fields[name] = ((list[str], Field([], description=f"Applied by: {lists}"))
                        if many else (str | None, Field(None, description=f"Applied by: {lists}")))
    return create_model("PackageFilters", __config__=ConfigDict(extra="ignore"), **fields)


PackageFilters = _documented()


@router.get("/datapackage.zip", name="data_package", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}},
                             "description": "A Frictionless Data Package (zip)"}})
def data_package(request: Request, session: SessionDep,
                 _filters: Annotated[PackageFilters, Query()]):
    """The plan as a Frictionless Data Package: `datapackage.json` (each table's schema,
    primary and foreign keys, licence, sources) and one CSV per table, citations and claims
    included. A list's filter keeps the rows of each kind matching it, as that kind's list
    does, and every row they refer to; `as_of` gives the plan as it stood on a date."""
    try:
        choice = selection.choose({name: values for name, values in query_lists(request).items()
                                   if name not in citation.PINNED})
    except selection.FilterRefused as refused:
        raise api_errors.query_rejected(refused.problems) from None
    view = getattr(request.state, "as_of", None)
    as_of: date | None = view.day if view else None
    pieces = writing.package(session.get_bind(), choice, as_of=as_of,
                             licence=writing.configured_licence(),
                             homepage=str(request.base_url).rstrip("/"))
    name = "peaceplan" + (f"-{as_of.isoformat()}" if as_of else "")
    return StreamingResponse(pieces, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}.datapackage.zip"'})
