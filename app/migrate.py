"""Run Alembic from the app: bring a database to head, or down to base, or to a revision
within a transaction of the caller's (a restore)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
#: Built by their migration alone, not described by the models: SQLite's full-text table
#: (and the shadow tables FTS5 keeps) and PostgreSQL's full-text index.
DATABASE_OWN = ("search_fts", "ix_search_document_words")


def described(name: str | None, type_: str, _parents: dict) -> bool:
    """Whether Alembic compares a database object with the models (`include_name`)."""
    return not (name and any(name == own or name.startswith(f"{own}_") for own in DATABASE_OWN))


def _config(connection) -> Config:
    # The live connection goes to migrations/env.py; no URL passes through Alembic's
    # config parser, which would choke on a '%' in a URL-encoded password.
    config = Config(ALEMBIC_INI)
    config.attributes["connection"] = connection
    return config


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for a migration. On SQLite, foreign keys are not
    enforced meanwhile: a batch migration rebuilds a table by copying it and dropping the
    old one, and that drop would cascade to every row referring to it. They are checked
    before the transaction commits instead."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # On the driver's own connection: SQLAlchemy would open a transaction first, and
        # inside one the pragma does nothing.
        raw = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite and (broken := connection.exec_driver_sql(
                        "PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    with migrating(engine) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with migrating(engine) as connection:
        command.downgrade(_config(connection), revision)


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(ALEMBIC_INI))


def is_known(revision: str) -> bool:
    """Whether `revision` is the exact id of one of this code's migrations."""
    return any(script.revision == revision for script in _scripts().walk_revisions())


def move(connection: Connection, revision: str) -> None:
    """Up or down to `revision`, on a connection `migrating` gave."""
    now = current(connection)
    if now == revision:
        return
    config = _config(connection)
    below = now and {s.revision for s in _scripts().iterate_revisions(now, "base")}
    if below and revision in below:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)
