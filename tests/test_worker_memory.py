"""What a worker holds in memory whatever it serves: no parser it may never use, and a
small page cache per SQLite connection (the operating system caches the file once)."""

import subprocess
import sys

from sqlalchemy import text

from app.db import SQLITE_CACHE_KB, get_engine


def test_a_worker_starts_without_the_upload_parsers_or_alembic(tmp_path):
    code = ("import sys; from app.main import create_app; create_app(); "
            "print(sorted(m for m in ('bs4', 'pypdf', 'alembic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env={"DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                                         "PATH": ""}).stdout
    assert out.strip() == "[]"


def test_each_sqlite_connection_keeps_a_small_page_cache(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path}/b.db")
    with engine.connect() as conn:
        assert conn.scalar(text("PRAGMA cache_size")) == -SQLITE_CACHE_KB


def test_a_worker_builds_as_many_requests_at_once_as_configured(monkeypatch, tmp_path):
    from anyio import to_thread
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.main import create_app

    assert get_settings().request_threads == 40  # anyio's own default
    monkeypatch.setenv("REQUEST_THREADS", "6")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            tokens = client.portal.call(
                lambda: to_thread.current_default_thread_limiter().total_tokens)
    finally:
        get_settings.cache_clear()
    assert tokens == 6


def test_a_request_closes_the_sessions_it_opened(monkeypatch, engine):
    """Closed once the response is sent, whether the request read or not."""
    from fastapi.testclient import TestClient

    from app import db
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    opened = []
    real = db.new_session

    def tracked():
        opened.append(real())
        return opened[-1]

    monkeypatch.setattr(db, "new_session", tracked)
    try:
        with TestClient(create_app()) as client:
            assert client.get("/hello-missing").status_code == 404
            assert client.get("/api/v1/assets").status_code == 200
    finally:
        get_settings.cache_clear()
    assert opened and all(not s.in_transaction() for s in opened)
