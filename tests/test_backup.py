"""`peaceplan backup` and `peaceplan restore`: a database backed up, destroyed and restored
holds every row of every table again, on either backend and across them; a restore refuses a
database holding data and a revision it does not know, and restores all or nothing; a backup
taken while a server writes is whole and consistent."""

import gzip
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Text,
    cast,
    exists,
    func,
    inspect,
    null,
    select,
    text,
)
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app import migrate
from app.accounts import users
from app.backups import files, reading
from app.cli import cli
from app.config import get_settings
from app.db import get_engine
from app.plan.models import Plan, Source
from app.plan.records import User
from app.plan.vocab import Role, SourceKind
from tests.databases import BACKENDS, fresh_database, seeded_database
from tests.live import app_process

HEAD = ScriptDirectory.from_config(Config(migrate.ALEMBIC_INI)).get_current_head()
#: Tiny batches: every table with more than two rows spans several, and a source refers
#: to one in a later batch.
BATCH = 2
MOMENT = datetime(2025, 2, 21, 13, 45, 7, 123456, tzinfo=UTC)

runner = CliRunner()


def small_batches(patch: pytest.MonkeyPatch) -> None:
    for module in (reading, files):
        patch.setattr(module, "BATCH", BATCH)


def peaceplan(database_url: str, *args: str) -> Result:
    """The console command, run on `database_url` as DATABASE_URL."""
    get_settings.cache_clear()
    try:
        return runner.invoke(cli, list(args), env={"DATABASE_URL": database_url})
    finally:
        get_settings.cache_clear()


def refused(result: Result, words: str) -> None:
    """Exit code 1 and one sentence, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert words in result.output and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


# --- Reading every row, independently of the backup code ---


def _plain(value):
    # SQLite gives times back without their zone; the app stores them in UTC.
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value


def _described(name: str, _metadata: MetaData) -> bool:
    # SQLite's full-text table holds nothing of its own: it is made from `search_document`.
    return migrate.described(name, "table", {})


def rows_of(database_url: str) -> dict[str, list[tuple]]:
    """Every row of every table, Alembic's included, in primary key order; JSON columns as
    their text, so that JSON null and SQL NULL differ."""
    metadata = MetaData()
    with get_engine(database_url).connect() as connection:
        metadata.reflect(connection, only=_described)
        return {
            table.name: [tuple(map(_plain, row)) for row in connection.execute(
                select(*(cast(c, Text) if isinstance(c.type, JSON) else c
                         for c in table.columns))
                .order_by(*(table.primary_key.columns or table.columns)))]
            for table in metadata.sorted_tables
        }


def counted(rows: dict[str, list[tuple]]) -> tuple[int, int]:
    """Tables and rows as the commands count them (Alembic's table is the revision)."""
    kept = {name: r for name, r in rows.items() if name != "alembic_version"}
    return len(kept), sum(map(len, kept.values()))


# --- Filling every table ---


def made_up_row(connection, table) -> dict:
    """A row of plain values for any table, referring to existing rows."""
    row = {}
    for column in table.columns:
        kind = column.type
        if column.foreign_keys:
            value = connection.scalar(select(next(iter(column.foreign_keys)).column).limit(1))
        elif isinstance(kind, Boolean):
            value = True
        elif isinstance(kind, Integer):
            value = 7
        elif isinstance(kind, Float):
            value = 0.1 + 0.2
        elif isinstance(kind, DateTime):
            value = MOMENT
        elif isinstance(kind, Date):
            value = date(2025, 2, 21)
        elif isinstance(kind, JSON):
            value = {"made": ["up", 1, None]}
        elif isinstance(kind, String):
            value = "Київ — “made up” ✓\n\ttab"[:kind.length]
        else:
            value = None
        row[column.name] = value
    return row


def fill(database_url: str) -> None:
    """Accounts, a token and a session as the app makes them; values that are easy to get
    wrong; a made-up row in any table still empty."""
    engine = get_engine(database_url)
    with Session(engine) as session:
        editor = User(username="backup-editor", role=Role.EDITOR, password_hash="unused")
        session.add(editor)
        session.commit()
        users.create_token(session, editor, users.TokenInput(name="backup"))
        users.start_session(session, editor)
    metadata = MetaData()
    with engine.begin() as connection:
        metadata.reflect(connection, only=_described)
        source, revision = metadata.tables["source"], metadata.tables["revision"]
        ids = connection.scalars(select(source.c.id).order_by(source.c.id)).all()
        first, last = ids[0], ids[-1]
        # A source cited in one of a later batch, which PostgreSQL would not find yet.
        connection.execute(source.update().where(source.c.id == first).values(
            cited_in_id=last, note="Київ — “quoted”\nline two\ttab ✓"))
        # SQL NULL beside the JSON nulls the history holds.
        connection.execute(revision.update().where(
            revision.c.id == select(revision.c.id).limit(1).scalar_subquery()
        ).values({"after": null()}))
        nulls = [connection.scalar(select(func.count()).where(condition)) for condition in (
            revision.c["after"].is_(None), cast(revision.c.before, Text) == "null")]
        assert all(nulls), nulls
        for table in metadata.sorted_tables:
            if table.name != "alembic_version" and not connection.scalar(
                    select(exists().select_from(table))):
                connection.execute(table.insert().values(made_up_row(connection, table)))


def destroy(backend: str, database_url: str) -> None:
    """Delete a SQLite file (a PostgreSQL database is dropped as its context ends)."""
    get_engine(database_url).dispose()
    if backend == "sqlite":
        name = get_engine(database_url).url.database
        for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
            path.unlink(missing_ok=True)
        assert not Path(name).exists()


@dataclass
class Backup:
    rows: dict[str, list[tuple]]
    paths: dict[str, Path]


def _back_up(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Backup:
    folder = tmp_path_factory.mktemp("backups")
    kinds = ["portable", "sqlite"] if backend == "sqlite" else ["portable"]
    paths = {kind: folder / f"peaceplan.{'db' if kind == 'sqlite' else 'jsonl.gz'}"
             for kind in kinds}
    with (pytest.MonkeyPatch.context() as patch,
          seeded_database(backend, tmp_path_factory) as url):
        small_batches(patch)
        fill(url)
        rows = rows_of(url)
        assert all(rows.values()), [name for name, r in rows.items() if not r]
        tables, total = counted(rows)
        for kind, path in paths.items():
            result = peaceplan(url, "backup", str(path), "--format", kind)
            assert result.exit_code == 0, result.output
            assert result.output == (f"Backed up {tables} tables, {total:,} rows "
                                     f"({path.stat().st_size:,} bytes) at revision {HEAD} "
                                     f"to {path}.\n")
        destroy(backend, url)
    return Backup(rows, paths)


@pytest.fixture(scope="module")
def backups(tmp_path_factory) -> Iterator[Callable[[str], Backup]]:
    """A seeded database of each backend with a row in every table, backed up in each
    format it offers, then destroyed; made once, on first use."""
    made: dict[str, Backup] = {}

    def backup_of(backend: str) -> Backup:
        if backend not in made:
            made[backend] = _back_up(backend, tmp_path_factory)
        return made[backend]

    yield backup_of


def next_ids_are_fresh(database_url: str) -> None:
    """Every id sequence hands out a number above the table's largest id, and the app's
    next rows go in."""
    engine = get_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            for table, column, sequence in connection.execute(text(
                    "SELECT table_name, column_name, "
                    "pg_get_serial_sequence(quote_ident(table_name), column_name) "
                    "FROM information_schema.columns WHERE table_schema = current_schema()"
            )).all():
                if sequence:
                    largest = connection.scalar(text(
                        f'SELECT coalesce(max("{column}"), 0) FROM "{table}"'))
                    last, called = connection.execute(text(
                        f"SELECT last_value, is_called FROM {sequence}")).one()
                    assert last + called > largest, (table, column, last, largest)
    with Session(engine) as session:
        largest = session.scalar(select(Source.id).order_by(Source.id.desc()).limit(1))
        session.add(Source(key="after-restore", kind=SourceKind.REFERENCE,
                           title="After the restore"))
        session.add(User(username="after-restore", password_hash="unused"))
        session.commit()
        assert session.scalar(select(Source.id).where(Source.key == "after-restore")
                              ) == largest + 1


# --- Round trips ---

CASES = [("sqlite", "portable", "sqlite"), ("sqlite", "portable", "postgresql"),
         ("postgresql", "portable", "postgresql"), ("postgresql", "portable", "sqlite"),
         ("sqlite", "sqlite", "sqlite"), ("sqlite", "sqlite", "postgresql")]


@pytest.mark.parametrize(("source", "kind", "target"), CASES)
def test_a_restore_brings_back_every_row_of_every_table(source, kind, target, backups,
                                                        tmp_path_factory, monkeypatch):
    made = backups(source)
    path = made.paths[kind]
    small_batches(monkeypatch)
    with fresh_database(target, tmp_path_factory) as url:
        result = peaceplan(url, "restore", str(path))
        assert result.exit_code == 0, result.output
        tables, total = counted(made.rows)
        assert result.output == (
            f"Restored {tables} tables, {total:,} rows ({path.stat().st_size:,} bytes) from "
            f"{path} into {get_engine(url).url.render_as_string()}, now at revision {HEAD}.\n")
        assert rows_of(url) == made.rows
        next_ids_are_fresh(url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_older_revision_restores_as_upgrading_the_original_would(backend, tmp_path,
                                                                      tmp_path_factory):
    """The restore migrates to the backup's revision (down, here: the target was at head),
    loads the rows, then upgrades: the same rows as upgrading the original."""
    older = ScriptDirectory.from_config(Config(migrate.ALEMBIC_INI)).get_revision(
        HEAD).down_revision
    path = tmp_path / "older.jsonl.gz"
    with seeded_database(backend, tmp_path_factory) as url:
        fill(url)
        migrate.downgrade(get_engine(url), older)
        result = peaceplan(url, "backup", str(path))
        assert result.exit_code == 0 and f"at revision {older} " in result.output
        migrate.upgrade(get_engine(url))
        upgraded = rows_of(url)
    with fresh_database(backend, tmp_path_factory) as url:
        assert peaceplan(url, "migrate").exit_code == 0
        result = peaceplan(url, "restore", str(path))
        assert result.exit_code == 0, result.output
        assert result.output.endswith(f"now at revision {HEAD}.\n")
        assert rows_of(url) == upgraded


# --- Refusals ---


def _no_tables(database_url: str) -> bool:
    return inspect(get_engine(database_url)).get_table_names() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_holding_data_is_refused_and_kept(backend, backups, tmp_path,
                                                     tmp_path_factory):
    with seeded_database(backend, tmp_path_factory) as url:
        before = rows_of(url)
        refused(peaceplan(url, "restore", str(backups(backend).paths["portable"])),
                "already holds data")
        assert rows_of(url) == before


def _rewritten(path: Path, to: Path, change: Callable[[list[str]], list[str]]) -> Path:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    with gzip.open(to, "wt", encoding="utf-8") as f:
        f.writelines(change(lines))
    return to


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unknown_revision_or_a_cut_dump_restores_nothing(backend, backups, tmp_path,
                                                            tmp_path_factory):
    dump = backups("sqlite").paths["portable"]

    def unknown(lines: list[str]) -> list[str]:
        header = json.loads(lines[0]) | {"revision": "ffff_from_the_future"}
        return [json.dumps(header) + "\n", *lines[1:]]

    with fresh_database(backend, tmp_path_factory) as url:
        refused(peaceplan(url, "restore", str(_rewritten(dump, tmp_path / "new.gz", unknown))),
                "at revision ffff_from_the_future, which this version of Peaceplan does not "
                "know")
        assert _no_tables(url)
        # Cut before its last line: every table was made and every row inserted by then.
        cut = _rewritten(dump, tmp_path / "cut.gz", lambda lines: lines[:-1])
        refused(peaceplan(url, "restore", str(cut)), "cut short: nothing was restored")
        assert _no_tables(url)
        damaged = tmp_path / "damaged.gz"
        damaged.write_bytes(dump.read_bytes()[:-200])
        refused(peaceplan(url, "restore", str(damaged)), "is damaged")
        refused(peaceplan(url, "restore", __file__), "neither a Peaceplan dump nor a SQLite")
        assert _no_tables(url)


def test_backups_refuse_what_they_cannot_do(backups, tmp_path, tmp_path_factory):
    existing = backups("sqlite").paths["portable"]
    with seeded_database("sqlite", tmp_path_factory) as url:
        refused(peaceplan(url, "backup", str(existing)), "already exists")
    missing = tmp_path / "missing.db"
    refused(peaceplan(f"sqlite:///{missing}", "backup", str(tmp_path / "b.gz")),
            "There is no SQLite database")
    assert not missing.exists()
    with fresh_database("postgresql", tmp_path_factory) as url:
        refused(peaceplan(url, "backup", str(tmp_path / "b.db"), "--format", "sqlite"),
                "Only a SQLite database file can be copied as SQLite")


# --- While a server writes ---


def _consistent(database_url: str) -> int:
    """Every asset the writer added has its claim and its history, and nothing refers to
    a missing asset: what one transaction wrote is there whole or not at all."""
    with get_engine(database_url).connect() as connection:
        added = connection.scalars(text(
            "SELECT id FROM asset WHERE role LIKE 'Written during a backup %'")).all()
        cited = connection.scalars(text(
            "SELECT DISTINCT subject_id FROM citation WHERE subject_type = 'asset'")).all()
        recorded = connection.scalars(text(
            "SELECT DISTINCT subject_id FROM revision WHERE subject_type = 'asset'")).all()
        assets = set(connection.scalars(text("SELECT id FROM asset")).all())
    assert set(added) <= set(cited) & set(recorded)
    assert set(cited) <= assets
    return len(added)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_taken_while_the_server_writes_is_whole(backend, tmp_path, tmp_path_factory):
    kinds = ["sqlite", "portable"] if backend == "sqlite" else ["portable"]
    with seeded_database(backend, tmp_path_factory) as url:
        with Session(get_engine(url)) as session:
            plan_id = session.scalars(select(Plan.id)).first()
            source_id = session.scalars(select(Source.id)).first()
            editor = User(username="writer", role=Role.EDITOR, password_hash="unused")
            session.add(editor)
            session.commit()
            _, token = users.create_token(session, editor, users.TokenInput(name="writer"))
        written, stop = [], threading.Event()

        def write(base: str) -> None:
            with httpx.Client(base_url=base, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                while not stop.is_set():
                    response = client.post("/api/v1/assets", json={
                        "plan_id": plan_id, "country_code": "FR", "asset_type": "drone",
                        "posture": "monitoring", "stage": "committed", "certainty": "reported",
                        "role": f"Written during a backup {len(written)}",
                        "source_id": source_id})
                    assert response.status_code == 201, response.text
                    written.append(response.json()["id"])

        def until(count: int) -> None:
            while len(written) < count and writer.is_alive():
                stop.wait(0.02)
            assert len(written) >= count, "the writer stopped"

        with app_process(url) as base:
            writer = threading.Thread(target=write, args=(base,))
            writer.start()
            try:
                until(3)
                paths, during = {}, []
                for kind in kinds:
                    paths[kind] = tmp_path / f"during-{kind}"
                    result = peaceplan(url, "backup", str(paths[kind]), "--format", kind)
                    assert result.exit_code == 0, result.output
                    during.append(len(written))
                until(len(written) + 3)
            finally:
                stop.set()
                writer.join()
    if backend == "sqlite":
        with sqlite3.connect(paths["sqlite"]) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    for kind, path in paths.items():
        with fresh_database("sqlite", tmp_path_factory) as url:
            assert peaceplan(url, "restore", str(path)).exit_code == 0
            with sqlite3.connect(get_engine(url).url.database) as restored:
                assert restored.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert restored.execute("PRAGMA foreign_key_check").fetchall() == []
            # A write may be committed before the snapshot yet counted just after it.
            assert 3 <= _consistent(url) <= max(during) + 1 <= len(written)
            if kind == "sqlite":
                assert rows_of(url) == rows_of(f"sqlite:///{path}")
