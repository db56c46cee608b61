"""Typed settings, read from environment variables (and an optional `.env` file)."""

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The signed session cookie of a signed-in browser.
SESSION_COOKIE = "peaceplan_session"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./peaceplan.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs session cookies. Production sets it; without it a key is made once and kept in
    # SECRET_KEY_FILE, which every worker on this machine reads.
    secret_key: str | None = None
    secret_key_file: Path = Path(".peaceplan-secret")
    # Send the session cookie over HTTPS only (set it when serving behind TLS).
    session_https_only: bool = False
    session_max_age: int = 7 * 24 * 3600
    #: Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: comma-separated
    #: addresses or networks ("10.0.0.0/8, 127.0.0.1"). Empty: the peer is the client, so
    #: nobody can pick the address that sign-in throttling counts against.
    trusted_proxies: str = ""
    #: Cookies that make a request personal (a signed-in session): such requests bypass
    #: the shared page cache and get no ETag.
    private_cookies: list[str] = [SESSION_COOKIE]
    #: Memory per worker for whole responses kept by the page cache (0: keep none, but
    #: still answer If-None-Match with 304). 8 MB holds some 1,600 pages as browsers get
    #: them (gzipped, about 5 KB), and keeps a worker under 150 MB once it is full: the
    #: worker is about 95 MB at start, its counts and tallies take up to 20 more, and
    #: pages evicted and replaced leave the allocator holding about as much again as the
    #: cache holds.
    page_cache_mb: int = 8
    #: Requests a worker builds at once, each in a thread (anyio's default, 40). Rendering
    #: holds the GIL, so fewer add no throughput and save memory (each request being built
    #: holds its rows and its page); but a write waiting for a lock holds its thread, and
    #: reads must not queue behind writers: keep it above the writers expected at once.
    request_threads: int = Field(40, ge=1)
    #: Of those, how many build the list pages and the overview at once (`app.web.reads`).
    read_threads: int = Field(4, ge=1)
    #: The longest text a field takes (notes, summaries, quotes), in characters; a
    #: source's own text, often a whole article or report, may be longer.
    text_max_length: int = 20_000
    source_text_max_length: int = 2_000_000
    #: The largest request body taken, in megabytes (an uploaded source file included).
    max_body_mb: int = 25
    #: The licence the data package (/datapackage.zip) is offered under.
    package_license: str = "ODC-BY-1.0"
    package_license_title: str = "Open Data Commons Attribution License v1.0"
    package_license_url: str = "https://opendatacommons.org/licenses/by/1-0/"
    #: Send webhooks to loopback, private and link-local addresses too: for tests and
    #: one-machine set-ups only, since otherwise anyone who may subscribe could make the
    #: server reach into its own network.
    webhook_allow_private: bool = False
    #: Seconds a receiver has to answer one webhook request.
    webhook_timeout: float = 10.0
    #: Seconds to wait before each retry of a failed webhook, growing; after the last,
    #: the delivery is given up and shown as failed.
    webhook_retry_delays: list[float] = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600]
    #: The app's public address (https://peaceplan.example.org), for absolute links in
    #: webhooks and feeds written by the worker; empty: links are paths.
    public_url: str = ""

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which is not installed.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or the key in SECRET_KEY_FILE, created on first use (mode 600)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.secret_key_file
    if not path.exists():
        # Written aside, then linked into place: a link never overwrites, so when several
        # workers start at once they all end up with the one key that won.
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
