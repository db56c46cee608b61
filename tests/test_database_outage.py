"""A PostgreSQL stopped under load: while it is down every route answers 503 with
Retry-After (never a 500, and the app process stays up), service resumes by itself once it
is back, and every write that was acknowledged is there afterwards.

The database is a throw-away cluster of this test's own: the shared server stays up."""

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from app import migrate
from app.accounts import users
from app.db import get_engine
from app.loading import seed
from app.plan.models import Source
from app.plan.records import User
from app.plan.vocab import Role
from tests.databases import REQUIRE_POSTGRES
from tests.live import app_process, free_port

READERS, WRITERS = 4, 2
DOWN, AFTER = 2.5, 1.5  # seconds of load during the outage, and once served again
WARM_UP = 5  # acknowledged writes before the database is stopped
RECOVERY_LIMIT = 10  # seconds from the database's restart to every kind of request served
READS = {"page": "/sources", "api": "/api/v1/sources", "readyz": "/readyz", "healthz": "/healthz"}
TITLE = f"Outage test {uuid.uuid4().hex[:8]}"


# --- A cluster of our own ---


def _binaries() -> Path | None:
    versions = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    if versions:
        return max(versions, key=lambda b: [int(n) for n in b.parent.name.split(".")
                                            if n.isdigit()])
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class Cluster:
    """initdb and pg_ctl refuse to run as root: as root, they run as `postgres`."""

    def __init__(self, binaries: Path, directory: Path, port: int) -> None:
        self.binaries, self.directory, self.port = binaries, directory, port
        self.data = directory / "data"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_owner, str(self.binaries / program), *args],
                              capture_output=True, text=True, timeout=60, cwd=self.directory)
        if done.returncode != 0:
            log = self.directory / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{program} {' '.join(args)} failed:\n{done.stdout}{done.stderr}{tail}")

    def init(self) -> None:
        # No sync: the files are thrown away; the server itself keeps fsync on, as in use.
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--locale=C", "--no-sync")

    def start(self) -> None:
        self.run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data),
                 "-l", str(self.directory / "log"),
                 "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1")

    def stop(self, mode: str) -> None:
        self.run("pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    binaries = _binaries()
    if binaries is None or not (binaries / "initdb").exists():
        reason = "PostgreSQL's initdb and pg_ctl are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason} (PEACEPLAN_REQUIRE_POSTGRES=1)")
        print(reason)
        pytest.skip(reason)
    # Not under pytest's tmp_path: its folders are closed to the `postgres` user.
    directory = Path(tempfile.mkdtemp(prefix="peaceplan-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(binaries, directory, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run([*cluster.as_owner, str(binaries / "pg_ctl"), "stop", "-m",
                            "immediate", "-D", str(cluster.data)], capture_output=True,
                           timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def _seeded(cluster: Cluster) -> tuple[str, str]:
    """A migrated, seeded database on the cluster, and an editor's API token."""
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE peaceplan"))
    admin.dispose()
    url = cluster.url("peaceplan")
    engine = get_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        seed.load(session)
        editor = User(username="outage", role=Role.EDITOR, password_hash="unused")
        session.add(editor)
        session.commit()
        token = users.create_token(session, editor, users.TokenInput(name="outage"))[1]
    # None of this process's connections should outlive the restart.
    engine.dispose()
    return url, token


# --- Load ---


@dataclass
class Outcome:
    kind: str
    path: str
    started: float
    finished: float
    status: int | None = None
    content_type: str = ""
    retry_after: str | None = None
    error: str | None = None
    title: str | None = None  # of a write

    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Load:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.outcomes: list[Outcome] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._count = 0

    def _title(self) -> str:
        with self._lock:
            self._count += 1
            return f"{TITLE} {self._count}"

    def _call(self, client: httpx.Client, kind: str, path: str, **request) -> None:
        started = time.monotonic()
        outcome = Outcome(kind, path, started, started)
        try:
            if kind == "write":
                outcome.title = request["json"]["title"]
                response = client.post(path, **request)
            else:
                response = client.get(path)
            outcome.status = response.status_code
            outcome.content_type = response.headers.get("content-type", "")
            outcome.retry_after = response.headers.get("retry-after")
        except httpx.HTTPError as error:
            outcome.error = f"{type(error).__name__}: {error}"
        outcome.finished = time.monotonic()
        with self._lock:
            self.outcomes.append(outcome)

    def read(self, offset: int) -> None:
        kinds = list(READS.items())
        with httpx.Client(base_url=self.base, timeout=15) as client:
            i = offset
            while not self.stopping.is_set():
                kind, path = kinds[i % len(kinds)]
                self._call(client, kind, path)
                i += 1

    def write(self) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, timeout=15, headers=auth) as client:
            while not self.stopping.is_set():
                body = {"kind": "news_report", "title": self._title(), "reliability": "C"}
                self._call(client, "write", "/api/v1/sources", json=body)

    def kinds(self, since: float, status: int | None = None) -> set[str]:
        """The kinds of request started since `since` and answered (with `status`, else
        2xx)."""
        with self._lock:
            return {o.kind for o in self.outcomes if o.started >= since and (
                o.status == status if status else o.ok())}

    def acknowledged(self) -> int:
        with self._lock:
            return sum(o.kind == "write" and o.ok() for o in self.outcomes)

    def wait(self, done, limit: float) -> None:
        deadline = time.monotonic() + limit
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)


def test_a_postgresql_stopped_under_load_answers_503_then_recovers_losing_nothing():
    began = time.monotonic()
    with own_cluster() as cluster:
        url, token = _seeded(cluster)
        with app_process(url) as base:
            load = Load(base, token)
            threads = ([threading.Thread(target=load.read, args=(i,)) for i in range(READERS)]
                       + [threading.Thread(target=load.write) for _ in range(WRITERS)])
            for thread in threads:
                thread.start()
            try:
                load.wait(lambda: load.acknowledged() >= WARM_UP
                          and load.kinds(0) == {*READS, "write"}, 30)
                stopping = time.monotonic()
                # Like a crash: no checkpoint, every connection cut.
                cluster.stop("immediate")
                down = time.monotonic()
                time.sleep(DOWN)
                load.wait(lambda: load.kinds(down, 503) == {"page", "api", "readyz", "write"},
                          10)
                restarting = time.monotonic()
                cluster.start()
                up = time.monotonic()
                load.wait(lambda: load.kinds(up) == {*READS, "write"}, RECOVERY_LIMIT)
                time.sleep(AFTER)
            finally:
                load.stopping.set()
                for thread in threads:
                    thread.join(timeout=30)
            healthy = httpx.get(base + "/healthz", timeout=5).status_code
        outcomes = sorted(load.outcomes, key=lambda o: o.started)

        # The app process answered everything, and never with a 5xx other than 503.
        assert healthy == 200
        assert [o for o in outcomes if o.error] == []
        assert [o for o in outcomes if o.status >= 500 and o.status != 503] == []
        assert [o for o in outcomes if o.kind == "healthz" and not o.ok()] == []
        assert [o for o in outcomes if o.status not in (200, 201, 503)] == []

        # Every 503 says when to try again, as a page or as JSON as the address asks.
        unavailable = [o for o in outcomes if o.status == 503]
        assert [o for o in unavailable if o.retry_after != "5"] == []
        for o in unavailable:
            json = o.path.startswith("/api/") or o.path == "/readyz"
            expected = "application/json" if json else "text/html"
            assert o.content_type.startswith(expected), o
        # Nothing is served while the database is down.
        while_down = [o for o in outcomes
                      if o.kind != "healthz" and o.started >= down and o.finished <= restarting]
        assert while_down and all(o.status == 503 for o in while_down), [
            o for o in while_down if o.status != 503]
        assert {o.kind for o in while_down} == {"page", "api", "readyz", "write"}

        # Back by itself: every kind of request served soon after the restart, and from
        # then on nothing refused.
        served = {}
        for o in outcomes:
            if o.started >= up and o.ok():
                served.setdefault(o.kind, o.finished)
        assert set(served) == {*READS, "write"}, f"not served after the restart: {served}"
        recovered = max(served.values())
        assert recovered - up < RECOVERY_LIMIT
        late = [o for o in outcomes if o.started >= recovered and not o.ok()]
        assert late == [], late

        # Every acknowledged write is in the database.
        acknowledged = {o.title for o in outcomes if o.kind == "write" and o.ok()}
        engine = get_engine(url)
        with Session(engine) as session:
            stored = set(session.scalars(select(Source.title)
                                         .where(Source.title.startswith(TITLE))))
        engine.dispose()
        assert acknowledged - stored == set()
        assert any(o.finished <= stopping for o in outcomes if o.kind == "write" and o.ok())
        assert any(o.started >= up for o in outcomes if o.kind == "write" and o.ok())

        unacknowledged_but_stored = len(stored - acknowledged)
        print(f"\n{len(outcomes)} requests, {len(acknowledged)} writes acknowledged (all stored"
              f", {unacknowledged_but_stored} more stored unacknowledged), "
              f"{len(unavailable)} answered 503, down {restarting - stopping:.1f} s, "
              f"served again {recovered - up:.2f} s after the restart "
              f"({time.monotonic() - began:.1f} s in all)")
