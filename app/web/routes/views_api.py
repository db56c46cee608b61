"""Saved views in the API: `/api/v1/views` (the public ones and your own), one by slug, and
saving, renaming, sharing and deleting with an API token (or a session and its CSRF token).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from app.following import views
from app.plan.records import SavedView, User
from app.web.api_errors import CSRF, write_errors
from app.web.deps import CurrentUser, LiveSessionDep, SignedInUser
from app.web.routes.views import found_or_error

router = APIRouter(prefix="/api/v1/views", tags=["saved views"])

Slug = Annotated[str, Path(max_length=views.MAX_SLUG, description="The view's slug")]
PATH_HELP = ("The page's address with its filter: the overview (/), /brief, /map or a list "
             "(/assets, /deployments, ...), within this site, e.g. /assets?country=FR")


class ViewOut(BaseModel):
    slug: str
    name: str
    path: str = Field(description="The page and its filter, in normal form")
    page: str = Field(description="The page alone: /, /brief, /map or a list")
    filters: dict[str, Any] = Field(description="The filter, parsed as the page reads it")
    public: bool
    owner: str | None
    html_url: str
    api_url: str
    created_at: datetime
    updated_at: datetime


class ViewList(BaseModel):
    items: list[ViewOut]


def _name(value: str | None) -> str | None:
    return None if value is None else views.clean_name(value)


def _path(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return views.parse_path(value).path
    except views.BadPath as error:
        raise ValueError(str(error)) from None


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=views.MAX_NAME, description="Its slug is made from it")
    path: str = Field(max_length=views.MAX_PATH, description=PATH_HELP)
    public: bool = Field(False, description="Listed for everyone (else only you see it)")

    _check_name = field_validator("name")(_name)
    _check_path = field_validator("path")(_path)


class ViewPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=views.MAX_NAME,
                             description="A new name: the slug follows, the old one redirects")
    path: str | None = Field(None, max_length=views.MAX_PATH, description=PATH_HELP)
    public: bool | None = None

    _check_name = field_validator("name")(_name)
    _check_path = field_validator("path")(_path)


def _out(session: Session, view: SavedView) -> ViewOut:
    page = views.target(view)
    return ViewOut(slug=view.slug, name=view.name, path=view.path, page=page.page,
                   filters=page.filters.model_dump(exclude_defaults=True), public=view.public,
                   owner=views.owners(session, [view]).get(view.owner_id),
                   html_url=f"/views/{view.slug}", api_url=f"/api/v1/views/{view.slug}",
                   created_at=view.created_at, updated_at=view.updated_at)


def _moved(slug: str) -> RedirectResponse:
    # 308: a client repeats its PATCH or DELETE at the new address.
    return RedirectResponse(f"/api/v1/views/{slug}", 308)


ONE_ERRORS = {
    308: {"description": "The view was renamed: the same request at its new address"},
    404: {"description": "No such view, or another's private one"},
    410: {"description": "The view was deleted"},
}
WRITE_ERRORS = write_errors(f"Not the view's owner (nor an admin), or {CSRF}")


@router.get("", response_model=ViewList, summary="List saved views")
def list_views(session: LiveSessionDep, user: CurrentUser):
    """The public views, and with a token (or session) your own private ones too."""
    return {"items": [_out(session, v) for v in views.visible(session, user)]}


@router.post("", response_model=ViewOut, status_code=201, summary="Save a view",
             responses={**WRITE_ERRORS, 422: {"description": "A bad name, or an address "
                                              "that is not a page with a filter it takes"}})
def create_view(body: ViewIn, response: Response, session: LiveSessionDep, user: SignedInUser):
    """Save a page's filter under a name; answers with its `slug` and `html_url`."""
    view = views.create(session, owner=user, name=body.name, path=body.path, public=body.public)
    session.commit()
    response.headers["Location"] = f"/api/v1/views/{view.slug}"
    return _out(session, view)


@router.get("/{slug}", response_model=ViewOut, summary="One saved view", responses=ONE_ERRORS)
def get_view(slug: Slug, session: LiveSessionDep, user: CurrentUser):
    """A view by its slug (a former slug redirects; a deleted view answers 410)."""
    found = found_or_error(session, slug, user)
    if found.moved_to:
        return _moved(found.moved_to)
    return _out(session, found.view)


def _owned(session: Session, slug: str, user: User) -> views.Found:
    found = found_or_error(session, slug, user)
    if not views.may_change(found.view, user):
        raise HTTPException(403, "Only the view's owner or an administrator can change it.")
    return found


@router.patch("/{slug}", response_model=ViewOut, summary="Rename, share or refilter a view",
              responses={**ONE_ERRORS, **WRITE_ERRORS})
def update_view(slug: Slug, body: ViewPatch, session: LiveSessionDep, user: SignedInUser):
    """Change the fields sent. A new name gives a new slug; the old one keeps redirecting."""
    found = _owned(session, slug, user)
    if found.moved_to:
        return _moved(found.moved_to)
    view = views.update(session, found.view, name=body.name, public=body.public,
                        path=body.path)
    session.commit()
    return _out(session, view)


@router.delete("/{slug}", status_code=204, summary="Delete a view",
               responses={**ONE_ERRORS, **WRITE_ERRORS})
def delete_view(slug: Slug, session: LiveSessionDep, user: SignedInUser):
    """Its address then answers 410 Gone."""
    found = _owned(session, slug, user)
    if found.moved_to:
        return _moved(found.moved_to)
    views.delete(session, found.view)
    session.commit()
    return Response(status_code=204)
