"""`peaceplan create-user`: the password at a hidden prompt (twice) or from standard input."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.accounts import users
from app.cli import cli, first_admin_hint
from app.config import get_settings
from app.plan.records import User
from app.plan.vocab import Role

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def database(engine, monkeypatch):
    """The command's DATABASE_URL is the test database; accounts it made go afterwards."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(delete(User).where(User.username.in_(["root", "script"])))


def _user(engine, name) -> User | None:
    with Session(engine) as session:
        return session.scalar(select(User).where(User.username == name))


def test_prompts_twice_and_creates_an_admin(database):
    result = runner.invoke(cli, ["create-user", "Root", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created root (administrator)" in result.output
    assert PASSWORD not in result.output  # hidden
    user = _user(database, "root")
    assert user.role == Role.ADMIN and user.active
    with Session(database) as session:
        assert users.authenticate(session, "root", PASSWORD).id == user.id


def test_password_from_stdin(database):
    result = runner.invoke(cli, ["create-user", "script", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output  # no prompt
    assert _user(database, "script").role == Role.EDITOR


def test_existing_name_is_refused(database):
    runner.invoke(cli, ["create-user", "root", "--password-stdin"], input=PASSWORD)
    result = runner.invoke(cli, ["create-user", "ROOT", "--role", "admin",
                                 "--password-stdin"], input="another long password")
    assert result.exit_code == 1
    assert "There is already an account named root. Choose another name." in result.output
    assert _user(database, "root").role == Role.EDITOR


@pytest.mark.parametrize(("args", "typed", "message"), [
    (["--password-stdin"], "short\n", "Password: Use at least 10 characters."),
    ([], f"{PASSWORD}\nnot the same one\n", "Password confirm: The two passwords differ."),
])
def test_bad_passwords_are_refused(database, args, typed, message):
    result = runner.invoke(cli, ["create-user", "root", *args], input=typed)
    assert result.exit_code == 2
    assert message in result.output
    assert _user(database, "root") is None


def test_serve_tells_how_to_create_the_first_admin(session):
    hint = first_admin_hint(session)
    assert hint and "peaceplan create-user NAME --role admin" in hint
    session.add(User(username="someone", password_hash="x", role=Role.VIEWER))
    session.flush()
    assert first_admin_hint(session) is None
