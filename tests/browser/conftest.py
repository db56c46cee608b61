"""Browser tests: Playwright drives Debian's Chromium against `peaceplan serve` on a fresh
SQLite database (so they also prove that the run command migrates and seeds by itself).

Without /usr/bin/chromium they skip with a printed reason, unless PEACEPLAN_REQUIRE_BROWSER=1
(set by CI), which turns the skip into a failure. Playwright never downloads a browser here.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import serving

CHROMIUM = Path(os.environ.get("PEACEPLAN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("PEACEPLAN_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_present() -> None:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; PEACEPLAN_REQUIRE_BROWSER=1")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the live server, for running `peaceplan` commands beside it."""
    return {**os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('live') / 'peaceplan.db'}"}


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    with serving(_serve_command, live_env["DATABASE_URL"]) as base:
        yield base


def _serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def create_user(live_env: dict[str, str]):
    """Make an account in the live server's database with the console command."""

    def create(name: str, role: str, password: str) -> None:
        created = subprocess.run(
            [sys.executable, "-m", "app.cli", "create-user", name, "--role", role,
             "--password-stdin"],
            input=password + "\n", env=live_env, capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr

    return create
