"""Quoted words found in a source's text, as a W3C Web Annotation TextQuoteSelector finds
them: the exact words, with the characters just before and after to tell repeats apart.

Words match when they differ only in whitespace or in the shape of quote marks and
apostrophes (a copy and paste straightens curly marks and turns line breaks into spaces);
nothing else is forgiven, so a quote shown is a quote the source holds.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

#: Characters kept either side of a quote, enough to tell the same words said twice apart.
CONTEXT = 32

_MARKS = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
})


@dataclass(frozen=True)
class Anchor:
    start: int  # offsets in the source's text as held
    end: int
    exact: str
    prefix: str
    suffix: str


def fingerprint(text: str | None) -> str | None:
    """The SHA-256 of a text as UTF-8, in hex: what the source said when it was read."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None


@lru_cache(maxsize=16)
def _normalise(text: str) -> tuple[str, list[int]]:
    """The text with each run of whitespace as one space and quote marks made straight,
    and for each of its characters the offset of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                where.append(i)
            in_space = True
            continue
        in_space = False
        out.append(ch.translate(_MARKS))
        where.append(i)
    return "".join(out), where


def normalise(text: str) -> str:
    return _normalise(text)[0].strip()


def find(text: str | None, quote: str | None, prefix: str | None = None,
         suffix: str | None = None) -> Anchor | None:
    """Where `quote` stands in `text`, or None if it is not there. Among several places,
    the one whose surroundings match `prefix` and `suffix` best (else the first)."""
    if not text or not quote or not (wanted := normalise(quote)):
        return None
    flat, where = _normalise(text)
    hits = []
    at = flat.find(wanted)
    while at != -1:
        hits.append(at)
        at = flat.find(wanted, at + 1)
    if not hits:
        return None
    before, after = normalise(prefix or ""), normalise(suffix or "")

    def fit(at: int) -> int:
        return (bool(before) and flat[:at].rstrip().endswith(before)) + \
            (bool(after) and flat[at + len(wanted):].lstrip().startswith(after))

    at = max(hits, key=lambda hit: (fit(hit), -hit))
    start, end = where[at], where[at + len(wanted) - 1] + 1
    return Anchor(start, end, text[start:end], text[max(0, start - CONTEXT):start],
                  text[end:end + CONTEXT])


@dataclass(frozen=True)
class Segment:
    text: str
    quotes: tuple[int, ...] = ()  # ids of the citations whose quote covers this stretch
    starts: tuple[int, ...] = ()  # ids of the citations whose quote begins here
    ends: tuple[int, ...] = ()  # ids of the citations whose quote ends here


def segments(text: str, anchors: Iterable[tuple[int, Anchor]]) -> list[Segment]:
    """The text cut where any quote begins or ends, each piece knowing which quotes cover
    it: overlapping quotes (one passage cited by several rows) need no nested marks."""
    spans: Sequence[tuple[int, Anchor]] = sorted(anchors, key=lambda a: (a[1].start, a[0]))
    cuts = sorted({0, len(text), *(a.start for _, a in spans), *(a.end for _, a in spans)})
    out = []
    for lo, hi in pairwise(cuts):
        covering = tuple(i for i, a in spans if a.start <= lo and hi <= a.end)
        starting = tuple(i for i, a in spans if a.start == lo)
        ending = tuple(i for i, a in spans if a.end == hi)
        out.append(Segment(text[lo:hi], covering, starting, ending))
    return out
