"""history: row versions, changes and revisions

Revision ID: c2_history
Revises: cce3deba1c0a
Create Date: 2026-11-27 12:55:29.670429
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2_history"
down_revision: str | None = "b1_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = [
    "asset",
    "citation",
    "demand",
    "deployment",
    "event",
    "force_level",
    "plan",
    "site",
    "source",
    "stakeholder",
    "stance",
]


def upgrade() -> None:
    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reverts_id"], ["change.id"], name=op.f("fk_change_reverts_id_change")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_user_id"), ["user_id"], unique=False)

    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("parent_type", sa.String(length=40), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change.id"],
            name=op.f("fk_revision_change_id_change"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision")),
    )
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revision_change_id"), ["change_id"], unique=False)
        batch_op.create_index("ix_revision_parent", ["parent_type", "parent_id"], unique=False)
        batch_op.create_index("ix_revision_subject", ["subject_type", "subject_id"], unique=False)

    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default="1", nullable=False)
            )


def downgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")

    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_subject")
        batch_op.drop_index("ix_revision_parent")
        batch_op.drop_index(batch_op.f("ix_revision_change_id"))

    op.drop_table("revision")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_user_id"))
        batch_op.drop_index(batch_op.f("ix_change_at"))

    op.drop_table("change")
