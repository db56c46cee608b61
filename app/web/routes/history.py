"""What changed: the compare view between two dates, and the feed of changes (Atom and JSON)."""

from datetime import timedelta

from fastapi import APIRouter, Request

from app.browse.overview import OverviewFilters, country_choices
from app.history import asof, compare, feed
from app.plan.filters import FilterProblem, parse
from app.plan.quantities import format_date
from app.plan.vocab import country_name
from app.web import feeds
from app.web.api_errors import query_rejected
from app.web.deps import LiveSessionDep
from app.web.navigation import CHANGE_LOG
from app.web.templating import query_lists, render

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
    return feeds.atom(request, _changes(request, session))


@router.get("/changes.json", name="changes_json_feed")
def changes_json_feed(request: Request, session: LiveSessionDep):
    """The same feed as JSON Feed 1.1."""
    return feeds.json_feed(_changes(request, session))


def _changes(request: Request, session) -> feeds.Feed:
    filters, problems = parse(OverviewFilters, query_lists(request))
    if problems:
        raise query_rejected(problems)
    base = str(request.base_url).rstrip("/")
    query = filters.query()
    involving = (" involving " + ", ".join(country_name(c) for c in filters.country)
                 if filters.country else "")
    out = feeds.Feed(
        # The Atom feed's id from before the JSON twin existed: readers keep their place.
        id=feeds.urn(f"{base}/changes.atom{query}"),
        title=f"Peaceplan: {CHANGE_LOG.lower()}{involving}",
        subtitle="Rows added, removed and changed, newest first, each with the fields that "
                 "changed.",
        home_url=f"{base}/compare{query}", atom_url=f"{base}/changes.atom{query}",
        json_url=f"{base}/changes.json{query}")
    for entry in feed.feed(session, filters.country, limit=FEED_SIZE):
        change = entry.change
        rows = len(entry.lines) + entry.more
        link = "/compare?from={}&to={}#change-{}".format(*feed.period_of(entry.day), change.id)
        html = feeds.content(entry.lines, change.reason, more=entry.more)
        out.items.append(feeds.Item(
            id=feeds.urn(f"{base}/changes/{change.id}"), title=change.summary,
            url=base + link, updated=feeds.utc(change.recorded_at),
            published=feeds.utc(change.at), author=change.actor,
            summary=f"{rows} row{'' if rows == 1 else 's'} changed, in effect "
                    f"{format_date(entry.day)}"
                    + (f" ({change.action})" if change.action else "") + ".",
            html=html))
    return out
