"""Words as the index holds them: folded (lower case, no diacritics), split on anything but
letters and digits, with a plural's singular beside it, and the other spellings of a name.

Documents and queries go through the same functions, so SQLite and PostgreSQL index and
look up the same words: neither database's own stemming or accent handling is relied on.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import yaml
from markupsafe import Markup, escape

ALIASES_FILE = Path(__file__).resolve().parents[2] / "seeds" / "search" / "aliases.yaml"

#: Query terms past this many are ignored: a longer query only narrows to nothing.
MAX_TERMS = 12
#: Shorter than this, a query would match nearly every row.
MIN_QUERY = 2

_WORD = re.compile(r"[^\W_]+")
#: Words a reader types between the ones that matter; dropped from a query of others.
STOP = frozenset(["a", "an", "and", "at", "by", "for", "from", "in", "into", "is", "of", "on",
                  "or", "the", "to", "with", "near", "not"])


def fold(text: str) -> str:
    """Lower case without diacritics: 'Zaporizhzhia' and 'Zápořižžja' alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def singular(word: str) -> str:
    """A plural's singular, by English spelling rules only ('missiles' -> 'missile',
    'cities' -> 'city'); anything else as it is. Crude on purpose: it is applied alike to
    documents and queries, and a query also matches by prefix."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# --- Other spellings ---


@cache
def alias_groups(path: Path = ALIASES_FILE) -> tuple[tuple[str, ...], ...]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple(tuple(str(member) for member in group) for group in groups)


def _present(member: str, text: str, folded: str) -> bool:
    if member.isupper():  # an abbreviation: "US", never "us"
        return re.search(rf"(?<![^\W_]){re.escape(member)}(?![^\W_])", text) is not None
    return f" {' '.join(split(member))} " in folded


def aliases(text: str) -> list[str]:
    """The other spellings of every name in `text` that the aliases list knows."""
    folded = f" {' '.join(split(text))} "
    out: list[str] = []
    for group in alias_groups():
        if any(_present(member, text, folded) for member in group):
            out.extend(group)
    return out


def indexed(text: str) -> str:
    """What the index holds for `text`: its words, each plural's singular, and the other
    spellings of the names in it, as words separated by spaces."""
    words = split(" ".join([text, *aliases(text)]))
    out: list[str] = []
    for word in words:
        out.append(word)
        if (one := singular(word)) != word:
            out.append(one)
    return " ".join(out)


# --- Queries ---


class QueryProblem(ValueError):
    """A query that cannot be looked up; the message says what to type instead."""


def terms(query: str) -> list[str]:
    """The words of a query as the index is searched for them: folded, singular, at most
    MAX_TERMS, without filler words (unless nothing else is left). Operators of either
    database's query language are not words, so they cannot reach it."""
    if "\x00" in query:
        raise QueryProblem("search text cannot contain NUL characters")
    words = split(query)
    if len("".join(words)) < MIN_QUERY:
        raise QueryProblem(f"type at least {MIN_QUERY} letters or digits to search for")
    kept = [w for w in words if w not in STOP] or words
    out: list[str] = []
    for word in kept:
        if (one := singular(word)) not in out:
            out.append(one)
    return out[:MAX_TERMS]


def sqlite_match(words: Sequence[str]) -> str:
    """An FTS5 query: every word as a quoted prefix, all of them required."""
    return " ".join('"{}"*'.format(w.replace('"', '""')) for w in words)


def postgres_tsquery(words: Sequence[str]) -> str:
    """A to_tsquery text: every word as a quoted prefix (`'word':*`), all of them required."""
    return " & ".join("'{}':*".format(w.replace("'", "''").replace("\\", "\\\\"))
                      for w in words)


# --- Marking the matches ---


def _matches(word: str, wanted: Sequence[str]) -> bool:
    folded = fold(word)
    one = singular(folded)
    return any(folded.startswith(w) or one.startswith(w) for w in wanted)


def wanted(words: Sequence[str]) -> list[str]:
    """The query's words and the other spellings they stand for, as prefixes to mark."""
    out = list(words)
    for group in alias_groups():
        spelled = [split(member) for member in group]
        if any(any(part.startswith(w) for part in parts for w in words) for parts in spelled):
            out.extend(singular(part) for parts in spelled for part in parts)
    return out


def mark(text: str, prefixes: Sequence[str]) -> Markup:
    """`text`, escaped, with each word a query matched inside `<mark>`."""
    pieces: list[str] = []
    last = 0
    for found in _WORD.finditer(text):
        if _matches(found[0], prefixes):
            pieces.append(escape(text[last:found.start()]))
            pieces.append(Markup("<mark>{}</mark>").format(found[0]))
            last = found.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def marked(text: str, prefixes: Sequence[str]) -> bool:
    return any(_matches(found[0], prefixes) for found in _WORD.finditer(text))


def excerpt(text: str, prefixes: Sequence[str], width: int = 160) -> str:
    """A stretch of a long text around its first matched word."""
    if len(text) <= width:
        return text
    first = next((m.start() for m in _WORD.finditer(text) if _matches(m[0], prefixes)), 0)
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in items if not (i in seen or seen.add(i))]
