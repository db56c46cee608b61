"""Which rows a package holds: those of each kind that match the filter, as its list
matches them, and every row they refer to, so that no foreign key points at a row left out.

A filter parameter is applied by each kind whose list takes it: `?country=FR` keeps
France's contingents, assets, sites, stakeholders, stances, demands, events, force levels
and plans. A kind whose list does not take every parameter given (sources, for a country)
holds only the rows that others refer to. Then, in the order of references, each table
takes the rows the chosen ones refer to: a contingent's plan, sites and the demand it waits
on, that demand's stakeholders, every chosen row's citations, their sources and the
sources those were known through, and the countries named. Without a filter, every row.

The choice is made in SQL (one common table expression per table), not as lists of ids,
so it costs the same few statements for ten rows or a hundred thousand.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    false,
    or_,
    select,
    true,
    union,
)

from app.browse.queries import conditions
from app.packaging.schema import BY_NAME, CITABLE, CITATION, LINKS, fields, owner_key, refers_to
from app.plan.filters import FilterProblem, parse
from app.plan.kinds import KINDS
from app.plan.models import Source

#: List parameters that do not choose rows: a package holds every matching row, in id order.
NOT_FILTERS = {"sort", "page", "per_page"}
#: Parameters the package takes, from every kind's list.
PARAMS: list[str] = sorted({name for kind in KINDS.values()
                            for name in kind.filters.model_fields} - NOT_FILTERS)


class FilterRefused(ValueError):
    """A parameter no list takes, or a value every list taking it refuses."""

    def __init__(self, problems: list[FilterProblem]):
        super().__init__("; ".join(f"{p.param}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class Choice:
    """A package's filter: the parameters given (none: every row), and per table of a
    kind, the condition its rows are chosen by of their own accord, or `False` when they
    come only as rows referred to."""

    own: dict[str, Any] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)

    @property
    def everything(self) -> bool:
        return not self.query


def choose(query: Mapping[str, list[str]]) -> Choice:
    """The filter of a package, from query parameters (as lists of values); raises
    `FilterRefused` for a parameter or value nothing takes."""
    given = {name: [v for v in values if v != ""] for name, values in query.items()}
    given = {name: values for name, values in given.items() if values}
    if unknown := sorted(set(given) - set(PARAMS)):
        raise FilterRefused([FilterProblem(name, ", ".join(given[name]),
                                           f"not a filter; the package takes "
                                           f"{', '.join(PARAMS)}") for name in unknown])
    choice = Choice(query=given)
    if not given:
        return choice
    refused: dict[tuple[str, str], list[FilterProblem]] = {}
    takers: dict[str, int] = dict.fromkeys(given, 0)
    for kind in KINDS.values():
        taken = {name: values for name, values in given.items()
                 if name in kind.filters.model_fields}
        for name in taken:
            takers[name] += 1
        filters, problems = parse(kind.filters, taken)
        for problem in problems:
            refused.setdefault((problem.param, problem.value), []).append(problem)
        # Rows of its own only when it takes every parameter, each with a value left.
        keeps_all = len(taken) == len(given) and all(
            filters.values(name) if isinstance(getattr(filters, name), list)
            else getattr(filters, name) is not None for name in taken)
        choice.own[kind.subject_type] = (and_(true(), *conditions(kind, filters))
                                         if keeps_all else False)
    wrong = [problems[0] for (name, _), problems in refused.items()
             if len(problems) == takers[name]]
    if wrong:
        raise FilterRefused(wrong)
    return choice


# --- The rows of each table ---


def _ids(table: Table, where: Any) -> Select:
    stmt = select(table.c.id.label("id"))
    return stmt.where(false() if where is False else where)


def _of(cte: CTE) -> Select:
    return select(cte.c.id)


class Chosen:
    """The chosen ids of every table of a filtered package, as common table expressions."""

    def __init__(self, choice: Choice):
        self.ctes: dict[str, CTE] = {}
        t = BY_NAME
        own = {name: _ids(t[name], choice.own.get(name, False)) for name in CITABLE}
        for name in ("deployment", "asset", "event", "stance", "force_level"):
            self._add(name, own[name])
        dep, asset = _of(self.ctes["deployment"]), _of(self.ctes["asset"])
        self._add("demand", own["demand"],
                  select(t["deployment"].c.condition_demand_id)
                  .where(t["deployment"].c.id.in_(dep)),
                  select(t["asset"].c.condition_demand_id).where(t["asset"].c.id.in_(asset)))
        links = t["deployment_site"]
        self._add("site", own["site"],
                  select(links.c.site_id).where(links.c.deployment_id.in_(dep)),
                  select(t["asset"].c.site_id).where(t["asset"].c.id.in_(asset)))
        self._add("stakeholder", own["stakeholder"], *self._referred("stakeholder"))
        self._add("plan", own["plan"], *self._referred("plan"))
        self.citation = or_(*(
            and_(CITATION.c.subject_type == name,
                 CITATION.c.subject_id.in_(_of(self.ctes[name]))) for name in CITABLE))
        source = Source.__table__
        start = union(_ids(source, choice.own.get("source", False)),
                      select(CITATION.c.source_id.label("id")).where(self.citation)).subquery()
        first = select(start.c.id).cte("source_ids", recursive=True)
        # A source known only through another brings that one in, and so on up the chain.
        self.ctes["source"] = first.union(
            select(source.c.cited_in_id).join(first, source.c.id == first.c.id)
            .where(source.c.cited_in_id.is_not(None)))
        self.countries = union(*(
            select(column.label("id")).where(t[name].c.id.in_(_of(self.ctes[name])))
            for name in CITABLE for column in t[name].c if refers_to(column, "country")))

    def _add(self, name: str, *selects: Select) -> None:
        self.ctes[name] = (union(*selects) if len(selects) > 1 else selects[0]).cte(
            f"{name}_ids")

    def _referred(self, target: str) -> list[Select]:
        """The ids of `target` that the chosen rows of the tables chosen so far refer to,
        directly or through their links."""
        out = []
        for name, cte in list(self.ctes.items()):
            table, chosen = BY_NAME[name], _of(cte)
            out.extend(select(column).where(table.c.id.in_(chosen))
                       for column in table.c if refers_to(column, target))
            if (link := LINKS.get(name)) is not None:
                out.extend(select(column).where(owner_key(link).in_(chosen))
                           for column in link.c if refers_to(column, target))
        return out

    def where(self, table: Table) -> ColumnElement:
        """The condition that keeps the chosen rows of `table`."""
        if table.name == "country":
            return table.c.code.in_(self.countries)
        if table is CITATION:
            return self.citation
        if table.name in self.ctes:
            return table.c.id.in_(_of(self.ctes[table.name]))
        owner = next(name for name, link in LINKS.items() if link is table)
        return owner_key(table).in_(_of(self.ctes[owner]))  # the links of the rows chosen


def rows(table: Table, chosen: Chosen | None) -> Select:
    """The select of a table's rows in the package's columns, in primary key order."""
    columns = []
    for f in fields(table):
        if f.cites:
            columns.append(case((table.c.subject_type == f.cites, table.c.subject_id))
                           .label(f.name))
        else:
            columns.append(table.c[f.name])
    stmt = select(*columns).order_by(*table.primary_key.columns)
    return stmt.where(chosen.where(table)) if chosen is not None else stmt


