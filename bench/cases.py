"""What the benchmark measures: the addresses asked of each server, and a result."""

from dataclasses import dataclass

FILTER = "country=FR&asset_type=drone"
HX = {"HX-Request": "true"}
CASES = [  # (name, path, headers)
    ("hello-world, async def", "/hello", {}),
    ("hello-world, def", "/hello-sync", {}),
    ("/assets results fragment (HTMX)", f"/assets?{FILTER}", HX),
    ("/assets full page", f"/assets?{FILTER}", {}),
    ("/ overview", "/", {}),
    ("/api/v1/assets JSON", f"/api/v1/assets?{FILTER}", {}),
    ("/assets.csv export", f"/assets.csv?{FILTER}", {}),
    ("CSV of every asset, s per request", "/assets.csv", {}),
]
FACETS = "&".join(f"_facet={f}" for f in ("country_code", "asset_type", "posture", "stage"))
DATASETTE_CASES = [
    ("Datasette faceted HTML page", "/{db}/asset?country_code=FR&asset_type=drone&_size=50&"
     + FACETS),
    ("Datasette faceted JSON", "/{db}/asset.json?country_code=FR&asset_type=drone&_size=50&"
     + FACETS),
    ("Datasette CSV of every asset with labels, s per request",
     "/{db}/asset.csv?_stream=on&_size=max&_labels=on"),
    ("Datasette CSV of every asset, s per request", "/{db}/asset.csv?_stream=on&_size=max"),
]
HELLO, FRAGMENT, PAGE, OVERVIEW, DATASETTE_PAGE = (
    CASES[0][0], CASES[2][0], CASES[3][0], CASES[4][0], DATASETTE_CASES[0][0])
FULL_CSV, DATASETTE_FULL_CSV = CASES[7][0], DATASETTE_CASES[2][0]
#: Whole exports, tens of seconds under 16 connections: timed one request at a time
#: instead (a body over 1 MB is never kept by the page cache, so each one is built).
TIMED = {FULL_CSV, *(name for name, _ in DATASETTE_CASES[2:])}
TIMED_REQUESTS = 3


@dataclass
class Result:
    setup: str
    case: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float = 0.0
