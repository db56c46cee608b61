"""The benchmark's results as Markdown: one table per set-up, ratios, and the targets."""

from datetime import datetime
from pathlib import Path

from bench.cases import (
    DATASETTE_FULL_CSV,
    DATASETTE_PAGE,
    FRAGMENT,
    FULL_CSV,
    HELLO,
    OVERVIEW,
    PAGE,
    Result,
)

SQLITE_1 = "SQLite, 1 worker"
COLD = "no page cache"
PG_2 = "PostgreSQL, 2 workers"


def _find(results: list[Result], setup: str, case: str) -> Result | None:
    return next((r for r in results if r.setup == setup and r.case == case), None)


def _table(results: list[Result], datasette: Result | None) -> list[str]:
    lines = ["| set-up | case | req/s | p50 ms | p99 ms | errors | RSS/worker MB "
             "| vs hello-world | vs Datasette page |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        hello = _find(results, r.setup, HELLO)
        vs_hello = f"{r.rps / hello.rps:.0%}" if hello and hello is not r else "-"
        vs_ds = f"{r.rps / datasette.rps:.1f}x" if datasette and r is not datasette else "-"
        lines.append(f"| {r.setup} | {r.case} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
                     f"| {r.errors} | {r.rss_mb:.0f} | {vs_hello} | {vs_ds} |")
    return lines


def targets(results: list[Result]) -> list[tuple[str, bool, str]]:
    """(target, met, measured) for each target of the issue that this run measures."""
    frag = _find(results, SQLITE_1, FRAGMENT)
    hello = _find(results, SQLITE_1, HELLO)
    ds = _find(results, "Datasette, SQLite", DATASETTE_PAGE)
    page, over = _find(results, SQLITE_1, PAGE), _find(results, SQLITE_1, OVERVIEW)
    out = []
    if frag:
        out.append(("fragment >= 1,500 req/s", frag.rps >= 1500, f"{frag.rps:,.0f} req/s"))
        out.append(("fragment p99 <= 30 ms", frag.p99_ms <= 30, f"{frag.p99_ms:.1f} ms"))
    if frag and ds:
        out.append(("fragment >= 30x Datasette's faceted page", frag.rps >= 30 * ds.rps,
                    f"{frag.rps / ds.rps:.1f}x"))
    if frag and hello:
        out.append(("fragment >= 35% of hello-world (async def, same stack)",
                    frag.rps >= 0.35 * hello.rps, f"{frag.rps / hello.rps:.0%}"))
    for name, r in (("full page", page), ("overview", over)):
        if r:
            out.append((f"{name} >= 600 req/s", r.rps >= 600, f"{r.rps:,.0f} req/s"))
    csv, ds_csv = _find(results, SQLITE_1, FULL_CSV), _find(results, "Datasette, SQLite",
                                                           DATASETTE_FULL_CSV)
    if csv and ds_csv:
        out.append(("CSV of every asset faster than Datasette's streamed CSV with labels",
                    csv.p50_ms < ds_csv.p50_ms,
                    f"{csv.p50_ms / 1000:.2f} s vs {ds_csv.p50_ms / 1000:.2f} s"))
    rss = max((r.rss_mb for r in results if not r.setup.startswith("Datasette")), default=0)
    out.append(("resident memory <= 150 MB per worker", rss <= 150, f"max {rss:.0f} MB"))
    for case in (FRAGMENT, PAGE, OVERVIEW):
        pg, lite = _find(results, PG_2, case), _find(results, SQLITE_1, case)
        if pg and lite:
            out.append((f"PostgreSQL 2 workers >= SQLite 1 worker: {case}",
                        pg.rps >= lite.rps, f"{pg.rps:,.0f} vs {lite.rps:,.0f} req/s"))
    errors = sum(r.errors for r in results
                 if COLD not in r.setup and not r.setup.startswith("Datasette"))
    out.append(("no errors or non-2xx answers (page cache on)", errors == 0, str(errors)))
    return out


def write(path: Path, results: list[Result], *, rows: int, duration: str, connections: int,
          started: datetime, load: tuple[str, str], machine: str,
          datasette_version: str) -> None:
    datasette = _find(results, "Datasette, SQLite", DATASETTE_PAGE)
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine}",
        f"- Load average (1, 5, 15 min) before: {load[0]}; after: {load[1]}",
        f"- Data: {rows:,} synthetic rows (`peaceplan demo-data`); filter `{FILTER_TEXT}`",
        f"- Load: `wrk -t1 -c{connections} -d{duration} --latency`, from a separate process on "
        "the same machine; uvicorn without access log; Datasette "
        f"{datasette_version} on the same SQLite file",
        "- Whole CSV exports (`s per request`) are timed one request at a time, "
        "3 requests: p50 is the median, p99 the slowest, req/s one over the median",
        "- Ratios: req/s against hello-world (`async def`, same app, same set-up) and "
        "against Datasette's faceted HTML page",
        "",
        *_table([r for r in results if COLD not in r.setup], datasette),
        "",
        "## Without the page cache",
        "",
        "Every request renders (`PAGE_CACHE_MB=0`): what the first request of an address "
        "costs after a write. Facet counts still come from their own cache after the first "
        "request of a filter. wrk counts a request slower than 2 s as an error (timeout).",
        "",
        *_table([r for r in results if COLD in r.setup], datasette),
        "",
        "## Targets",
        "",
        "| target | met | measured |",
        "|---|---|---|",
        *(f"| {t} | {'yes' if ok else '**no**'} | {m} |" for t, ok, m in targets(results)),
        "",
    ]
    path.write_text("\n".join(lines))


FILTER_TEXT = "country=FR&asset_type=drone"
