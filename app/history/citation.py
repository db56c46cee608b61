"""Citing a page: a permalink pinned to the data it shows, and the citation as plain text,
BibTeX and CSL-JSON.

A permalink adds `as_of` and `change` to the page's address. `as_of` is the moment just
after the latest change took effect (or the day a page of the past already shows), and
`change` the newest change recorded: the page then shows the changes up to that one, as
they stood at that moment (`asof.view`), so later edits, even ones dated back before the
moment, leave what was cited as it was.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from app.history.asof import AsOf, moment_param

PUBLISHER = "Peaceplan"
#: Parameters a permalink sets; the page's own values of them are replaced.
PINNED = ("as_of", "change")


@dataclass(frozen=True)
class Pin:
    as_of: str
    change: int | None


def pin_present(newest_change: int | None, newest_change_at: datetime | None) -> Pin | None:
    """The pin of the present: just after the latest change took effect (to the second),
    up to the newest change. None while nothing is recorded."""
    if newest_change is None or newest_change_at is None:
        return None
    at = newest_change_at if newest_change_at.tzinfo else newest_change_at.replace(tzinfo=UTC)
    moment = at.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return Pin(moment_param(moment), newest_change)


def pin_past(view: AsOf) -> Pin:
    """A page of the past keeps its own `as_of` and is pinned to the change it reflects."""
    return Pin(view.param, view.newest_change)


def pinned(address: str, pin: Pin) -> str:
    """`address` (path and query) with the pin's parameters in place of its own."""
    parts = urlsplit(address)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in PINNED]
    query.append(("as_of", pin.as_of))
    if pin.change is not None:
        query.append(("change", str(pin.change)))
    return f"{parts.path}?{urlencode(query, safe=':')}"


def unpinned(address: str) -> str:
    """`address` without `as_of` and `change`."""
    parts = urlsplit(address)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in PINNED]
    return parts.path + (f"?{urlencode(query, safe=':')}" if query else "")


# --- Formats ---


@dataclass(frozen=True)
class Citation:
    title: str
    url: str  # absolute, pinned
    pin: Pin
    issued: date
    accessed: date

    @property
    def key(self) -> str:
        """A citation key that tells two pages and two pins apart."""
        digest = hashlib.blake2b(self.url.encode(), digest_size=4).hexdigest()
        return f"peaceplan-{self.pin.change or 0}-{digest}"

    @property
    def state(self) -> str:
        """Which state of the data the permalink shows, in words."""
        where = f"as of {self.pin.as_of}"
        return where + (f", change {self.pin.change}" if self.pin.change else "")

    def text(self) -> str:
        return (f"{PUBLISHER} ({_day(self.issued)}). {self.title} [Data set; {self.state}]. "
                f"{PUBLISHER}. {self.url} (accessed {_day(self.accessed)}).")

    def bibtex(self) -> str:
        fields = [
            ("title", "{" + _tex(self.title) + "}"),
            ("author", "{" + PUBLISHER + "}"),
            ("organization", PUBLISHER),
            ("publisher", PUBLISHER),
            ("year", str(self.issued.year)),
            ("month", str(self.issued.month)),
            ("date", self.issued.isoformat()),
            ("url", self.url),
            ("urldate", self.accessed.isoformat()),
            ("note", _tex(f"Data set, {self.state}")),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{self.key},\n{body}\n}}\n"

    def csl(self) -> list[dict[str, Any]]:
        """CSL-JSON: a list of items, as citation processors and reference managers read it."""
        return [{
            "id": self.key,
            "type": "dataset",
            "title": self.title,
            "author": [{"literal": PUBLISHER}],
            "publisher": PUBLISHER,
            "issued": {"date-parts": [_parts(self.issued)]},
            "accessed": {"date-parts": [_parts(self.accessed)]},
            "URL": self.url,
            "version": self.state,
            "note": f"The plan {self.state}.",
        }]

    def csl_json(self) -> str:
        return json.dumps(self.csl(), indent=2, ensure_ascii=False)


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _parts(day: date) -> list[int]:
    return [day.year, day.month, day.day]


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
        "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}


def _tex(text: str) -> str:
    """Text safe inside a BibTeX field: LaTeX's special characters escaped."""
    return "".join(_TEX.get(c, c) for c in text)
