from alembic import context
from sqlalchemy import Connection

from app.db import get_engine
from app.migrate import described
from app.plan.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=described,
    )
    with context.begin_transaction():
        context.run_migrations()


# Tests and the CLI hand over a live connection; `alembic` on the command line uses settings.
connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with get_engine().connect() as conn:
        run(conn)
