"""The benchmark command still works: a small run writes the whole side-by-side table.

Not a performance test (figures on a shared CI machine mean little); bench/README.md says
how to run the real one.
"""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench.cases import AFTER_EDIT, BARE, CASES, DATASETTE_CASES, DATASETTE_MIX, MIX
from tests.databases import POSTGRES_ADMIN_URL, fresh_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.bench
def test_a_small_benchmark_run_writes_every_row(tmp_path, tmp_path_factory):
    with fresh_database("postgresql", tmp_path_factory):
        pass  # skips (or fails under PEACEPLAN_REQUIRE_POSTGRES=1) without a server
    out = tmp_path / "results.md"
    subprocess.run(
        # One worker per database: two workers is a flag to the same server command.
        [sys.executable, "-m", "bench.run", "--rows", "2000", "--duration", "1s", "--out", out,
         "--workers", "1",
         "--postgres-url", POSTGRES_ADMIN_URL,
         "--pg-database", f"peaceplan_bench_{uuid.uuid4().hex[:8]}", "--drop-postgres"],
        cwd=ROOT, check=True, timeout=300,
    )
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for setup in ("SQLite, 1 worker", "PostgreSQL, 1 worker"):
        for name in [*(c[0] for c in CASES), MIX, *(c[0] for c in AFTER_EDIT)]:
            assert any(r.startswith(f"| {setup} | {name} | ") for r in rows), (setup, name)
    for name in [*(c[0] for c in DATASETTE_CASES), DATASETTE_MIX]:
        assert any(r.startswith(f"| Datasette, SQLite | {name} | ") for r in rows), name
    assert any(r.startswith(f"| bare FastAPI, 1 worker | {BARE} | ") for r in rows)
    # Timed one at a time: no rate is printed for them (it read 0 req/s, 0.0x).
    cells = [[c.strip() for c in r.strip("| ").split("|")] for r in rows]
    timed = [c for c in cells if len(c) == 9 and ("per request" in c[1] or "edit" in c[1])]
    assert timed and all(c[2] == "-" and c[-1] == "-" for c in timed)
    assert "filter mix >= 8x Datasette's req/s" in text
    assert "right after an edit < 80 ms" in text
    assert "## Targets" in text and "| fragment >= 1,500 req/s |" in text
    assert "Load average" in text and "Machine:" in text
