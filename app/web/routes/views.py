"""Saved views as pages: `/views` (yours and the public ones), `/views/<slug>` (the page
it names, with its filter), and the forms to save, rename, share and delete one.

A view's page is the page it names, rendered by that page's own route code with the
view's filter: its filter, sort and page links stay on the view's address and change
the filter there (`/views/<slug>?country=DE`); the address without a query shows the
saved filter.
"""

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.following import views
from app.plan.quantities import format_date
from app.plan.records import SavedView, User
from app.web.deps import CurrentUser, LiveSessionDep, SessionDep, SignedInUser
from app.web.routes import maps, overview, rows
from app.web.templating import done, render

router = APIRouter(include_in_schema=False)


def gone_message(view: SavedView) -> str:
    when = format_date(view.deleted_at.date()) if view.deleted_at else "an earlier date"
    return (f"The saved view “{view.name}” was deleted on {when}. The page it showed is "
            f"still at {view.path}.")


class ViewGone(HTTPException):
    """A deleted view's 410, which names the page it showed so that the error page links it."""

    def __init__(self, view: SavedView):
        super().__init__(410, gone_message(view))
        self.page = view.path


def found_or_error(session: Session, slug: str, user: User | None) -> views.Found:
    """The view at `slug` as `user` may see it; 404 when there is none (or it is another's
    private view), 410 when it was deleted."""
    try:
        found = views.find(session, slug, user)
    except views.Gone as gone:
        raise ViewGone(gone.view) from None
    if found is None:
        raise HTTPException(404, f"No saved view at /views/{slug}.")
    return found


def _moved(request: Request, slug: str, status: int = 301) -> Response:
    query = request.url.query
    return RedirectResponse(f"/views/{slug}" + (f"?{query}" if query else ""), status)


# --- Listing and saving ---


@router.get("/views", name="list_views")
def list_views(request: Request, session: LiveSessionDep, user: CurrentUser):
    """Your own saved views and everyone's public ones."""
    shown = views.visible(session, user)
    context = {"views": [_row(v) for v in shown], "owners": views.owners(session, shown)}
    return render(request, "views/list.html", context)


def _row(view: SavedView) -> dict[str, Any]:
    page = views.target(view)
    return {"view": view, "page": page.page,
            "label": page.kind.plural if page.kind and page.page != "/map" else _LABELS.get(
                page.page, page.page)}


_LABELS = {"/": "Overview", "/brief": "Brief", "/map": "Map of sites"}


def _form(request: Request, values: dict[str, Any], errors: dict[str, str],
          view: SavedView | None = None, status: int = 200) -> Response:
    return render(request, "views/form.html",
                  {"values": values, "errors": errors, "view": view}, status_code=status)


@router.get("/views/new", name="new_view")
def new_view(request: Request, user: SignedInUser, path: str = "/"):
    """The form to save a page's filter as a view (the pages' "Save this view" box)."""
    return _form(request, {"path": path, "name": "", "public": False}, {})


@router.post("/views", name="create_view")
def create_view(request: Request, session: LiveSessionDep, user: SignedInUser,
                name: Annotated[str, Form()] = "", path: Annotated[str, Form()] = "",
                public: Annotated[str, Form()] = ""):
    """Save a view; a refused one comes back as the form with the reason by its field."""
    values = {"name": name, "path": path, "public": bool(public)}
    errors = {}
    try:
        views.clean_name(name)
    except ValueError as error:
        errors["name"] = str(error).capitalize() + "."
    try:
        views.parse_path(path)
    except views.BadPath as error:
        errors["path"] = str(error).capitalize() + "."
    if errors:
        return _form(request, values, errors, status=422)
    view = views.create(session, owner=user, name=name, path=path, public=bool(public))
    session.commit()
    return done(request, f"Saved the view “{view.name}”.", f"/views/{view.slug}")


# --- One view ---


@router.get("/views/{slug}", name="show_view")
def show_view(slug: str, request: Request, session: SessionDep, live: LiveSessionDep,
              user: CurrentUser):
    """The page a view names, with its filter (or the one its address changes it to)."""
    found = found_or_error(live, slug, user)
    if found.moved_to:
        return _moved(request, found.moved_to)
    view = found.view
    page = views.target(view)
    asked = request.query_params.multi_items()
    own = [(k, v) for k, v in asked if k not in views.NOT_FILTERS]
    when = [(k, v) for k, v in asked if k in views.NOT_FILTERS]
    saved = parse_qsl(urlsplit(view.path).query, keep_blank_values=True)
    query = urlencode((own or saved) + when)
    # The page's code reads its filter from the request: hand it the view's.
    shown = Request({**request.scope, "query_string": query.encode()}, request.receive)
    links = f"/views/{view.slug}"
    extra = {"saved_view": view, "view_owner": views.owners(live, [view]).get(view.owner_id),
             "view_editable": views.may_change(view, user), "view_changed": bool(own),
             "view_page": _row(view)}
    if page.page == "/":
        return overview.render_overview(shown, session, live, links=links, extra=extra)
    if page.page == "/brief":
        return overview.render_brief(shown, session, extra=extra)
    if page.page == "/map":
        return maps.render_map(shown, session, links=links, extra=extra)
    return rows.render_list(shown, session, page.kind, links=links, extra=lambda _: extra)


def _owned(session: Session, slug: str, user: User) -> views.Found:
    found = found_or_error(session, slug, user)
    if not views.may_change(found.view, user):
        raise HTTPException(403, "Only the view's owner or an administrator can change it.")
    return found


@router.get("/views/{slug}/edit", name="edit_view")
def edit_view(slug: str, request: Request, session: LiveSessionDep, user: SignedInUser):
    """Rename a view, make it public or private, or delete it."""
    found = _owned(session, slug, user)
    if found.moved_to:
        return RedirectResponse(f"/views/{found.moved_to}/edit", 301)
    view = found.view
    return _form(request, {"name": view.name, "path": view.path, "public": view.public}, {},
                 view=view)


@router.post("/views/{slug}/edit", name="update_view")
def update_view(slug: str, request: Request, session: LiveSessionDep, user: SignedInUser,
                name: Annotated[str, Form()] = "", public: Annotated[str, Form()] = ""):
    """Save a new name (the old address leads to the new one) or who may see it."""
    view = _owned(session, slug, user).view
    try:
        views.clean_name(name)
    except ValueError as error:
        values = {"name": name, "path": view.path, "public": bool(public)}
        return _form(request, values, {"name": str(error).capitalize() + "."}, view=view,
                     status=422)
    views.update(session, view, name=name, public=bool(public))
    session.commit()
    return done(request, f"Saved the view “{view.name}”.", f"/views/{view.slug}")


@router.post("/views/{slug}/delete", name="delete_view")
def delete_view(slug: str, request: Request, session: LiveSessionDep, user: SignedInUser):
    """Delete a view; its address then answers that it is gone (410)."""
    view = _owned(session, slug, user).view
    views.delete(session, view)
    session.commit()
    return done(request, f"Deleted the view “{view.name}”.", "/views")
