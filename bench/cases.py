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


#: The random filter mix: two countries, one asset type, a sort and a page from 1 to 20,
#: drawn by a wrk Lua script (`bench/mix.py`) from the same seed for every server.
MIX = "random filter mix, HTMX fragment"
DATASETTE_MIX = "Datasette faceted page, random filter mix"
MIX_SEED = 20261130
#: The mix runs this many times per server, each run with its own seed (the same seeds for
#: both servers: a seed replayed would meet its own pages in the page cache), and the
#: run of median throughput is reported: one run on this shared machine drifts 10-40%.
MIX_RUNS = 3
#: Peaceplan's sort keys and the same order in Datasette's parameters.
MIX_SORTS = [("asset_type", "_sort=asset_type"), ("country", "_sort=country_code"),
             ("quantity", "_sort=quantity_low"), ("-quantity", "_sort_desc=quantity_high"),
             ("stage", "_sort=stage"), ("posture", "_sort=posture")]
#: Timed one at a time, each right after an edit of one asset (every cache is then stale).
AFTER_EDIT = [
    ("/ overview right after an edit", "/", {}),
    ("/assets full page right after an edit", f"/assets?{FILTER}", {}),
    ("/deployments full page right after an edit", "/deployments", {}),
]
EDITS = 5
BARE = "bare FastAPI hello-world, async def"


@dataclass
class Result:
    setup: str
    case: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float = 0.0
    timed: bool = False  # one request at a time: p50 and p99 are the median and slowest
