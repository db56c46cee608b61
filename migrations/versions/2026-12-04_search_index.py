"""a full-text index of every row of plan data: documents, and each database's own index

Revision ID: i8_search_index
Revises: h7_site_precision
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i8_search_index"
down_revision: str | None = "h7_site_precision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: an FTS5 table over the documents ("external content", so the words are stored
# once), kept in step by triggers, as the FTS5 documentation shows.
SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(document, content='search_document', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);"
    " END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);"
    " INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document); END",
]
POSTGRES = ["CREATE INDEX ix_search_document_words ON search_document "
            "USING gin (to_tsvector('simple', document))"]


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_document"),
    )
    op.create_index("ix_search_document_subject", "search_document",
                    ["subject_type", "subject_id"], unique=True)
    bind = op.get_bind()
    for statement in SQLITE if bind.dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)
    # The documents are made from rows by the app's models, which only match the schema at
    # head: `peaceplan migrate` and `serve` fill an empty index once the schema is there.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_document_au", "search_document_ad", "search_document_ai"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE search_fts")
    else:
        op.drop_index("ix_search_document_words", table_name="search_document")
    op.drop_index("ix_search_document_subject", table_name="search_document")
    op.drop_table("search_document")
