"""Alembic owns the schema: up to head and back down to base, and head matches the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate
from app.db import get_engine
from app.plan.models import Base
from tests.databases import BACKENDS, fresh_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_to_head_and_downgrade_to_base(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        migrate.downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)  # and up again from base
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
