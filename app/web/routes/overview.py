"""The overview page: every panel narrowed by the same country filter."""

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.browse import mapdata
from app.browse.charts import overview_charts
from app.browse.overview import OverviewFilters, cited_sources, country_choices, overview
from app.following import views
from app.plan import kinds
from app.plan.filters import parse
from app.web import reads
from app.web.deps import LiveSessionDep, SessionDep
from app.web.templating import query_lists, render

router = APIRouter(include_in_schema=False)

#: Sites listed in the printable brief; the map page lists the rest.
BRIEF_SITES = 15


@router.get("/", name="overview")
async def show_overview(request: Request, session: SessionDep, live: LiveSessionDep):
    """The plan at a glance."""
    return await reads.build(render_overview, request, session, live)


def render_overview(request: Request, session: Session, live: Session, *,
                    links: str | None = None, extra: dict[str, Any] | None = None) -> Response:
    """The overview; its filter leads to `links` (a saved view), by default /."""
    filters, problems = parse(OverviewFilters, query_lists(request))
    o = overview(session, filters)
    context = {
        "filters": filters,
        "problems": problems,
        "o": o,
        "charts": overview_charts(session, filters, o),
        "countries": country_choices(session, filters),
        "with_map": True,
        "path": links or "/",
        # A saved view with its country cleared shows every country, not its saved ones.
        "clear": f"{links}?country=" if links else "/",
        "address": "/" + filters.query(),
        # Views live beside the plan data, in the present: read from the live database.
        "public_views": views.public(live),
        **(extra or {}),
    }
    return render(request, "overview.html", context, block="panels",
                  status_code=400 if problems else 200, session=session)


@router.get("/brief", name="brief")
def show_brief(request: Request, session: SessionDep):
    """One printable page for the chosen countries: figures, map, tables and sources."""
    return render_brief(request, session)


def render_brief(request: Request, session: Session, *, links: str | None = None,
                 extra: dict[str, Any] | None = None) -> Response:
    filters, problems = parse(OverviewFilters, query_lists(request))
    o = overview(session, filters)
    sites, points = mapdata.page_points(session, kinds.SITES.filters(country=filters.country),
                                        per_page=BRIEF_SITES)
    context = {
        "filters": filters,
        "problems": problems,
        "o": o,
        "charts": overview_charts(session, filters, o),
        "points": points,
        "sites_total": sites.total,
        "sources": cited_sources(o, points),
        "with_map": True,
        "address": "/brief" + filters.query(),
        **(extra or {}),
    }
    return render(request, "brief.html", context, status_code=400 if problems else 200,
                  session=session)
