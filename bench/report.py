"""The benchmark's results as Markdown: one table per set-up, ratios, and the targets."""

from datetime import datetime
from pathlib import Path

from bench.cases import (
    AFTER_EDIT,
    BARE,
    DATASETTE_FULL_CSV,
    DATASETTE_MIX,
    DATASETTE_PAGE,
    EDITS,
    FRAGMENT,
    FULL_CSV,
    HELLO,
    MIX,
    MIX_RUNS,
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
        if r.timed:  # one request at a time: a rate would say nothing
            lines.append(f"| {r.setup} | {r.case} | - | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
                         f"| {r.errors} | {r.rss_mb:.0f} | - | - |")
            continue
        hello = _find(results, r.setup, HELLO)
        vs_hello = f"{r.rps / hello.rps:.0%}" if hello and hello is not r else "-"
        ds = _find(results, "Datasette, SQLite", DATASETTE_MIX) if r.case == MIX else datasette
        vs_ds = f"{r.rps / ds.rps:.1f}x" if ds and r is not ds and r.case not in (
            HELLO, BARE) and not r.case.startswith("hello") else "-"
        lines.append(f"| {r.setup} | {r.case} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
                     f"| {r.errors} | {r.rss_mb:.0f} | {vs_hello} | {vs_ds} |")
    return lines


def _setups(results: list[Result]) -> list[str]:
    return list(dict.fromkeys(r.setup for r in results if not r.setup.startswith(
        ("Datasette", "bare")) and COLD not in r.setup))


def issue_targets(results: list[Result]) -> list[tuple[str, bool, str]]:
    """The targets of the cold cases: the filter mix, the first page after an edit, the
    middleware tax and memory."""
    out = []
    ds_mix = _find(results, "Datasette, SQLite", DATASETTE_MIX)
    for setup in _setups(results):
        ours = _find(results, setup, MIX)
        if ours and ds_mix:
            out.append((f"{setup}: filter mix >= 8x Datasette's req/s",
                        ours.rps >= 8 * ds_mix.rps,
                        f"{ours.rps:,.0f} vs {ds_mix.rps:,.0f} req/s, "
                        f"{ours.rps / ds_mix.rps:.1f}x"))
            out.append((f"{setup}: filter mix p99 < a third of Datasette's",
                        ours.p99_ms < ds_mix.p99_ms / 3,
                        f"{ours.p99_ms:.0f} ms vs {ds_mix.p99_ms:.0f} ms"))
            out.append((f"{setup}: filter mix without errors", ours.errors == 0,
                        str(ours.errors)))
        for name, _, _ in AFTER_EDIT:
            r = _find(results, setup, name)
            if r:
                out.append((f"{setup}: {name} < 80 ms (median of {EDITS})", r.p50_ms < 80,
                            f"median {r.p50_ms:.0f} ms, slowest {r.p99_ms:.0f} ms"))
        workers = setup.split(", ")[-1]
        hello, bare = _find(results, setup, HELLO), _find(results, f"bare FastAPI, {workers}",
                                                          BARE)
        if hello and bare:
            out.append((f"{setup}: hello-world >= 60% of a bare FastAPI route",
                        hello.rps >= 0.6 * bare.rps,
                        f"{hello.rps:,.0f} vs {bare.rps:,.0f} req/s, "
                        f"{hello.rps / bare.rps:.0%}"))
    for setup in dict.fromkeys(r.setup for r in results if not r.setup.startswith(
            ("Datasette", "bare"))):
        r = next(r for r in results if r.setup == setup)
        out.append((f"{setup}: worker RSS < 150 MB after its cases (the whole export last)",
                    r.rss_mb < 150, f"{r.rss_mb:.0f} MB"))
    return out


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
        "3 requests; pages `right after an edit` one at a time, each after an edit of one "
        f"asset, {EDITS} times: p50 is the median, p99 the slowest",
        "- The filter mix: a wrk Lua script (`bench/mix.py`, the same seeds for both servers) "
        "draws two countries, one asset type, a sort and a page 1-20 for each request, "
        f"{MIX_RUNS} runs of {duration} per server, each with its own seed: the run of median "
        "throughput is shown; "
        "Datasette gets the same filters and sort on its faceted page (its first page: its "
        "pages are keyset tokens, not numbers)",
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
        *(f"| {t} | {'yes' if ok else '**no**'} | {m} |" for t, ok, m in
          [*issue_targets(results), *targets(results)]),
        "",
    ]
    path.write_text("\n".join(lines))


FILTER_TEXT = "country=FR&asset_type=drone"
