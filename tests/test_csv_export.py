"""The CSV export streams: every row as the API records it, in memory that does not grow
with the number of rows."""

import asyncio
import csv
import io
import tracemalloc
from urllib.parse import parse_qs

import pytest
from sqlalchemy import insert, select

from app.browse import export, queries
from app.plan.filters import parse
from app.plan.kinds import KINDS
from app.plan.models import Asset, Citation, Deployment, Plan, Site, Source
from tests.test_query_budget import counting, grow

#: What exporting ten times the rows may allocate beyond the smaller export at its peak: the
#: page cache holds up to 1 MB of a response before it gives up keeping it. Keeping each of
#: the 18,000 more rows would take more than this at about 116 bytes a row.
MARGIN = 2 * 1024 * 1024


def add_assets(session, country: str, n: int) -> None:
    """`n` assets operated by `country`, each citing a source, written in bulk."""
    plan = session.scalar(select(Plan.id))
    site = session.scalar(select(Site.id))
    source = session.scalar(select(Source.id))
    first = session.scalar(select(Asset.id).order_by(Asset.id.desc())) or 0
    session.execute(insert(Asset), [
        {"key": f"memory-{country}-{i}", "plan_id": plan, "country_code": country,
         "asset_type": "drone", "posture": "monitoring", "stage": "committed",
         "quantity_low": i % 40, "quantity_high": i % 40 + 5, "site_id": site,
         "role": f"Asset {i} of a large export", "claim_count": 1}
        for i in range(n)])
    ids = session.scalars(select(Asset.id).where(Asset.id > first,
                                                 Asset.country_code == country)).all()
    session.execute(insert(Citation), [
        {"subject_type": "asset", "subject_id": i, "source_id": source,
         "quote": "a quote that every exported row repeats"} for i in ids])


async def drain(app, path: str, query: str) -> tuple[int, int]:
    """Status and body size of a GET through the whole app, the body read and dropped as
    it arrives, as a client saving it to disk would."""
    got = {"status": 0, "size": 0}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80)}

    asked, done = False, asyncio.Event()

    async def receive():
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the whole body has come
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            got["status"] = message["status"]
        elif message["type"] == "http.response.body":
            got["size"] += len(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return got["status"], got["size"]


def peak_of(app, query: str, path: str = "/assets.csv") -> tuple[int, int]:
    """The peak of memory allocated while `path` is made and sent, and its size."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        status, size = asyncio.run(drain(app, path, query))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200
    return peak - before, size


def test_exporting_ten_times_the_rows_takes_no_more_memory(app, session):
    add_assets(session, "LU", 2_000)
    add_assets(session, "LT", 18_000)
    session.commit()
    few, many = "country=LU", "country=LU&country=LT"
    # The first export compiles its statements and fills caches; another address, so that
    # the page cache does not replay it.
    peak_of(app, few + "&sort=-quantity")
    small, small_size = peak_of(app, few)
    large, large_size = peak_of(app, many)
    assert large_size > 9 * small_size
    assert large <= small + MARGIN, (
        f"{large_size:,} bytes of CSV took {large:,} bytes of memory at the peak, "
        f"{small_size:,} bytes took {small:,}")


# --- The same rows and fields as the records of the API ---


def reference_csv(session, kind, filters) -> str:
    """The CSV built from loaded rows through `Kind.record`, as the API reads them."""
    stmt = (select(kind.model).where(*queries.conditions(kind, filters))
            .order_by(*queries.sort_order(kind, filters.sort)).options(*kind.options))
    rows = session.scalars(stmt).all()
    cited = queries.citations(session=session, kind=kind, ids=[r.id for r in rows])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.header(kind))
    for row in rows:
        record = kind.record(row)
        if kind.cited:
            record["sources"] = "; ".join(
                f"{c.source.outlet}, "
                f"{c.source.published_on.isoformat() if c.source.published_on else 'undated'}, "
                f"{c.source.title}" + (f': "{c.quote}"' if c.quote else "")
                for c in cited.get(row.id, []))
        writer.writerow(export.cell(v) for v in record.values())
    return buffer.getvalue()


def add_awkward_rows(session) -> None:
    """Values a CSV must quote or defuse, and a source with no outlet and no date."""
    source = Source(key="awkward-source", kind="analysis", title='A "quoted", comma title')
    asset = session.scalars(select(Asset)).first()
    asset.role = "=HYPERLINK(\"http://x\")\nsecond line"
    asset.country_note = "+1, -2"
    asset.site = None
    deployment = session.scalars(select(Deployment)).first()
    deployment.sites = []
    session.add(source)
    session.flush()
    session.add_all([
        Citation(subject_type="asset", subject_id=asset.id, source_id=source.id,
                 quote="-said, \"twice\""),
        Citation(subject_type="deployment", subject_id=deployment.id, source_id=source.id)])
    session.flush()


@pytest.mark.parametrize("batch", [3, export.BATCH])
@pytest.mark.parametrize("slug", list(KINDS))
def test_every_sort_exports_what_the_records_say(client, session, monkeypatch, slug, batch):
    monkeypatch.setattr(export, "BATCH", batch)  # several batches: their seams show
    grow(session, 4)
    add_awkward_rows(session)
    kind = KINDS[slug]
    for sort in [None, *kind.sort_keys, *(f"-{key}" for key in kind.sort_keys)]:
        filters = kind.filters(sort=sort)
        response = client.get(f"/{slug}.csv", params={"sort": sort} if sort else {})
        assert response.status_code == 200
        assert response.text == reference_csv(session, kind, filters), (slug, sort)
    assert len(response.text.splitlines()) > 1


@pytest.mark.parametrize("query", ["country=FR&asset_type=drone", "q=drones", "stage=floated",
                                   "posture=monitoring&sort=-quantity", "country=JP"])
def test_filters_export_what_the_records_say(client, session, query):
    grow(session, 3)
    kind = KINDS["assets"]
    filters, problems = parse(kind.filters, parse_qs(query))
    response = client.get(f"/assets.csv?{query}")
    assert not problems and response.status_code == 200
    assert response.text == reference_csv(session, kind, filters)


def test_statements_are_per_batch_not_per_row(client, session, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 10)
    grow(session, 30)
    with counting(session) as statements:
        assert client.get("/deployments.csv").status_code == 200
    n = session.scalar(select(Deployment.id).order_by(Deployment.id.desc()))
    batches = -(-session.query(Deployment).count() // 10)
    # The rows; per batch their sites and their sources; the data version.
    assert len(statements) <= 1 + 2 * batches + 1, (n, len(statements))
