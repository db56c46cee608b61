"""Feeds in both syndication formats from one description: Atom (RFC 4287) and JSON Feed
1.1. The public change feed and each user's alert feed build a `Feed`; this module
writes it out, so both formats and both feeds say the same things the same way."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request, Response
from markupsafe import Markup

from app.plan import text
from app.web.templating import templates

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"


@dataclass
class Item:
    id: str
    title: str
    url: str  # absolute
    updated: datetime
    published: datetime
    author: str
    summary: str
    html: Markup


@dataclass
class Feed:
    id: str
    title: str
    subtitle: str
    home_url: str  # the page the feed follows, absolute
    atom_url: str
    json_url: str
    items: list[Item] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        return max((i.updated for i in self.items), default=datetime.now(UTC))


def content(lines: list[str], reason: str | None = None, more: int = 0,
            change: str | None = None) -> Markup:
    """An entry's HTML: the change's reason, its lines (with how many more were left out),
    and the change's summary where the entry is about something else (an alert)."""
    return Markup("{}<ul>{}{}</ul>{}").format(
        Markup("<p>Reason: {}</p>").format(reason) if reason else "",
        Markup("").join(Markup("<li>{}</li>").format(line) for line in lines),
        Markup("<li>and {} more</li>").format(more) if more else "",
        Markup("<p>Change: {}</p>").format(change) if change else "")


def urn(address: str) -> str:
    """A feed or entry id that never changes: a name-based UUID of its address."""
    return uuid.uuid5(uuid.NAMESPACE_URL, address).urn


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="seconds")


def atom(request: Request, feed: Feed) -> Response:
    page = templates.TemplateResponse(request, "feed.atom.xml",
                                      {"feed": feed, "stamp": _stamp})
    # Text saved before every door cleaned it may still hold what XML cannot.
    return Response(text.clean(page.body.decode()), media_type=ATOM)


def json_feed(feed: Feed) -> Response:
    """The feed as JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": feed.subtitle,
        "home_page_url": feed.home_url,
        "feed_url": feed.json_url,
        "items": [{
            "id": item.id,
            "url": item.url,
            "title": item.title,
            "summary": item.summary,
            "content_html": str(item.html),
            "date_published": _stamp(item.published),
            "date_modified": _stamp(item.updated),
            "authors": [{"name": item.author}],
        } for item in feed.items],
    }
    return Response(text.clean(json.dumps(body, ensure_ascii=False)), media_type=JSON_FEED)
