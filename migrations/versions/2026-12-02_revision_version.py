"""each recorded state of a row keeps the row's version

Revision ID: g6_revision_version
Revises: f5_throttle_scopes
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g6_revision_version"
down_revision: str | None = "f5_throttle_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose rows the history records, all of them versioned.
TRACKED = ("plan", "force_level", "stakeholder", "stance", "demand", "site", "deployment",
           "asset", "event", "source", "citation")


def upgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
    # The versions of earlier states are recorded nowhere, but a row's newest state is the
    # row as it stands: that one gets the row's version, so a form opened before this
    # upgrade still merges against what it showed.
    for table in TRACKED:
        op.execute(sa.text(f"""
            UPDATE revision SET version = (
                SELECT t.version FROM {table} t WHERE t.id = revision.subject_id)
            WHERE subject_type = '{table}' AND id = (
                SELECT max(r.id) FROM revision r
                WHERE r.subject_type = revision.subject_type
                  AND r.subject_id = revision.subject_id)"""))


def downgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.drop_column("version")
