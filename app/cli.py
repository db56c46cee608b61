"""The `peaceplan` console command."""

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app import migrate as migrations
from app.accounts import users
from app.alerts import worker as alert_worker
from app.backups import files, restoring
from app.caching import stamp  # its listener bumps the data version on writes
from app.config import get_settings
from app.db import get_engine, new_session
from app.history import record
from app.loading import seed as seeding
from app.plan.vocab import Role
from app.search import index as search_index
from app.web.form_input import parse_form

cli = typer.Typer(help="Peaceplan: track a proposed peacekeeping deployment plan.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(
        help="An Alembic revision id, or head")] = "head") -> None:
    """Bring the database schema to REVISION (default: the latest)."""
    migrations.upgrade(get_engine(), revision)
    typer.echo(f"Database at {revision}: {get_engine().url.render_as_string()}")
    if revision == "head":
        _index_if_empty()


def _index_if_empty() -> None:
    with new_session() as session:
        if written := search_index.fill_if_empty(session):
            session.commit()
            typer.echo(f"Search index: {written} rows indexed.")


@cli.command()
def downgrade(revision: Annotated[str, typer.Argument(
        help="An Alembic revision id, or base")] = "base") -> None:
    """Take the database schema down to REVISION (default: empty)."""
    migrations.downgrade(get_engine(), revision)
    typer.echo(f"Database at {revision}.")


@cli.command()
def seed() -> None:
    """Load seeds/: create missing rows, bring seeded rows back to their files."""
    with new_session() as session:
        report = seeding.load(session)
    typer.echo(f"Seed: {report}.")


@cli.command()
def reindex() -> None:
    """Make every row's search words again (after editing seeds/search/aliases.yaml)."""
    with new_session() as session:
        written = search_index.rebuild(session)
        stamp.bump(session)  # cached pages and counts found rows by the old words
        session.commit()
    typer.echo(f"Search index: {written} rows indexed.")


@cli.command("demo-data")
def demo_data(
    rows: Annotated[int, typer.Option(min=10, help="Sites, deployments and assets")] = 100_000,
    database_url: Annotated[str | None, typer.Option(
        help="Database to fill (default: DATABASE_URL); it must hold no real plan data")] = None,
) -> None:
    """Fill a separate database with clearly labelled synthetic rows, for benchmarks."""
    from app.loading import demo

    engine = get_engine(database_url)
    with typer.progressbar(length=rows, label="Synthetic rows") as bar:
        try:
            counts = demo.generate(engine, rows, progress=bar.update)
        except demo.RealDataPresent as error:
            raise typer.BadParameter(str(error), param_hint="--database-url") from None
    typer.echo(f"Wrote {counts} to {engine.url.render_as_string()}.")


@cli.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The file to write; it must not exist yet")],
    format: Annotated[files.Format, typer.Option(
        help="portable: a gzip'd JSON Lines dump that restores into SQLite or PostgreSQL; "
             "sqlite: a copy of the SQLite database file")] = files.Format.PORTABLE,
) -> None:
    """Back up the database while the server runs, every table in one snapshot."""
    try:
        report = files.write(get_engine(), path, format)
    except files.BackupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Backed up {report} at revision {report.revision} to {path}.")


@cli.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file `peaceplan backup` wrote, either kind")],
) -> None:
    """Restore a backup into the empty database of DATABASE_URL, then migrate it to head."""
    try:
        report = restoring.restore(get_engine(), path)
    except restoring.BackupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Restored {report} from {path} into {get_engine().url.render_as_string()}, "
               f"now at revision {report.revision}.")


@cli.command("export-package")
def export_package(
    path: Annotated[Path, typer.Argument(help="The zip to write; it must not exist yet")],
    filter: Annotated[list[str] | None, typer.Option(
        "--filter", help="A list's filter as NAME=VALUE (repeatable): country=FR, "
                         "asset_type=drone, q=odesa, ...")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="The plan as it stood at the end of this day (UTC), YYYY-MM-DD")] = None,
) -> None:
    """Write the plan as a Frictionless Data Package (what /datapackage.zip serves)."""
    from app.history import asof
    from app.packaging import selection, writing

    query: dict[str, list[str]] = {}
    for item in filter or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--filter")
        query.setdefault(name.strip(), []).append(value.strip())
    try:
        choice = selection.choose(query)
        day = asof.parse_day(as_of) if as_of else None
    except selection.FilterRefused as refused:
        raise typer.BadParameter(str(refused), param_hint="--filter") from None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--as-of") from None
    if path.exists():
        typer.echo(f"{path} exists already: name a new file.", err=True)
        raise typer.Exit(1)
    with new_session() as live:
        past = asof.view(live, day) if day else None
        bind = past[1].get_bind() if past else get_engine()
        draft = path.with_name(f".{path.name}.partial")
        try:
            with draft.open("wb") as out:
                for piece in writing.package(bind, choice, as_of=day if past else None,
                                             licence=writing.configured_licence()):
                    out.write(piece)
            draft.replace(path)
        finally:
            draft.unlink(missing_ok=True)
            if past:
                past[1].close()
    typer.echo(f"Wrote the data package to {path} ({path.stat().st_size:,} bytes).")


@cli.command("import-package")
def import_package(
    path: Annotated[Path, typer.Argument(help="A data package zip that Peaceplan wrote")],
) -> None:
    """Load a data package into the empty database of DATABASE_URL, as one change."""
    from app.packaging import loading

    migrations.upgrade(get_engine())
    with new_session() as session:
        try:
            report = loading.load(session, path)
        except loading.PackageError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Loaded {report} from {path} into {get_engine().url.render_as_string()}.")


def first_admin_hint(session) -> str | None:
    if users.count_users(session):
        return None
    return ("No accounts yet: anyone can read, nobody can edit. Create the first "
            "administrator with\n  peaceplan create-user NAME --role admin")


@cli.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="Sign-in name (not case-sensitive)")],
    role: Annotated[Role, typer.Option(help="What the account may do")] = Role.EDITOR,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input, for scripts")] = False,
) -> None:
    """Create an account; the password is asked for twice, hidden (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        confirm = password
    else:
        password = typer.prompt("Password", hide_input=True)
        confirm = typer.prompt("Password again", hide_input=True)
    data, errors = parse_form(users.NewUser, {"username": name, "role": role.value,
                                              "password": password,
                                              "password_confirm": confirm})
    if data is None:
        for field, message in errors.items():
            typer.echo(f"{field.replace('_', ' ').capitalize() or 'Error'}: {message}", err=True)
        raise typer.Exit(2)
    migrations.upgrade(get_engine())
    with new_session() as session:
        try:
            user = users.create_user(session, data)
        except users.UsernameTaken as taken:
            typer.echo(f"{taken} Choose another name.", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Created {user.username} ({user.role.label.lower()}). Sign in at /login.")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes")] = False,
    worker: Annotated[bool, typer.Option(
        help="Also send alerts from this process (one machine; with several, run "
             "`peaceplan worker` instead)")] = True,
) -> None:
    """Migrate the database, seed it if empty, and serve the dashboard."""
    settings = get_settings()
    migrations.upgrade(get_engine())
    _index_if_empty()
    with new_session() as session:
        if seeding.is_empty(session):
            typer.echo(f"Empty database: loading the seed data ({seeding.load(session)}).")
        elif recorded := record.record_baseline(session):
            typer.echo(f"History starts now: {recorded} existing rows recorded as a baseline.")
        if hint := first_admin_hint(session):
            typer.echo(hint)
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Peaceplan on http://{host}:{port}  (database: {get_engine().url!r})")
    if worker:
        # In this process only, never in uvicorn's workers: one sender per machine.
        alert_worker.start_in_background()
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                reload=reload, log_level="info",
                # Templates are read once per process: a change to one restarts it too.
                reload_includes=["*.html"] if reload else None,
                # The app believes forwarded headers from TRUSTED_PROXIES only, not
                # uvicorn's default of any local peer.
                proxy_headers=False)


@cli.command("worker")
def run_worker() -> None:
    """Turn changes into alerts and send their webhooks, until stopped (Ctrl-C, SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    migrations.upgrade(get_engine())
    stop = threading.Event()
    for stopping in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stopping, lambda *_: stop.set())
    typer.echo(f"Alert worker on {get_engine().url!r}")
    alert_worker.Worker().run(stop)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
