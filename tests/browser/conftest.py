"""Browser tests: Playwright drives Debian's Chromium against `peaceplan serve` on a fresh
SQLite database (so they also prove that the run command migrates and seeds by itself).

Without /usr/bin/chromium they skip with a printed reason, unless PEACEPLAN_REQUIRE_BROWSER=1
(set by CI), which turns the skip into a failure. Playwright never downloads a browser here.
"""

import os
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
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'peaceplan.db'}"
    with serving(_serve_command, url) as base:
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
