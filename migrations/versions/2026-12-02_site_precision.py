"""how precisely each site's location is known (point, near, region, country, unknown),
and the region a site known only by region stands for

Revision ID: g6_site_precision
Revises: f5_throttle_scopes
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g6_site_precision"
down_revision: str | None = "f5_throttle_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "precision",
            sa.Enum("point", "near", "region", "country", "unknown", name="precision",
                    native_enum=False, create_constraint=False, length=32),
            nullable=False, server_default="unknown"))
        batch_op.add_column(sa.Column("region_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("region_name", sa.String(length=200), nullable=True))
    # Existing rows get what their own values show; the seed data says more (which
    # coordinates are only near a place), and the report's Eastern Europe is a region.
    site = sa.table("site", sa.column("key", sa.String), sa.column("precision", sa.String),
                    sa.column("region_name", sa.String), sa.column("latitude", sa.Float),
                    sa.column("country_code", sa.String))
    op.execute(site.update().where(site.c.latitude.is_not(None)).values(precision="point"))
    op.execute(site.update().where(site.c.latitude.is_(None), site.c.country_code.is_not(None))
               .values(precision="country"))
    op.execute(site.update().where(site.c.key == "eastern-europe")
               .values(precision="region", region_name="Eastern Europe"))


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("region_name")
        batch_op.drop_column("region_code")
        batch_op.drop_column("precision")
