"""A CSV export streams: its memory does not grow with the number of rows it writes."""

import asyncio
import tracemalloc

from sqlalchemy import insert, select

from app.plan.models import Asset, Citation, Plan, Site, Source

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


def peak_of(app, query: str) -> tuple[int, int]:
    """The peak of memory allocated while exporting, and the size of the export."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        status, size = asyncio.run(drain(app, "/assets.csv", query))
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
