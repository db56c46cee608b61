"""evidence: sources graded and fingerprinted, quotes anchored, citations that are claims,
contributions by stage, the reason of a change, demands raised by several stakeholders

Every existing citation of a figure row becomes a claim about its figure, at the range the
row shows, so every figure is the same after as before. Quotes joined from one source with
" […] " become one citation each, anchored in the source's text where it holds one.

Revision ID: d3_evidence
Revises: 5c1f0e7a9b21
Create Date: 2026-11-30 12:30:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.evidence.quotes import find

revision: str = "d3_evidence"
down_revision: str | None = "5c1f0e7a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A contribution's old status as a stage. Proposed by someone else is floated (no
#: contributor announced it); a pledge or confirmation is a commitment, not yet an approval.
STAGE_OF_STATUS = {"floated": "floated", "proposed": "floated", "conditional": "conditional",
                   "pledged": "committed", "confirmed": "committed", "deployed": "deployed",
                   "withdrawn": "withdrawn"}
STATUS_OF_STAGE = {"floated": "proposed", "announced": "proposed", "conditional": "conditional",
                   "committed": "pledged", "approved": "confirmed", "deployed": "deployed",
                   "withdrawn": "withdrawn"}
#: The figure of each kind of row that its citations become claims about.
FIGURE = {"deployment": "troops", "asset": "quantity", "force_level": "troops"}
JOINED = " […] "


def _vocab(length: int = 32) -> sa.String:
    return sa.String(length=length)


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("author", sa.String(200), nullable=True))
        batch.add_column(sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("language", sa.String(35), nullable=True))
        batch.add_column(sa.Column("reliability", _vocab(), nullable=False,
                                   server_default="F"))
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
    with op.batch_alter_table("citation") as batch:
        batch.drop_constraint("uq_citation_subject_type", type_="unique")
        for column in (
            sa.Column("prefix", sa.String(64), nullable=True),
            sa.Column("suffix", sa.String(64), nullable=True),
            sa.Column("field", sa.String(40), nullable=True),
            sa.Column("low", sa.Integer(), nullable=True),
            sa.Column("high", sa.Integer(), nullable=True),
            sa.Column("best", sa.Integer(), nullable=True),
            sa.Column("stage", _vocab(), nullable=True),
            sa.Column("claimed_on", sa.Date(), nullable=True),
            sa.Column("credibility", _vocab(), nullable=False, server_default="6"),
            sa.Column("rank", _vocab(), nullable=False, server_default="normal"),
            sa.Column("rank_reason", sa.String(300), nullable=True),
        ):
            batch.add_column(column)
        batch.create_index("ix_citation_source", ["source_id"])
    for table, figure in FIGURE.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(f"{figure}_best", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("disputed", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
            batch.add_column(sa.Column("claim_count", sa.Integer(), nullable=False,
                                       server_default="0"))
            batch.create_index(f"ix_{table}_disputed", ["disputed"])
    with op.batch_alter_table("deployment") as batch:
        batch.drop_index("ix_deployment_country_status")
        batch.drop_index("ix_deployment_status_country")
        batch.alter_column("status", new_column_name="stage", existing_type=_vocab(),
                           existing_nullable=False)
        batch.add_column(sa.Column("condition_demand_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deployment_condition_demand_id_demand", "demand",
                                 ["condition_demand_id"], ["id"])
    op.create_index("ix_deployment_country_stage", "deployment", ["country_code", "stage"])
    op.create_index("ix_deployment_stage_country", "deployment",
                    ["stage", "country_code", "troops_low", "troops_high"])
    with op.batch_alter_table("asset") as batch:
        batch.alter_column("status", new_column_name="stage", existing_type=_vocab(),
                           existing_nullable=False)
        batch.add_column(sa.Column("condition_demand_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_asset_condition_demand_id_demand", "demand",
                                 ["condition_demand_id"], ["id"])
    op.create_index("ix_asset_stage", "asset", ["stage"])
    with op.batch_alter_table("change") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
    op.create_table(
        "demand_raiser",
        sa.Column("demand_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["demand_id"], ["demand.id"],
                                name="fk_demand_raiser_demand_id_demand", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholder.id"],
                                name="fk_demand_raiser_stakeholder_id_stakeholder",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("demand_id", "stakeholder_id", name="pk_demand_raiser"),
    )

    bind = op.get_bind()
    _stages(bind, STAGE_OF_STATUS)
    _fingerprints(bind)
    _claims(bind)


def _stages(bind, mapping: dict[str, str], old: str = "status", new: str = "stage") -> None:
    for table in ("deployment", "asset"):
        for was, now in mapping.items():
            bind.execute(sa.text(f"UPDATE {table} SET stage = :now WHERE stage = :was"),
                         {"now": now, "was": was})
    # Snapshots in the history name the column as it was then: rename there too, so the
    # past stays readable and restorable.
    revision = sa.table("revision", sa.column("id"), sa.column("before", sa.JSON),
                        sa.column("after", sa.JSON), sa.column("subject_type"))
    rows = bind.execute(sa.select(revision.c.id, revision.c.before, revision.c.after)
                        .where(revision.c.subject_type.in_(["deployment", "asset"]))).all()
    for row_id, before, after in rows:
        values = {}
        for name, data in (("before", before), ("after", after)):
            if data and old in data:
                data = dict(data)
                value = data.pop(old)
                data[new] = mapping.get(value, value)
                values[name] = data
        if values:
            bind.execute(revision.update().where(revision.c.id == row_id).values(**values))


def _fingerprints(bind) -> None:
    for source_id, text in bind.execute(sa.text("SELECT id, text FROM source "
                                                "WHERE text IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE source SET sha256 = :h WHERE id = :id"),
                     {"h": hashlib.sha256(text.encode("utf-8")).hexdigest(), "id": source_id})


def _claims(bind) -> None:
    texts = dict(bind.execute(sa.text("SELECT id, text FROM source")).all())
    published = dict(bind.execute(sa.text("SELECT id, published_on FROM source")).all())
    figures = {}
    for table, figure in FIGURE.items():
        for row_id, low, high in bind.execute(sa.text(
                f"SELECT id, {figure}_low, {figure}_high FROM {table}")).all():
            figures[(table, row_id)] = (figure, low, high)
    citations = bind.execute(sa.text(
        "SELECT id, subject_type, subject_id, source_id, quote FROM citation ORDER BY id")).all()
    for citation_id, subject_type, subject_id, source_id, quote in citations:
        parts = quote.split(JOINED) if quote else [quote]
        for i, part in enumerate(parts):
            values = {"quote": part, "prefix": None, "suffix": None, "field": None,
                      "low": None, "high": None, "claimed_on": None}
            if (anchor := find(texts.get(source_id), part)) is not None:
                values.update(quote=anchor.exact, prefix=anchor.prefix, suffix=anchor.suffix)
            if (subject_type, subject_id) in figures:
                values["field"], values["low"], values["high"] = \
                    figures[(subject_type, subject_id)]
                values["claimed_on"] = published.get(source_id)
            if i == 0:
                bind.execute(sa.text(
                    "UPDATE citation SET quote = :quote, prefix = :prefix, suffix = :suffix, "
                    "field = :field, low = :low, high = :high, claimed_on = :claimed_on "
                    "WHERE id = :id"), {**values, "id": citation_id})
            else:
                bind.execute(sa.text(
                    "INSERT INTO citation (subject_type, subject_id, source_id, quote, prefix, "
                    "suffix, field, low, high, claimed_on, credibility, rank, version) VALUES "
                    "(:subject_type, :subject_id, :source_id, :quote, :prefix, :suffix, :field, "
                    ":low, :high, :claimed_on, '6', 'normal', 1)"),
                    {**values, "subject_type": subject_type, "subject_id": subject_id,
                     "source_id": source_id})
    for table in FIGURE:
        bind.execute(sa.text(
            f"UPDATE {table} SET claim_count = (SELECT count(*) FROM citation "
            f"WHERE citation.subject_type = '{table}' AND citation.subject_id = {table}.id "
            "AND citation.field IS NOT NULL)"))


def downgrade() -> None:
    bind = op.get_bind()
    # Claims go back to being citations, one per row and source, as the unique constraint
    # that returns demands: the first of each keeps its place, the others are dropped.
    bind.execute(sa.text(
        "DELETE FROM citation WHERE id NOT IN (SELECT min(id) FROM citation "
        "GROUP BY subject_type, subject_id, source_id)"))
    _stages(bind, STATUS_OF_STAGE, old="stage", new="status")
    bind.execute(sa.text("UPDATE demand SET status = 'raised' WHERE status = 'expected'"))
    op.drop_table("demand_raiser")
    with op.batch_alter_table("change") as batch:
        batch.drop_column("reason")
    op.drop_index("ix_asset_stage", table_name="asset")
    with op.batch_alter_table("asset") as batch:
        batch.drop_constraint("fk_asset_condition_demand_id_demand", type_="foreignkey")
        batch.drop_column("condition_demand_id")
        batch.alter_column("stage", new_column_name="status", existing_type=_vocab(),
                           existing_nullable=False)
    op.drop_index("ix_deployment_stage_country", table_name="deployment")
    op.drop_index("ix_deployment_country_stage", table_name="deployment")
    with op.batch_alter_table("deployment") as batch:
        batch.drop_constraint("fk_deployment_condition_demand_id_demand", type_="foreignkey")
        batch.drop_column("condition_demand_id")
        batch.alter_column("stage", new_column_name="status", existing_type=_vocab(),
                           existing_nullable=False)
    op.create_index("ix_deployment_country_status", "deployment", ["country_code", "status"])
    op.create_index("ix_deployment_status_country", "deployment",
                    ["status", "country_code", "troops_low", "troops_high"])
    for table, figure in FIGURE.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_disputed")
            batch.drop_column("claim_count")
            batch.drop_column("disputed")
            batch.drop_column(f"{figure}_best")
    with op.batch_alter_table("citation") as batch:
        batch.drop_index("ix_citation_source")
        for name in ("rank_reason", "rank", "credibility", "claimed_on", "stage", "best", "high",
                     "low", "field", "suffix", "prefix"):
            batch.drop_column(name)
        batch.create_unique_constraint("uq_citation_subject_type",
                                       ["subject_type", "subject_id", "source_id"])
    with op.batch_alter_table("source") as batch:
        for name in ("sha256", "reliability", "language", "retrieved_at", "author"):
            batch.drop_column(name)
