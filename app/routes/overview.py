"""The overview page: every panel narrowed by the same country filter."""

from fastapi import APIRouter, Request

from app.deps import SessionDep
from app.filters import parse
from app.overview import OverviewFilters, country_choices, overview
from app.templating import query_lists, render

router = APIRouter(include_in_schema=False)


@router.get("/", name="overview")
def show_overview(request: Request, session: SessionDep):
    """The plan at a glance."""
    filters, problems = parse(OverviewFilters, query_lists(request))
    context = {
        "filters": filters,
        "problems": problems,
        "o": overview(session, filters),
        "countries": country_choices(session, filters),
    }
    return render(request, "overview.html", context, block="panels",
                  status_code=400 if problems else 200, session=session)
