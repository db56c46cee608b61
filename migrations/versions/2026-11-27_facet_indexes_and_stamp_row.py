"""covering indexes for facets in both directions and the overview's sums; the data stamp
row exists from the start

Revision ID: 5c1f0e7a9b21
Revises: cce3deba1c0a
Create Date: 2026-11-27 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1f0e7a9b21"
down_revision: str | None = "c2_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Facets in both directions; the figures ride along so the overview's sums by type,
    # contributor and status scan an index instead of the table.
    op.create_index("ix_asset_type_country", "asset",
                    ["asset_type", "country_code", "quantity_low", "quantity_high"])
    op.create_index("ix_deployment_status_country", "deployment",
                    ["status", "country_code", "troops_low", "troops_high"])
    op.create_index("ix_deployment_country_troops", "deployment",
                    ["country_code", "troops_low", "troops_high"])
    # Writers bump the stamp with an UPDATE; creating the row here means no two processes
    # ever race to insert it.
    op.execute(
        sa.text(
            "INSERT INTO data_stamp (id, version, updated_at) "
            "SELECT 1, 0, CURRENT_TIMESTAMP WHERE NOT EXISTS (SELECT 1 FROM data_stamp)"
        )
    )


def downgrade() -> None:
    op.drop_index("ix_deployment_country_troops", table_name="deployment")
    op.drop_index("ix_deployment_status_country", table_name="deployment")
    op.drop_index("ix_asset_type_country", table_name="asset")
