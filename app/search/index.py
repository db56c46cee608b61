"""The full-text index: one document per row of plan data, written in the same transaction as
every write of it, and matched by the database's own full-text search.

Writers do nothing: a `before_flush` listener notes the rows whose documents name a row that
is changing (an asset names its site), and an `after_flush` listener writes the documents of
every row created, changed or named, and drops those of deleted rows. Writes that bypass the
ORM's flush (bulk inserts of synthetic rows, a view of the past) call `rebuild`.

SQLite matches with FTS5 (`search_fts`, kept in step with `search_document` by triggers);
PostgreSQL with `to_tsvector('simple', document)` under a GIN index. Both hold the words
`app.search.words` made, so both find the same rows.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Connection, delete, event, insert, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.plan.kinds import KINDS, Kind
from app.plan.records import SearchDocument
from app.search import words
from app.search.documents import BY_MODEL, BY_TABLE, document, referring_ids

TABLE = SearchDocument.__table__
#: Rows read and documents written at a time by `rebuild`.
BATCH = 1000

# --- Matching ---


class _Matches(FunctionElement):
    """True for documents holding every word of a query, each as a prefix."""

    type = Boolean()
    inherit_cache = True
    name = "search_matches"


@compiles(_Matches, "sqlite")
def _sqlite_matches(element: _Matches, compiler: Any, **kw: Any) -> str:
    doc_id, fts, _tsquery, _document = (compiler.process(c, **kw) for c in element.clauses)
    return f"{doc_id} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {fts})"


@compiles(_Matches, "postgresql")
def _postgres_matches(element: _Matches, compiler: Any, **kw: Any) -> str:
    _doc_id, _fts, tsquery, text = (compiler.process(c, **kw) for c in element.clauses)
    return f"to_tsvector('simple', {text}) @@ to_tsquery('simple', {tsquery})"


def matches(terms: Sequence[str]) -> ColumnElement[bool]:
    """A condition on `search_document` for the query words `terms` (see `words.terms`)."""
    return _Matches(SearchDocument.id, literal(words.sqlite_match(terms)),
                    literal(words.postgres_tsquery(terms)), SearchDocument.document)


def matching_ids(kind: Kind, terms: Sequence[str]) -> Any:
    """A select of the ids of `kind`'s rows whose documents match `terms`."""
    return select(SearchDocument.subject_id).where(
        SearchDocument.subject_type == kind.subject_type, matches(terms))


def row_filter(kind: Kind, query: str) -> ColumnElement[bool]:
    """A list's `q`: rows found by the words of `query` (raises `words.QueryProblem`)."""
    return kind.model.id.in_(matching_ids(kind, words.terms(query)))


# --- Writing ---


def _drop(connection: Connection, subjects: dict[str, set[int]]) -> None:
    for table, ids in subjects.items():
        ids = sorted(ids)
        for start in range(0, len(ids), BATCH):
            connection.execute(delete(TABLE).where(
                TABLE.c.subject_type == table, TABLE.c.subject_id.in_(ids[start:start + BATCH])))


def _write(connection: Connection, kind: Kind, rows: Iterable[Any]) -> None:
    docs = [{"subject_type": kind.subject_type, "subject_id": row.id,
             "document": document(kind, row)} for row in rows]
    if docs:
        connection.execute(insert(TABLE), docs)


def _load(session: Session, kind: Kind, ids: Iterable[int]) -> Iterable[Any]:
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        stmt = (select(kind.model).where(kind.model.id.in_(ids[start:start + BATCH]))
                .options(*kind.options))
        yield from session.scalars(stmt)


def reindex(session: Session, subjects: dict[str, set[int]]) -> None:
    """Write again the documents of the rows named by table and id; a row no longer there
    loses its document."""
    connection = session.connection()
    _drop(connection, subjects)
    with session.no_autoflush:
        for table, ids in subjects.items():
            kind = BY_TABLE.get(table)
            if kind is not None and ids:
                _write(connection, kind, _load(session, kind, ids))


def fill_if_empty(session: Session) -> int:
    """Index every row where no row is indexed yet (a database upgraded past the migration
    that made the index); returns how many were written. Runs at head only: documents are
    made through the models."""
    if session.scalar(select(TABLE.c.id).limit(1)) is not None:
        return 0
    return rebuild(session)


def rebuild(session: Session, kinds: Iterable[Kind] | None = None) -> int:
    """Every document made again from the rows (all kinds, or `kinds`), in the session's
    transaction; returns how many were written."""
    connection = session.connection()
    written = 0
    for kind in kinds or KINDS.values():
        connection.execute(delete(TABLE).where(TABLE.c.subject_type == kind.subject_type))
        last = 0
        while True:
            stmt = (select(kind.model).where(kind.model.id > last).order_by(kind.model.id)
                    .limit(BATCH).options(*kind.options))
            rows = list(session.scalars(stmt))
            if not rows:
                break
            _write(connection, kind, rows)
            written += len(rows)
            last = rows[-1].id
    return written


# --- Listeners ---

_PENDING = "search_pending"


def _pending(session: Session) -> dict[str, set[int]]:
    return session.info.setdefault(_PENDING, defaultdict(set))


@event.listens_for(Session, "before_flush")
def _note_named(session: Session, _context: Any, _instances: Any) -> None:
    """Rows whose documents name a row being changed or deleted are found now, while the
    links to a deleted row still exist."""
    changing: dict[str, set[int]] = defaultdict(set)
    for row in session.deleted:
        if (kind := BY_MODEL.get(type(row))) is not None:
            changing[kind.subject_type].add(row.id)
    for row in session.dirty:
        if (kind := BY_MODEL.get(type(row))) is not None and session.is_modified(row):
            changing[kind.subject_type].add(row.id)
    if not changing:
        return
    pending = _pending(session)
    with session.no_autoflush:
        for table, ids in changing.items():
            for other, stmt in referring_ids(BY_TABLE[table], ids):
                pending[other.subject_type].update(session.scalars(stmt))


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _context: Any) -> None:
    subjects = session.info.pop(_PENDING, None) or defaultdict(set)
    for row in session.new:
        if (kind := BY_MODEL.get(type(row))) is not None:
            subjects[kind.subject_type].add(row.id)
    for row in session.dirty:
        if (kind := BY_MODEL.get(type(row))) is not None and session.is_modified(row):
            subjects[kind.subject_type].add(row.id)
    for row in session.deleted:
        if (kind := BY_MODEL.get(type(row))) is not None:
            subjects[kind.subject_type].add(row.id)  # dropped: it is no longer there
    if subjects:
        reindex(session, subjects)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
