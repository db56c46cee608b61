"""how precisely each site's location is known (point, near, region, country, unknown),
and the region a site known only by region stands for

Sites get the precision their values show, and so do their snapshots in the change history:
a page of an earlier date shows them as located as they are today, not as unknown.

Revision ID: h7_site_precision
Revises: g6_revision_version
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.plan.places import inferred_precision

revision: str = "h7_site_precision"
down_revision: str | None = "g6_revision_version"
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
    _snapshots(op.get_bind(), _located)


def downgrade() -> None:
    _snapshots(op.get_bind(), _unlocated)
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("region_name")
        batch_op.drop_column("region_code")
        batch_op.drop_column("precision")


NEW = ("precision", "region_code", "region_name")


def _located(data: dict) -> dict:
    """A snapshot as the site would have been recorded with these columns: by the same
    rule as the rows above."""
    if "precision" in data:
        return data
    data = {**data, "region_code": None, "region_name": None}
    if data.get("key") == "eastern-europe":
        data.update(precision="region", region_name="Eastern Europe")
    else:
        data["precision"] = inferred_precision(data).value
    return data


def _unlocated(data: dict) -> dict:
    # Restoring a snapshot writes each of its fields: the older schema has none of these.
    return {k: v for k, v in data.items() if k not in NEW}


def _snapshots(bind, rewrite) -> None:
    revision = sa.table("revision", sa.column("id"), sa.column("before", sa.JSON),
                        sa.column("after", sa.JSON), sa.column("subject_type"))
    rows = bind.execute(sa.select(revision.c.id, revision.c.before, revision.c.after)
                        .where(revision.c.subject_type == "site")).all()
    for row_id, before, after in rows:
        values = {name: rewrite(data) for name, data in (("before", before), ("after", after))
                  if data and rewrite(data) != data}
        if values:
            bind.execute(revision.update().where(revision.c.id == row_id).values(**values))
