"""The benchmark: Peaceplan against its framework's ceiling and against Datasette, one run.

    .venv/bin/python -m bench.run [--rows 100000] [--duration 5s] [--out bench/results.md]

Fills a SQLite file and a PostgreSQL database with `peaceplan demo-data`, installs
Datasette into bench/.venv-datasette, then for each database and worker count starts the
app (plus hello-world routes, `bench/hello.py`) under uvicorn and drives it with wrk from a
separate process. Writes the side-by-side table to `--out`. See bench/README.md.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench import mix
from bench.cases import (
    AFTER_EDIT,
    BARE,
    CASES,
    DATASETTE_CASES,
    DATASETTE_MIX,
    EDITS,
    FRAGMENT,
    HELLO,
    MIX,
    MIX_RUNS,
    MIX_SEED,
    OVERVIEW,
    PAGE,
    TIMED,
    TIMED_REQUESTS,
    Result,
)
from bench.report import write

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
DATASETTE_VENV = HERE / ".venv-datasette"
DATASETTE_VERSION = "0.65.5"
# --- Data ---


def run(*cmd: str | Path, env: dict | None = None) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT,
                   env={**os.environ, **(env or {})})


def synthetic_rows(url: str) -> int:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.exc import SQLAlchemyError

    from app.plan.models import Asset, Deployment, Plan, Site

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Plan).where(
                    Plan.key.not_like("synthetic-%"))):
                raise SystemExit(f"{url} holds real plan data: not a benchmark database")
            return sum(conn.scalar(select(func.count()).select_from(m))
                       for m in (Site, Deployment, Asset))
    except SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def reusable(url: str, rows: int) -> bool:
    """A kept database serves again only with the same rows and every table of the app: one
    left by an older schema history (migrations since re-chained) is made afresh."""
    from sqlalchemy import create_engine, inspect

    from app.plan.models import Base

    if synthetic_rows(url) != rows:
        return False
    engine = create_engine(url)
    try:
        return set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def sqlite_database(rows: int) -> Path:
    path = HERE / "data" / f"bench-{rows}.db"
    path.parent.mkdir(exist_ok=True)
    url = f"sqlite:///{path}"
    if path.exists() and not reusable(url, rows):
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
    if not path.exists():
        run(VENV_BIN / "peaceplan", "demo-data", "--rows", str(rows), "--database-url", url)
    run(VENV_BIN / "peaceplan", "migrate", env={"DATABASE_URL": url})
    analyze(url)
    return path


def postgres_database(admin_url: str, name: str, rows: int) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and not reusable(url, rows):
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if synthetic_rows(url) != rows:
        run(VENV_BIN / "peaceplan", "demo-data", "--rows", str(rows), "--database-url", url)
    run(VENV_BIN / "peaceplan", "migrate", env={"DATABASE_URL": url})
    analyze(url)
    return url


def analyze(url: str) -> None:
    """Planner statistics, as a database in service would have them after a bulk load."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def drop_postgres(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- Tools ---


def ensure_tools() -> Path:
    """wrk from Debian's packages; Datasette from PyPI in a virtualenv of its own."""
    if shutil.which("wrk") is None:
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", "wrk")
    datasette = DATASETTE_VENV / "bin" / "datasette"
    if not datasette.exists():
        run(sys.executable, "-m", "venv", DATASETTE_VENV)
        run(DATASETTE_VENV / "bin" / "pip", "install", "--quiet",
            f"datasette=={DATASETTE_VERSION}")
    return datasette


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=120) as response:
        while response.read(1 << 16):  # a whole export, without holding it
            pass
        return response.status


@contextmanager
def server(cmd: list, env: dict, port: int, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, stdout=out, stderr=out,
                                env={**os.environ, **env}, start_new_session=True)
    try:
        for _ in range(300):
            try:
                get(f"http://127.0.0.1:{port}/hello" if "uvicorn" in str(cmd[0])
                    else f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"server exited: see {log}") from None
                time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def worker_rss_mb(pid: int) -> float:
    """Resident memory of the process doing the work: the largest of the server and its
    children (uvicorn's workers)."""
    def children(p: int) -> list[int]:
        try:
            text = Path(f"/proc/{p}/task/{p}/children").read_text()
        except OSError:
            return []
        kids = [int(c) for c in text.split()]
        return kids + [g for k in kids for g in children(k)]

    def rss(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    return max(rss(p) for p in [pid, *children(pid)])


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"latency '{value}'")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, headers: dict, duration: str, connections: int,
        script: Path | None = None) -> tuple[float, ...]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency", url]
    if script is not None:
        cmd[1:1] = ["-s", str(script)]
    for name, value in headers.items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))
        p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
    except (AttributeError, ValueError) as error:
        raise SystemExit(f"cannot read wrk's output ({error}):\n{out}") from None
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return rps, p50, p99, errors


def timed(url: str, headers: dict) -> tuple[float, ...]:
    """req/s, median and slowest time (ms) of requests made one after another."""
    times, errors = [], 0
    for _ in range(TIMED_REQUESTS):
        started = time.perf_counter()
        try:
            errors += get(url, headers) != 200
        except OSError:
            errors += 1
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    median = times[len(times) // 2]
    return 1000 / median, median, times[-1], errors


def _print(r: Result) -> None:
    if r.timed:
        print(f"  {r.setup:24} {r.case:36} p50 {r.p50_ms:9.1f} ms  slowest {r.p99_ms:9.1f} ms"
              f"  errors {r.errors}", flush=True)
    else:
        print(f"  {r.setup:24} {r.case:36} {r.rps:9.0f} req/s  p50 {r.p50_ms:7.2f} ms"
              f"  p99 {r.p99_ms:7.2f} ms  errors {r.errors}", flush=True)


def measure(setup: str, base: str, cases: list, args, pid: int,
            before_last: list[Result] | None = None, extra=None) -> list[Result]:
    """Each case in turn; `extra(results)` runs before a whole export (which goes last, so
    that the memory read after it is the export's)."""
    results = []
    for name, path, headers in cases:
        if name in TIMED:
            if extra is not None:
                extra(results)
                extra = None
            rps, p50, p99, errors = timed(base + path, headers)
            results.append(Result(setup, name, rps, p50, p99, errors, timed=True))
            _print(results[-1])
            continue
        for _ in range(3):  # warm: the first request of an address builds it
            if get(base + path, headers) != 200:
                raise SystemExit(f"{setup} {name}: {base + path} did not answer 200")
        rps, p50, p99, errors = wrk(base + path, headers, args.duration, args.connections)
        results.append(Result(setup, name, rps, p50, p99, errors))
        _print(results[-1])
    if extra is not None:
        extra(results)
    rss = worker_rss_mb(pid)
    for r in results:
        r.rss_mb = rss
    return results


def run_mix(setup: str, name: str, base: str, scripts: list[Path], args) -> Result:
    """The random filter mix: every request a different address, so nearly every one is
    built (the page cache rarely holds it). One run per script (seed); the run of median
    throughput stands for them, with the errors of all."""
    runs = [Result(setup, name, *wrk(base + "/", {}, args.duration, args.connections, script))
            for script in scripts]
    middle = sorted(runs, key=lambda r: r.rps)[len(runs) // 2]
    result = Result(setup, name, middle.rps, middle.p50_ms, middle.p99_ms,
                    sum(r.errors for r in runs))
    _print(result)
    return result


def edit_one_asset(url: str, step: int) -> None:
    """A write as an editor makes one: an asset's upper quantity moves by one (and back on
    the next edit), through the ORM, which bumps the data version."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    import app.caching.stamp  # noqa: F401  (its listeners bump the data version on flush)
    from app.plan.models import Asset

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            asset = session.scalars(select(Asset).where(Asset.quantity_high.is_not(None))
                                    .order_by(Asset.id).limit(1)).one()
            asset.quantity_high += 1 if step % 2 == 0 else -1
            session.commit()
    finally:
        engine.dispose()


def after_edit(setup: str, base: str, url: str) -> list[Result]:
    """Each page timed alone, right after an edit: what the first reader waits for."""
    results = []
    for name, path, headers in AFTER_EDIT:
        times, errors = [], 0
        for step in range(EDITS):
            edit_one_asset(url, step)
            started = time.perf_counter()
            try:
                errors += get(base + path, headers) != 200
            except OSError:
                errors += 1
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        median = times[len(times) // 2]
        results.append(Result(setup, name, 1000 / median, median, times[-1], errors,
                              timed=True))
        _print(results[-1])
    return results


# --- The run ---


def bench_peaceplan(label: str, url: str, workers: int, args, *, keep_pages: bool = True
                    ) -> list[Result]:
    port = free_port()
    cmd = [VENV_BIN / "uvicorn", "bench.hello:create_bench_app", "--factory", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    setup = f"{label}, {workers} worker{'s' if workers > 1 else ''}"
    env = {"DATABASE_URL": url}
    cases = CASES
    if not keep_pages:
        # Every request renders: what a first visit to an address costs (facet counts
        # still come from their cache after the first request of a filter).
        setup += ", no page cache"
        env["PAGE_CACHE_MB"] = "0"
        cases = [c for c in CASES if c[0] in (HELLO, FRAGMENT, PAGE, OVERVIEW)]
    log = HERE / "data" / f"server-{label.lower()}-{workers}{'' if keep_pages else '-cold'}.log"
    base = f"http://127.0.0.1:{port}"

    def more(results: list[Result]) -> None:
        if keep_pages:
            results.append(run_mix(setup, MIX, base, args.mix_scripts["peaceplan"], args))
            results += after_edit(setup, base, url)

    with server(cmd, env, port, log) as proc:
        return measure(setup, base, cases, args, proc.pid, extra=more)


def bench_bare(workers: int, args) -> list[Result]:
    """A FastAPI app of one route and nothing else, under the same server: the ceiling the
    app's own middleware and dependencies are measured against."""
    port = free_port()
    cmd = [VENV_BIN / "uvicorn", "bench.bare:create_bare_app", "--factory", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    setup = f"bare FastAPI, {workers} worker{'s' if workers > 1 else ''}"
    with server(cmd, {}, port, HERE / "data" / f"server-bare-{workers}.log") as proc:
        return measure(setup, f"http://127.0.0.1:{port}", [(BARE, "/hello", {})], args,
                       proc.pid)


def bench_datasette(datasette: Path, path: Path, args) -> list[Result]:
    port = free_port()
    # Facet and SQL time limits raised so Datasette computes every facet under load, as
    # Peaceplan does; facet suggestions off, which Peaceplan does not offer either.
    cmd = [datasette, "serve", path, "--port", str(port),
           "--setting", "facet_time_limit_ms", "2000", "--setting", "sql_time_limit_ms", "5000",
           "--setting", "suggest_facets", "off", "--setting", "max_csv_mb", "0"]
    cases = [(name, p.format(db=path.stem), {}) for name, p in DATASETTE_CASES]
    base = f"http://127.0.0.1:{port}"

    def more(results: list[Result]) -> None:
        results.append(run_mix("Datasette, SQLite", DATASETTE_MIX, base,
                               args.mix_scripts["datasette"], args))

    with server(cmd, {}, port, HERE / "data" / "server-datasette.log") as proc:
        return measure("Datasette, SQLite", base, cases, args, proc.pid, extra=more)


def mix_scripts(sqlite_path: Path) -> dict[str, list[Path]]:
    """The mix's Lua scripts, over the countries that operate assets in the data."""
    from sqlalchemy import create_engine, select

    from app.plan.models import Asset
    from app.plan.vocab import AssetType

    engine = create_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as conn:
        countries = sorted(conn.scalars(select(Asset.country_code).distinct()
                                        .where(Asset.country_code.is_not(None))))
    engine.dispose()
    types = [t.value for t in AssetType]
    return {target: [mix.script(target, HERE / "data" / f"mix-{target}-{run}.lua",
                                seed=MIX_SEED + run, countries=countries, types=types,
                                db=sqlite_path.stem)
                     for run in range(MIX_RUNS)]
            for target in ("peaceplan", "datasette")}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--duration", default="5s", help="wrk's -d, per case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default="1,2", help="worker counts to run")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "PEACEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server where the benchmark may create its database")
    parser.add_argument("--pg-database", help="default: peaceplan_bench_<rows>")
    parser.add_argument("--drop-postgres", action="store_true",
                        help="drop the PostgreSQL benchmark database afterwards")
    args = parser.parse_args()
    pg_name = args.pg_database or f"peaceplan_bench_{args.rows}"
    workers = [int(w) for w in args.workers.split(",")]

    datasette = ensure_tools()
    sqlite_path = sqlite_database(args.rows)
    pg_url = postgres_database(args.postgres_url, pg_name, args.rows)
    args.mix_scripts = mix_scripts(sqlite_path)
    started, load_before = datetime.now(UTC), load_average()
    results: list[Result] = []
    try:
        results += bench_datasette(datasette, sqlite_path, args)
        for n in workers:
            results += bench_bare(n, args)
        for label, url in (("SQLite", f"sqlite:///{sqlite_path}"), ("PostgreSQL", pg_url)):
            for n in workers:
                results += bench_peaceplan(label, url, n, args)
        results += bench_peaceplan("SQLite", f"sqlite:///{sqlite_path}", 1, args,
                                   keep_pages=False)
    finally:
        if args.drop_postgres:
            drop_postgres(args.postgres_url, pg_name)

    write(args.out, results, rows=args.rows, duration=args.duration,
          connections=args.connections, started=started,
          load=(load_before, load_average()), machine=machine(),
          datasette_version=DATASETTE_VERSION)
    print(f"Wrote {args.out}")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) // 1024 // 1024 for line in
                  Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return (f"{cpu}, {os.cpu_count()} cores, {memory} GB RAM; {platform.platform()}; "
            f"Python {platform.python_version()}")


if __name__ == "__main__":
    main()
