"""The `peaceplan` console command."""

from typing import Annotated

import typer
import uvicorn

from app import migrate as migrations
from app import seed as seeding
from app.config import get_settings
from app.db import get_engine, new_session

cli = typer.Typer(help="Peaceplan: track a proposed peacekeeping deployment plan.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@cli.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema to REVISION (default: the latest)."""
    migrations.upgrade(get_engine(), revision)
    typer.echo(f"Database at {revision}: {get_engine().url.render_as_string()}")


@cli.command()
def downgrade(revision: str = "base") -> None:
    """Take the database schema down to REVISION (default: empty)."""
    migrations.downgrade(get_engine(), revision)
    typer.echo(f"Database at {revision}.")


@cli.command()
def seed() -> None:
    """Load seeds/: create missing rows, bring seeded rows back to their files."""
    with new_session() as session:
        report = seeding.load(session)
    typer.echo(f"Seed: {report}.")


@cli.command("demo-data")
def demo_data(
    rows: Annotated[int, typer.Option(min=10, help="Sites, deployments and assets")] = 100_000,
    database_url: Annotated[str | None, typer.Option(
        help="Database to fill (default: DATABASE_URL); it must hold no real plan data")] = None,
) -> None:
    """Fill a separate database with clearly labelled synthetic rows, for benchmarks."""
    from app import demo_data as demo

    engine = get_engine(database_url)
    with typer.progressbar(length=rows, label="Synthetic rows") as bar:
        try:
            counts = demo.generate(engine, rows, progress=bar.update)
        except demo.RealDataPresent as error:
            raise typer.BadParameter(str(error), param_hint="--database-url") from None
    typer.echo(f"Wrote {counts} to {engine.url.render_as_string()}.")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes")] = False,
) -> None:
    """Migrate the database, seed it if empty, and serve the dashboard."""
    settings = get_settings()
    migrations.upgrade(get_engine())
    with new_session() as session:
        if seeding.is_empty(session):
            typer.echo(f"Empty database: loading the seed data ({seeding.load(session)}).")
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Peaceplan on http://{host}:{port}  (database: {get_engine().url!r})")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                reload=reload, log_level="info")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
