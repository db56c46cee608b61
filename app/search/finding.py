"""One search over every kind of row: how many of each kind match, and the best few of each,
with the words that matched marked.

A fixed number of statements, whatever the number of rows: one count per kind at once, then
one select per kind that has matches (its references loaded by the kind's own options).
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.plan.kinds import KINDS, NAV, Kind
from app.plan.records import SearchDocument
from app.search import words
from app.search.documents import fields
from app.search.index import matches, matching_ids

#: Rows of one kind read to choose the best `per_kind` from.
CANDIDATES = 50
#: Fields shown under a found row's title, where its words matched.
SHOWN_FIELDS = 2


@dataclass(frozen=True)
class Hit:
    kind: Kind
    id: int
    title: str
    marked_title: Markup
    matched: list[tuple[str, str, Markup]]  # (field label, excerpt, excerpt marked)

    @property
    def url(self) -> str:
        return f"/{self.kind.slug}/{self.id}"


@dataclass(frozen=True)
class Group:
    kind: Kind
    count: int
    hits: list[Hit]
    list_url: str  # the kind's list, filtered by the same words: every match, in pages


@dataclass
class Results:
    query: str
    terms: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


def _hit(kind: Kind, row: Any, prefixes: list[str]) -> tuple[tuple[int, int], Hit]:
    title = kind.title(row)
    matched = [(label, words.excerpt(text, prefixes)) for label, text in fields(kind, row)[1:]
               if words.marked(text, prefixes)]
    hit = Hit(kind, row.id, title, words.mark(title, prefixes),
              [(label, text, words.mark(text, prefixes)) for label, text in
               matched[:SHOWN_FIELDS]])
    # Rows whose title holds the words first, then those matching in more places.
    return (0 if words.marked(title, prefixes) else 1, -len(matched)), hit


def find(session: Session, query: str, per_kind: int = 5) -> Results:
    """Rows of every kind whose words hold every word of `query` (each as a prefix), grouped
    by kind in the navigation's order. Raises `words.QueryProblem` for a query that has
    nothing to look for."""
    terms = words.terms(query)
    counts = dict(session.execute(
        select(SearchDocument.subject_type, func.count())
        .where(matches(terms)).group_by(SearchDocument.subject_type)).all())
    prefixes = words.wanted(terms)
    results = Results(query, terms)
    for slug in NAV:
        kind = KINDS[slug]
        count = counts.get(kind.subject_type, 0)
        if not count:
            continue
        stmt = (select(kind.model).where(kind.model.id.in_(matching_ids(kind, terms)))
                .order_by(kind.model.id).limit(CANDIDATES).options(*kind.options))
        ranked = sorted((_hit(kind, row, prefixes) for row in session.scalars(stmt)),
                        key=lambda pair: (pair[0], pair[1].title.lower()))
        results.groups.append(Group(kind, count, [hit for _, hit in ranked[:per_kind]],
                                    f"/{kind.slug}?{urlencode({'q': query})}"))
    return results
