"""What a page says of the whole dataset: when it was last edited, its newest source, and
the newest change (what a permalink pins)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.caching.memo import memo
from app.plan.models import Source
from app.plan.records import Change, DataStamp


@dataclass(frozen=True)
class DatasetInfo:
    updated_at: datetime | None
    latest_source_on: date | None
    source_count: int
    #: The newest change recorded and the latest time any change took effect: what a
    #: permalink to the page pins (none in a view of the past, which pins its own).
    newest_change: int | None = None
    newest_change_at: datetime | None = None


def dataset_info(session: Session, *, sources: bool = True) -> DatasetInfo:
    """What a page says of the whole dataset; without `sources`, only what its Cite box
    needs (an HTMX fragment sends that box again, not the rest). Kept per data version:
    every write that records a change or a source moves it."""
    return memo(session, ("dataset-info", sources), lambda: _read(session, sources),
                size=1024)


def _read(session: Session, sources: bool) -> DatasetInfo:
    updated = select(DataStamp.updated_at).where(DataStamp.id == 1).scalar_subquery()
    newest = (select(func.max(Change.id)).scalar_subquery(),
              select(func.max(Change.at)).scalar_subquery())
    if not sources:
        row = session.execute(select(updated, *newest)).one()
        return DatasetInfo(row[0], None, 0, *row[1:])
    row = session.execute(
        select(
            updated,
            select(func.max(Source.published_on)).scalar_subquery(),
            select(func.count(Source.id)).scalar_subquery(),
            *newest,
        )
    ).one()
    return DatasetInfo(*row)
