"""The map of sites (`/map`) and its data as GeoJSON (`/sites.geojson`).

Both take the sites list's filter, so `/map?country=UA`, `/sites.geojson?country=UA` and
`/sites?country=UA` select the same sites.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.browse import mapdata
from app.plan import kinds
from app.web.deps import SessionDep
from app.web.routes.rows import render_list

router = APIRouter(include_in_schema=False)
#: The GeoJSON is data, documented in the API docs with the rest.
data_router = APIRouter(tags=["plan data"])

SiteFilters = kinds.SITES.filters


@router.get("/map", name="show_map")
def show_map(request: Request, session: SessionDep):
    """Sites on a map, with what would stand at each; those without coordinates beside it."""
    return render_map(request, session)


def render_map(request: Request, session: Session, *, links: str | None = None,
               extra: dict[str, Any] | None = None) -> Response:
    """The map page; its filter links lead to `links` (a saved view), by default /map."""
    return render_list(
        request, session, kinds.SITES, path="/map", listing="map/_listing.html",
        per_page=mapdata.MAP_LIMIT, links=links,
        extra=lambda page: {
            **(extra or {}),
            "points": mapdata.points(session, list(page.rows), page.citations),
            "title": "Map of sites",
            "lede": "Where troops and assets would stand. Hollow, dashed markers are candidate "
                    "sites that no report names.",
            "with_map": True,
            "lead": "map/_lead.html",
        },
    )


@data_router.get("/sites.geojson", name="sites_geojson",
                 response_class=JSONResponse,
                 responses={200: {"content": {"application/geo+json": {}}}})
def sites_geojson(filters: Annotated[SiteFilters, Query()], session: SessionDep):
    """Sites matching the filter as a GeoJSON FeatureCollection, up to 500 a page (a site
    without coordinates has a null geometry)."""
    collection = mapdata.feature_collection(*mapdata.page_points(session, filters))
    return JSONResponse(collection, media_type="application/geo+json")
