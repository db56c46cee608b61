"""The synthetic data generator: the size asked for, every row labelled, never mixed."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_engine
from app.loading import demo
from app.plan.models import Asset, Citation, Deployment, Plan, Site
from app.plan.vocab import AssetType
from tests.databases import fresh_database


def test_generates_labelled_rows_of_the_size_asked(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        engine = get_engine(url)
        counts = demo.generate(engine, 2000)
        assert sum(counts.values()) == 2000
        with Session(engine) as session:
            n = {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                 for m in (Site, Deployment, Asset)}
            assert n == {"site": 200, "deployment": 600, "asset": 1200}
            assert session.scalar(select(func.count()).select_from(Citation)) == 2000
            for model in (Site, Deployment, Asset):
                keys = session.scalars(select(model.key)).all()
                assert all(k.startswith("synthetic-") for k in keys)
            assert [p.title for p in session.scalars(select(Plan))] == [
                "SYNTHETIC benchmark data: not a real plan"]
            types = set(session.scalars(select(Asset.asset_type).distinct()))
            assert types == set(AssetType)
            countries = session.scalars(select(Asset.country_code).distinct()).all()
            assert len(countries) == 30
        # A second run says what is wrong, through the command too, instead of failing
        # on the repeated keys.
        with pytest.raises(demo.DemoDataPresent, match="already holds synthetic rows"):
            demo.generate(engine, 100)
        result = CliRunner().invoke(cli, ["demo-data", "--rows", "10", "--database-url", url])
        said = " ".join(result.output.replace("│", " ").split())  # unboxed, unwrapped
        assert result.exit_code == 2 and "already holds synthetic rows" in said
        assert result.exception is None or isinstance(result.exception, SystemExit)
        engine.dispose()


def test_refuses_a_database_with_real_plan_data(engine):
    with pytest.raises(demo.RealDataPresent, match="reassurance-force"):
        demo.generate(engine, 100)
