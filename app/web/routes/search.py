"""Search over every kind of row: the page behind the header's search box, and its API."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from app.plan.kinds import KINDS, NAV
from app.search import finding, words
from app.web.deps import SessionDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["search"])

MAX_QUERY = 200
QUERY_HELP = ("Words to find, in any order, each matched as the start of a word: names and "
              "titles, labels (\"Fighter jets\"), country names, names of related rows (an "
              "asset's site) and other spellings of names (Odessa, Kiev, Zelenskyy). Case "
              "and accents do not matter; operators and quotes are not searched.")

# --- The page ---


@router.get("/search", name="search")
def search_page(request: Request, session: SessionDep, q: str = "", per_kind: int = 5):
    """Every kind of row, searched by the same words."""
    query = q.strip()
    context: dict = {"query": query, "results": None, "problem": None,
                     "lists": [KINDS[slug] for slug in NAV], "max_query": MAX_QUERY}
    status = 200
    if len(query) > MAX_QUERY:
        context["problem"] = f"Shorten the search to {MAX_QUERY} characters or fewer."
    elif query:
        try:
            context["results"] = finding.find(session, query, per_kind=max(1, min(per_kind, 50)))
        except words.QueryProblem as problem:
            context["problem"] = f"{str(problem)[0].upper()}{str(problem)[1:]}."
    if context["problem"]:
        status = 400
    return render(request, "search.html", context, status_code=status, session=session)


# --- The API ---


class FoundField(BaseModel):
    field: str = Field(description="The label of the field the words matched in")
    text: str = Field(description="The field's text, or the stretch of it around the match")


class FoundRow(BaseModel):
    kind: str = Field(description="The kind of row, as in /api/v1/{kind}")
    id: int
    title: str
    html_url: str
    api_url: str
    matched: list[FoundField] = Field(description="Fields other than the title that matched")


class FoundKind(BaseModel):
    kind: str
    label: str = Field(description="The kind's name, as the navigation shows it")
    count: int = Field(description="How many rows of this kind match")
    items: list[FoundRow] = Field(description="The best matches, title matches first")
    list_url: str = Field(description="The kind's list filtered by the same words: every match")
    api_url: str = Field(description="The same list in the API")


class SearchResults(BaseModel):
    query: str
    words: list[str] = Field(description="The words looked for, as the index holds them "
                                         "(lower case, no accents, singular)")
    total: int = Field(description="Rows found, over every kind")
    groups: list[FoundKind] = Field(description="Kinds with matches, in the navigation's order")


@api_router.get("/search", response_model=SearchResults, name="api_search",
                summary="Search every kind of row",
                responses={422: {"description": "No words to look for, or a NUL character"}})
def search_api(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description=QUERY_HELP)],
    per_kind: Annotated[int, Query(ge=1, le=50, description="Rows listed per kind")] = 5,
):
    try:
        results = finding.find(session, q, per_kind=per_kind)
    except words.QueryProblem as problem:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "q"),
                                       "msg": str(problem), "input": q}]) from None
    return SearchResults(
        query=q, words=results.terms, total=results.total,
        groups=[FoundKind(
            kind=group.kind.slug, label=group.kind.plural, count=group.count,
            list_url=group.list_url,
            api_url=f"/api/v1{group.list_url}",
            items=[FoundRow(kind=hit.kind.slug, id=hit.id, title=hit.title, html_url=hit.url,
                            api_url=f"/api/v1{hit.url}",
                            matched=[FoundField(field=label, text=text)
                                     for label, text, _ in hit.matched])
                   for hit in group.hits])
            for group in results.groups])
