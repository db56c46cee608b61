"""The map: sites with the troops and assets that would stand there, as rows and as GeoJSON.

The map page, its table and `/sites.geojson` select sites with the sites list's own filter
(`kinds.SITES.filters`), so the map and the list cannot disagree.

A site is drawn as precisely as its location is known: a point (exact, or near a place), or
the country or region it stands for. A region with no borders of its own ("Eastern Europe")
is not given any: the map notes it at its edge. Only a site whose location is unknown is
left off the map.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.browse import queries
from app.plan import kinds, places
from app.plan.filters import BaseFilters
from app.plan.models import Asset, Citation, Deployment, Site
from app.plan.quantities import Range, format_date, format_range, total
from app.plan.vocab import Precision, SiteBasis, country_name

#: The most sites one map draws; the page says so when a filter matches more.
MAP_LIMIT = 500


@dataclass
class SitePoint:
    site: Site
    deployments: list[Deployment]
    assets: list[Asset]
    citations: list[Citation]

    @property
    def located(self) -> bool:
        """Whether the site is drawn as a point."""
        return (self.site.precision in (Precision.POINT, Precision.NEAR)
                and self.site.latitude is not None and self.site.longitude is not None)

    @property
    def area(self) -> places.Area | None:
        """The country or region the site stands for, when it is known no closer."""
        s = self.site
        return places.area(s.precision, s.country_code, s.region_code, s.region_name)

    @property
    def placed(self) -> bool:
        """Whether the map shows the site: as a point, an area, or a note at its edge."""
        return self.located or self.area is not None

    @property
    def where(self) -> str:
        """Where the site is, as far as it is known, in words."""
        if self.area is not None:
            return self.area.name
        if self.located:
            return f"{self.site.latitude:g}, {self.site.longitude:g}"
        return "location unknown"

    @property
    def candidate(self) -> bool:
        return self.site.basis == SiteBasis.CANDIDATE

    shared: dict[int, int] = field(default_factory=dict)  # deployment id -> its sites

    def _spread(self, d: Deployment) -> int:
        return self.shared.get(d.id, 1)

    @property
    def troops(self) -> Range:
        """Troops of the contingents at this site alone. A contingent spread over several
        sites is one figure for all of them: added to each, it would count several times."""
        return total(Range(d.troops_low, d.troops_high) for d in self.deployments
                     if self._spread(d) == 1)

    @property
    def shares(self) -> bool:
        """Whether a contingent stands here that is spread over other sites too."""
        return any(self._spread(d) > 1 for d in self.deployments)

    @property
    def own(self) -> bool:
        """Whether any contingent stands at this site alone."""
        return any(self._spread(d) == 1 for d in self.deployments)

    @property
    def troops_text(self) -> str:
        if not self.deployments:
            return "none reported"
        parts = [str(self.troops)] if self.own else []
        parts += [f"{format_range(d.troops_low, d.troops_high)} shared by "
                  f"{self._spread(d)} sites"
                  for d in self.deployments if self._spread(d) > 1]
        return "; ".join(parts)

    @property
    def assets_text(self) -> str:
        if not self.assets:
            return "none reported"
        return ", ".join(
            f"{a.asset_type.label} ({format_range(a.quantity_low, a.quantity_high)}, "
            f"{a.posture.label.lower()})"
            for a in self.assets
        )


def points(session: Session, rows: list[Site],
           cited: dict[int, list[Citation]]) -> list[SitePoint]:
    """Sites with what stands at each: two statements for any number of sites."""
    at = queries.at_sites(session=session, site_ids=[s.id for s in rows])
    return [SitePoint(s, at.deployments.get(s.id, []), at.assets.get(s.id, []),
                      cited.get(s.id, []), at.shared) for s in rows]


def page_points(session: Session, filters: BaseFilters,
                per_page: int = MAP_LIMIT) -> tuple[queries.Page, list[SitePoint]]:
    """The first `per_page` sites of a filter (or the filter's own page, if it names one),
    with what stands at each."""
    if "per_page" not in filters.model_fields_set:
        filters = filters.model_copy(update={"per_page": per_page})
    page = queries.list_rows(session=session, kind=kinds.SITES, filters=filters,
                             with_facets=False)
    return page, points(session, list(page.rows), page.citations)


def feature(point: SitePoint) -> dict[str, Any]:
    """One site as a GeoJSON Feature; a site without coordinates has a null geometry."""
    site = point.site
    geometry = ({"type": "Point", "coordinates": [site.longitude, site.latitude]}
                if point.located else None)
    troops = point.troops
    return {
        "type": "Feature",
        "id": site.id,
        "geometry": geometry,
        "properties": {
            "name": site.name,
            "url": f"/sites/{site.id}",
            "kind": str(site.kind),
            "kind_label": site.kind.label,
            "basis": str(site.basis),
            "basis_label": site.basis.label,
            "candidate": point.candidate,
            "precision": str(site.precision),
            "precision_label": site.precision.label,
            # The country or region drawn for the site: `shape` names it in the vendored
            # boundaries, or is null for an area noted at the map's edge.
            "area": point.area.as_json() if point.area else None,
            "where": point.where,
            "country": site.country_code,
            "country_name": country_name(site.country_code) if site.country_code else None,
            # This site's own troops; contingents shared with other sites are listed with
            # the number of sites they are spread over.
            "troops_low": troops.low if point.own else None,
            "troops_high": troops.high if point.own else None,
            "troops": point.troops_text,
            "deployments": [
                {"id": d.id, "url": f"/deployments/{d.id}", "role": d.role,
                 "troops": format_range(d.troops_low, d.troops_high),
                 "sites": point.shared.get(d.id, 1)}
                for d in point.deployments
            ],
            "assets": [
                {"id": a.id, "url": f"/assets/{a.id}", "asset_type": str(a.asset_type),
                 "label": a.asset_type.label, "posture": a.posture.label,
                 "quantity": format_range(a.quantity_low, a.quantity_high)}
                for a in point.assets
            ],
            "sources": [
                {"id": c.source.id, "title": c.source.title,
                 "url": f"/sources/{c.source.id}" + (f"#q-{c.id}" if c.quote else ""),
                 "published": format_date(c.source.published_on),
                 "outlet": c.source.outlet}
                for c in point.citations
            ],
        },
    }


def feature_collection(page: queries.Page, sites: list[SitePoint]) -> dict[str, Any]:
    """The features of one page of sites; `total`, `page` and `per_page` say whether there
    are more (GeoJSON allows such foreign members)."""
    return {"type": "FeatureCollection", "total": page.total, "page": page.page,
            "per_page": page.per_page, "features": [feature(p) for p in sites]}
