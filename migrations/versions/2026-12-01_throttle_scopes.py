"""sign-in failures counted per name and address, per address, and per name

Revision ID: f5_throttle_scopes
Revises: e4_sessions
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f5_throttle_scopes"
down_revision: str | None = "e4_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Counts of recent failures are worth nothing after an hour, so the table is made anew
# rather than converted.
def _create(key: list[sa.Column]) -> None:
    op.create_table(
        "sign_in_throttle",
        *key,
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*(column.name for column in key), name="pk_sign_in_throttle"),
    )
    op.create_index("ix_sign_in_throttle_last_failure_at", "sign_in_throttle",
                    ["last_failure_at"])


def _drop() -> None:
    op.drop_index("ix_sign_in_throttle_last_failure_at", table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")


def upgrade() -> None:
    _drop()
    _create([sa.Column("scope", sa.String(length=10), nullable=False),
             sa.Column("subject", sa.String(length=200), nullable=False)])


def downgrade() -> None:
    _drop()
    _create([sa.Column("username", sa.String(length=100), nullable=False)])
