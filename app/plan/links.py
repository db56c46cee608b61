"""Values a row has through its links, for the filter dimensions that are many-valued: each
function selects (row id, value) pairs, such as a demand's countries or a site's asset types.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, union_all

from app.plan.models import (
    Asset,
    Demand,
    Site,
    Stakeholder,
    demand_raiser,
    deployment_site,
    event_participant,
)


def stakeholder_country(table: Any, fk: Any) -> Callable:
    return lambda: (
        select(table.id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == fk)
        .where(Stakeholder.country_code.is_not(None))
    )


def demand_countries():
    # A demand involves the countries raising it and the one it is addressed to.
    return union_all(
        stakeholder_country(Demand, Demand.raised_by_id)(),
        select(demand_raiser.c.demand_id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == demand_raiser.c.stakeholder_id)
        .where(Stakeholder.country_code.is_not(None)),
        select(Demand.id.label("id"), Demand.addressed_to_code.label("value")).where(
            Demand.addressed_to_code.is_not(None)),
    ).subquery().select()


def site_asset_types():
    return select(Asset.site_id.label("id"), Asset.asset_type.label("value")).where(
        Asset.site_id.is_not(None)
    )


def deployment_site_kinds():
    """(deployment id, kind of one of its sites), once per kind: a contingent at two ports
    is at a port once."""
    return (
        select(deployment_site.c.deployment_id.label("id"), Site.kind.label("value"))
        .join(Site, Site.id == deployment_site.c.site_id)
        .distinct()
    )


def event_countries():
    return (
        select(event_participant.c.event_id.label("id"), Stakeholder.country_code.label("value"))
        .join(Stakeholder, Stakeholder.id == event_participant.c.stakeholder_id)
        .where(Stakeholder.country_code.is_not(None))
    )
