"""covering indexes for the per-version tallies: deployments and assets in the order of
their GROUP BY with the figures, citations with their source

Revision ID: m12_covering_indexes
Revises: k10_alerts
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "m12_covering_indexes"
down_revision: str | None = "k10_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each new index starts with the columns of the one it replaces, so every query that
    # used the old one can use the new one.
    op.drop_index("ix_deployment_country_stage", table_name="deployment")
    op.create_index("ix_deployment_tally", "deployment",
                    ["country_code", "stage", "disputed", "troops_low", "troops_high"])
    op.drop_index("ix_asset_country_type", table_name="asset")
    op.create_index("ix_asset_tally", "asset", ["country_code", "asset_type", "posture",
                                                "stage", "disputed", "quantity_low",
                                                "quantity_high"])
    op.drop_index("ix_citation_subject", table_name="citation")
    op.create_index("ix_citation_subject_source", "citation",
                    ["subject_type", "subject_id", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_citation_subject_source", table_name="citation")
    op.create_index("ix_citation_subject", "citation", ["subject_type", "subject_id"])
    op.drop_index("ix_asset_tally", table_name="asset")
    op.create_index("ix_asset_country_type", "asset", ["country_code", "asset_type"])
    op.drop_index("ix_deployment_tally", table_name="deployment")
    op.create_index("ix_deployment_country_stage", "deployment", ["country_code", "stage"])
