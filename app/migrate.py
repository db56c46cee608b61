"""Run Alembic from the app: bring a database to head, or down to base."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def _config(connection) -> Config:
    # The live connection goes to migrations/env.py; no URL passes through Alembic's
    # config parser, which would choke on a '%' in a URL-encoded password.
    config = Config(ALEMBIC_INI)
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)
