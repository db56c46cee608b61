"""`/cite.json?path=...`: a page's citation as a CSL-JSON file, pinned as its Cite box is."""

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.browse import dataset, queries
from app.browse.overview import OverviewFilters
from app.following import views
from app.plan.filters import parse
from app.plan.kinds import KINDS
from app.plan.records import User
from app.web import citing
from app.web.deps import CurrentUser, LiveSessionDep, SessionDep

router = APIRouter(include_in_schema=False)

#: The media type of CSL-JSON, as the Citation Style Language registers it.
CSL_JSON = "application/vnd.citationstyles.csl+json"

#: Titles of the pages that are not a kind's list or row (as their templates name them).
TITLES = {"/": "Overview", "/map": "Map of sites", "/views": "Saved views",
          "/scenarios": "Scenarios", "/stances/timeline": "Stances over time"}


def page_title(session: Session, live: Session, path: str, user: User | None) -> str | None:
    """The title of the page at `path`, as its <title> reads; None when no page with data
    of the plan is there."""
    parts = urlsplit(path)
    page = parts.path
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query):
        query.setdefault(key, []).append(value)
    if page in TITLES:
        return TITLES[page]
    if page == "/brief":
        filters, _ = parse(OverviewFilters, query)
        return "Brief" + (f": {', '.join(filters.country)}" if filters.country else "")
    if page == "/search":
        q = (query.get("q") or [""])[-1].strip()
        return f"Search: {q}" if q else "Search"
    segments = page.strip("/").split("/")
    kind = KINDS.get(segments[0]) if page.startswith("/") else None
    if kind is not None and len(segments) == 1:
        return kind.plural
    if kind is not None and len(segments) == 2 and segments[1].isdigit():
        row = queries.get_row(session=session, kind=kind, row_id=int(segments[1]))
        return kind.title(row) if row is not None else None
    if segments[0] == "views" and len(segments) == 2:
        try:
            found = views.find(live, segments[1], user)
        except views.Gone:
            return None
        return found.view.name if found else None
    return None


@router.get("/cite.json", name="cite_json")
def cite_json(request: Request, session: SessionDep, live: LiveSessionDep, user: CurrentUser,
              path: Annotated[str, Query(max_length=2000)] = "/"):
    """A page's citation as CSL-JSON (a list of one item, of type dataset)."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "path"), "input": path,
            "msg": "give the address of a page of this site, starting with / (such as "
                   "/assets?country=FR)"}])
    title = page_title(session, live, path, user)
    if title is None:
        raise HTTPException(404, f"No page of the plan at {parts.path} to cite.")
    cited = citing.cite(request, title, dataset.dataset_info(session), page=path)
    if cited is None:
        raise HTTPException(404, "Nothing is recorded yet, so there is nothing to cite.")
    return Response(cited.csl_json(), media_type=CSL_JSON, headers={
        "Content-Disposition": f'attachment; filename="{cited.key}.json"'})
