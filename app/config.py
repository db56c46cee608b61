"""Typed settings, read from environment variables (and an optional `.env` file)."""

from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./peaceplan.db"
    host: str = "127.0.0.1"
    port: int = 8000
    #: Cookies that make a request personal (a signed-in session): such requests bypass
    #: the shared page cache and get no ETag.
    private_cookies: list[str] = ["session"]
    #: Memory per worker for whole responses kept by the page cache (0: keep none, but
    #: still answer If-None-Match with 304).
    page_cache_mb: int = 32

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which is not installed.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
