"""The Cite box of every page: its permalink and citations, from the request and the data
the page shows."""

from datetime import UTC, date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from app.browse.dataset import DatasetInfo
from app.history import citation
from app.history.asof import today


def address(request: Request) -> str:
    """The page's own address: path and query."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def pin_of(request: Request, info: DatasetInfo | None) -> citation.Pin | None:
    """What a permalink to this page pins: the view of the past it shows, or the present."""
    past = getattr(request.state, "as_of", None)
    if past is not None:
        return citation.pin_past(past)
    if info is None:
        return None
    return citation.pin_present(info.newest_change, info.newest_change_at)


def _issued(request: Request, info: DatasetInfo | None) -> date:
    """When the data cited last changed: the newest change's time. (A view of the past
    keeps it as its data stamp.)"""
    if info is None:
        return today()
    past = getattr(request.state, "as_of", None)
    when = info.updated_at if past is not None else info.newest_change_at
    if when is None:
        return today()
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()


def cite(request: Request, title: str, info: DatasetInfo | None,
         page: str | None = None) -> citation.Citation | None:
    """The citation of the page at `page` (by default the one asked for) as it shows now,
    or None when no data is recorded to pin it to."""
    pin = pin_of(request, info)
    if pin is None:
        return None
    origin = str(request.base_url).rstrip("/")
    return citation.Citation(
        title=" ".join(title.split()), url=origin + citation.pinned(page or address(request), pin),
        pin=pin, issued=_issued(request, info), accessed=today())


def csl_url(request: Request, pin: citation.Pin, page: str | None = None) -> str:
    """The address of the page's CSL-JSON file, with the same pin."""
    query = {"path": citation.unpinned(page or address(request)), "as_of": pin.as_of}
    if pin.change is not None:
        query["change"] = str(pin.change)
    return "/cite.json?" + urlencode(query, safe=":/")


TEMPLATE_GLOBALS: dict[str, Any] = {"cite": cite, "csl_url": csl_url}
