"""Scenarios side by side (`/scenarios`, its CSV and API) and stances along time
(`/stances/timeline`).

A scenario with a date of its own is read from the plan as it stood that day (the same
rebuilt plan as `?as_of=`); one without, from the page's plan: the present, or the page's
own `as_of`.
"""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.browse import charts, overview, queries, scenarios, timecharts
from app.caching.memo import memo
from app.history import asof
from app.plan import kinds
from app.plan.filters import parse
from app.plan.quantities import Range
from app.plan.vocab import CountryCode, country_name
from app.web.deps import LiveSessionDep, SessionDep
from app.web.templating import query_lists, render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["scenarios"])

#: Days of the troops-over-time chart: the latest on which a contingent changed.
MAX_DAYS = 12


@contextmanager
def plan_on(live: Session, day: date, pin: int | None = None) -> Iterator[Session]:
    """The plan as it stood at the end of `day` (the live one from today on); as recorded
    up to change `pin` when the page is a permalink, so later edits leave it alone."""
    change = asof.pin_on(live, day, pin) if pin is not None else None
    past = asof.view(live, day, change)
    if past is None:
        yield live
        return
    with past[1] as session:
        yield session


def page_day(request: Request) -> date | None:
    view = getattr(request.state, "as_of", None)
    return view.day if view else None


def page_pin(request: Request) -> int | None:
    """The change a permalink pins the page to, if it is one."""
    view = getattr(request.state, "as_of", None)
    return view.change if view else None


def figures_of(request: Request, session: Session, live: Session,
               scenario: scenarios.Scenario, country: list[str]) -> scenarios.Figures:
    if scenario.day is None:
        day = page_day(request)
        return scenarios.figures(session, scenario, country, day or asof.today(), day is None)
    with plan_on(live, scenario.day, page_pin(request)) as viewed:
        present = viewed is live
        return scenarios.figures(viewed, scenario, country, scenario.day, present)


def read_scenario(value: str | None, on: str | None, default: str) -> scenarios.Scenario:
    """`?a=committed@2025-03-01`, or the form's two fields `?a=committed&a_on=2025-03-01`."""
    scenario = scenarios.parse_scenario(value or default)
    if on and on.strip() and scenario.day is None:
        scenario = scenarios.parse_scenario(f"{scenario.measure}@{on.strip()}")
    return scenario


def _events(session: Session, country: list[str]) -> list[timecharts.Event]:
    page = queries.list_rows(session=session, kind=kinds.EVENTS, with_facets=False,
                             filters=kinds.EVENTS.filters(country=country, per_page=500,
                                                          sort="happened_on"))
    return timecharts.events(page.rows)


def over_time(request: Request, session: Session, live: Session, country: list[str],
              found: list[timecharts.Event],
              highlights: list[tuple[date, str, str]] = ()) -> timecharts.TroopsOverTime:
    """Troops by stage on each day a contingent changed, up to the page's date."""
    last, pin = page_day(request), page_pin(request)
    days = [d for d in asof.change_days(live, [kinds.DEPLOYMENTS.subject_type], pin)
            if last is None or d <= last][-MAX_DAYS:]
    narrowed = kinds.DEPLOYMENTS.filters(country=country)
    history = memo(live, ("stage-history", tuple(country), tuple(days), pin),
                   lambda: timecharts.stage_history(days, lambda d: plan_on(live, d, pin),
                                                    narrowed))
    return timecharts.troops_over_time(history, overview.plan_levels(session), found, narrowed,
                                       highlights=highlights)


def paired(slug: str, title: str, unit: str, a_name: str, b_name: str,
           lines: list[scenarios.Line]) -> charts.Chart:
    """A breakdown as pairs of bars, a then b, on one scale."""
    bars = []
    for line in lines:
        for name, amount, href in ((a_name, line.a, line.a_href), (b_name, line.b, line.b_href)):
            if amount is not None:  # a plan-wide figure has no bar per row
                bars.append(charts.Bar(f"{line.label}, {name}", amount, str(amount),
                                       href))
    return charts.Chart(slug, title, unit, bars)


def comparison_context(request: Request, session: Session, live: Session, query: dict):
    filters, problems = parse(overview.OverviewFilters, query)
    country = [str(c) for c in filters.country]
    errors: dict[str, str] = {}
    chosen = {}
    for name, default in (("a", scenarios.DEFAULT_A), ("b", scenarios.DEFAULT_B)):
        try:
            chosen[name] = read_scenario((query.get(name) or [None])[-1],
                                         (query.get(f"{name}_on") or [None])[-1], default)
        except ValueError as error:
            errors[name] = str(error)
            chosen[name] = scenarios.Scenario(default)
    comparison = scenarios.Comparison(figures_of(request, session, live, chosen["a"], country),
                                      figures_of(request, session, live, chosen["b"], country))
    side = [figures_of(request, session, live, scenarios.Scenario(code), country)
            for code in scenarios.STANDARD]
    found = _events(session, country)
    highlights = [(f.scenario.day or f.day, f"{name}: {f.label}", name)
                  for name, f in (("a", comparison.a), ("b", comparison.b))
                  if (f.scenario.day or f.scenario.is_level) and f.day]
    return {
        "filters": filters, "problems": problems, "errors": errors, "chosen": chosen,
        "comparison": comparison, "side": side,
        "side_chart": charts.Chart(
            "scenarios", "Force levels and stage totals", "troops",
            [charts.Bar(f.label, f.total, f.missing or ("none" if f.rows == 0 else str(f.total)),
                        f.href) for f in side],
            note="Hatched: the upper end of a range."),
        "pair_charts": {slug: paired(f"pair-{slug}", title, unit, "a", "b", rows)
                        for slug, title, unit, rows in comparison.sections if rows},
        "timeline": over_time(request, session, live, country, found, highlights),
        "between": between(found, comparison),
        "countries": overview.country_choices(session, filters),
        "choices": scenarios.choices(),
        "page_day": page_day(request),
        "query": "?" + urlencode([("a", chosen["a"].code), ("b", chosen["b"].code),
                                  *(("country", c) for c in country)]),
    }


def between(found: list[timecharts.Event], c: scenarios.Comparison) -> list[timecharts.Event]:
    """The events dated between the two scenarios' days, when both have one."""
    if not c.a.day or not c.b.day or c.a.day == c.b.day:
        return []
    first, last = sorted((c.a.day, c.b.day))
    return [e for e in found if first <= e.day <= last]


@router.get("/scenarios", name="scenarios")
def show_scenarios(request: Request, session: SessionDep, live: LiveSessionDep):
    """Force levels and stage totals side by side, and any two compared."""
    context = comparison_context(request, session, live, query_lists(request))
    bad = context["problems"] or context["errors"]
    return render(request, "scenarios.html", context, status_code=400 if bad else 200,
                  session=session)


# --- CSV and API ---


def _checked(a: str | None, b: str | None) -> tuple[scenarios.Scenario, scenarios.Scenario]:
    out, errors = [], []
    for name, value, default in (("a", a, scenarios.DEFAULT_A), ("b", b, scenarios.DEFAULT_B)):
        try:
            out.append(read_scenario(value, None, default))
        except ValueError as error:
            errors.append({"type": "value_error", "loc": ("query", name), "msg": str(error),
                           "input": value})
    if errors:
        raise RequestValidationError(errors)
    return out[0], out[1]


SCENARIO_HELP = f"A scenario: {scenarios.HELP}."
AParam = Annotated[str | None, Query(description=SCENARIO_HELP + " Default: proposed.",
                                     examples=["proposed"], max_length=40)]
BParam = Annotated[str | None, Query(description=SCENARIO_HELP + " Default: committed.",
                                     examples=["committed@2025-03-01"], max_length=40)]
CountryParam = Annotated[list[CountryCode], Query(
    description="Narrow stage totals to these contributors (repeatable); force levels stay "
                "plan-wide")]


def compared(request: Request, session: Session, live: Session, a: str | None, b: str | None,
             country: list[str]) -> scenarios.Comparison:
    sa, sb = _checked(a, b)
    country = [str(c) for c in country]
    return scenarios.Comparison(figures_of(request, session, live, sa, country),
                                figures_of(request, session, live, sb, country))


COLUMNS = ["section", "key", "label", "a_low", "a_high", "a_unknown", "b_low", "b_high",
           "b_unknown", "difference_min", "difference_max", "difference_known", "a_url",
           "b_url"]


def _csv_row(section: str, line: scenarios.Line) -> list[Any]:
    d = line.difference
    return [section, line.key or "", line.label,
            *(_bounds(line.a)), line.a_unknown, *(_bounds(line.b)), line.b_unknown,
            "" if d.low is None else d.low, "" if d.high is None else d.high,
            "true" if d.known else "false", line.a_href or "", line.b_href or ""]


def _bounds(r: Range | None) -> list[Any]:
    if r is None:
        return ["", ""]
    return ["" if r.low is None else r.low, "" if r.high is None else r.high]


@router.get("/scenarios.csv", name="scenarios_csv")
def scenarios_csv(request: Request, session: SessionDep, live: LiveSessionDep,
                  a: AParam = None, b: BParam = None, country: CountryParam = []):  # noqa: B006
    """The comparison of two scenarios as CSV: the totals, then each breakdown's rows."""
    c = compared(request, session, live, a, b, country)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(_csv_row("total", c.total))
    for slug, _, _, rows in c.sections:
        for line in rows or ():
            writer.writerow(_csv_row(slug.replace("-", "_"), line))
    name = f"scenarios-{c.a.scenario.code}-vs-{c.b.scenario.code}.csv".replace("@", "-")
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class AmountOut(BaseModel):
    low: int | None = Field(description="Lower bound; null: none known (zero at least)")
    high: int | None = Field(description="Upper bound; null: open-ended or unknown")
    text: str = Field(description="As the page shows it: '30,000', 'at least 5', 'unknown'")


class DifferenceOut(BaseModel):
    min: int | None = Field(description="The least b − a can be; null: no lower bound")
    max: int | None = Field(description="The most b − a can be; null: no upper bound")
    known: bool = Field(description="False where either figure is unknown")
    text: str


class LineOut(BaseModel):
    key: str | None
    label: str
    a: AmountOut | None = Field(description="Null where scenario a is one plan-wide figure")
    b: AmountOut | None
    a_unknown: int = Field(description="Rows of unknown size in a")
    b_unknown: int
    difference: DifferenceOut
    a_url: str | None = Field(description="The rows behind a's figure")
    b_url: str | None


class SourceOut(BaseModel):
    title: str
    cited_as: str
    url: str


class ScenarioOut(BaseModel):
    code: str = Field(description="The scenario as `a` or `b` takes it")
    label: str
    when: str
    day: date | None = Field(description="The day its figures stand for")
    total: AmountOut
    rows: int | None = Field(description="Contingents counted; null for a force level")
    unknown: int
    plan_wide: bool = Field(description="One figure for the whole plan, not broken down")
    missing: str | None = Field(description="Why there is no figure, where there is none")
    html_url: str | None = Field(description="The rows or the force level behind the total")
    sources: list[SourceOut]


class ComparisonOut(BaseModel):
    a: ScenarioOut
    b: ScenarioOut
    total: LineOut
    contributor: list[LineOut] | None
    site_kind: list[LineOut] | None
    asset_type: list[LineOut] | None


def _amount(r: Range | None) -> AmountOut | None:
    return None if r is None else AmountOut(low=r.low, high=r.high, text=str(r))


def _line(line: scenarios.Line) -> LineOut:
    d = line.difference
    return LineOut(key=line.key, label=line.label, a=_amount(line.a), b=_amount(line.b),
                   a_unknown=line.a_unknown, b_unknown=line.b_unknown,
                   difference=DifferenceOut(min=d.low, max=d.high, known=d.known, text=str(d)),
                   a_url=line.a_href, b_url=line.b_href)


def _scenario(f: scenarios.Figures) -> ScenarioOut:
    found = {c.source.id: c.source for c in f.citations} | {s.id: s for s in f.sources}
    return ScenarioOut(
        code=f.scenario.code, label=f.label, when=f.when, day=f.day,
        total=_amount(f.total), rows=f.rows, unknown=f.unknown, plan_wide=f.plan_wide,
        missing=f.missing, html_url=f.href,
        sources=[SourceOut(title=s.title, cited_as=f"{s.outlet}, "
                           f"{s.published_on.isoformat() if s.published_on else 'undated'}",
                           url=f"/sources/{s.id}") for s in found.values()])


@api_router.get("/scenarios", response_model=ComparisonOut, name="api_scenarios",
                summary="Two scenarios compared",
                responses={422: {"description": "A scenario or country not understood"}})
def scenarios_api(request: Request, session: SessionDep, live: LiveSessionDep,
                  a: AParam = None, b: BParam = None, country: CountryParam = []):  # noqa: B006
    """Two scenarios (a force level, a stage total, or either as the plan stood on a date)
    side by side: their totals and breakdowns by contributor, kind of site and asset type,
    each with b minus a as the least and the most it can be."""
    c = compared(request, session, live, a, b, country)
    rows = {slug.replace("-", "_"): None if r is None else [_line(x) for x in r]
            for slug, _, _, r in c.sections}
    return ComparisonOut(a=_scenario(c.a), b=_scenario(c.b), total=_line(c.total), **rows)


# --- Stances along time ---


@router.get("/stances/timeline", name="stances_timeline")
def show_stance_timeline(request: Request, session: SessionDep):
    """Several stakeholders' stances on one time axis, with the events as markers."""
    filters, problems = parse(kinds.STANCES.filters, query_lists(request))
    country = list(filters.values("country"))
    # The stances list's own filter (countries, positions, words), all on one page.
    page = queries.list_rows(session=session, kind=kinds.STANCES, with_facets=False,
                             filters=filters.model_copy(update={"per_page": 500, "page": 1}))
    found = _events(session, [str(c) for c in country])
    context = {
        "filters": filters, "problems": problems, "page": page,
        "timeline": timecharts.stance_timeline(page.rows, found),
        "countries": queries.facet(session, kinds.STANCES, kinds.STANCES.dims[0],
                                   filters),
        "names": [country_name(str(c)) for c in country],
    }
    return render(request, "stances_timeline.html", context,
                  status_code=400 if problems else 200, session=session)
