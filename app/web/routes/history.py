"""What changed: the compare view between two dates, and the Atom feed of changes."""

import uuid
from datetime import UTC, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError

from app.browse.overview import OverviewFilters, country_choices
from app.history import asof, compare, feed
from app.plan import text
from app.plan.filters import FilterProblem, parse
from app.web.deps import LiveSessionDep
from app.web.templating import query_lists, render, templates

router = APIRouter(include_in_schema=False)
FEED_SIZE = 50


@router.get("/compare", name="compare")
def compare_dates(request: Request, session: LiveSessionDep):
    """Rows added, removed and changed between two dates."""
    query = query_lists(request)
    filters, problems = parse(OverviewFilters, query)
    days = {}
    for param in ("from", "to"):
        value = (query.get(param) or [""])[-1]
        try:
            days[param] = asof.parse_day(value) if value else None
        except ValueError as error:
            problems.append(FilterProblem(param, value, str(error)))
            days[param] = None
    today = asof.today()
    end = min(days["to"] or today, today)
    # Without a start: the week before the latest change, so that the page opens on what
    # changed last, however long ago that was.
    latest = session.scalar(compare.latest_change_at(end))
    start = min(days["from"] or ((latest.date() if latest else end) - timedelta(days=7)),
                today)
    start, end = min(start, end), max(start, end)
    context = {
        "filters": filters,
        "problems": problems,
        "comparison": compare.compare(session, start, end, filters.country),
        "countries": country_choices(session, filters),
        "today": today,
    }
    return render(request, "compare.html", context, status_code=400 if problems else 200,
                  session=session)


@router.get("/changes.atom", name="changes_feed")
def changes_feed(request: Request, session: LiveSessionDep):
    """The latest changes to the plan as an Atom feed, optionally for some countries."""
    filters, problems = parse(OverviewFilters, query_lists(request))
    if problems:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", p.param),
                                       "msg": p.message, "input": p.value} for p in problems])
    base = str(request.base_url)
    entries = feed.feed(session, filters.country, limit=FEED_SIZE)
    context = {
        "entries": entries,
        "filters": filters,
        "feed_id": _urn(f"{base}changes.atom{filters.query()}"),
        "entry_id": lambda change: _urn(f"{base}changes/{change.id}"),
        "link": lambda entry: "/compare?from={}&to={}#change-{}".format(
            *feed.period_of(entry.day), entry.change.id),
        "base": base.rstrip("/"),
        "utc": UTC,
        "updated": max((e.change.recorded_at for e in entries), default=asof.utcnow()),
    }
    page = templates.TemplateResponse(request, "changes.atom.xml", context)
    # Text saved before every door cleaned it may still hold what XML cannot.
    return Response(text.clean(page.body.decode()), media_type="application/atom+xml")


def _urn(address: str) -> str:
    # Atom ids must never change: a name-based UUID of the address stays the same.
    return uuid.uuid5(uuid.NAMESPACE_URL, address).urn
