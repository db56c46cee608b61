"""App processes for tests: a server in a subprocess on a free port, stopped afterwards."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command: Callable[[int], list[str]], database_url: str) -> Iterator[str]:
    """Run `command(port)` on `database_url` until `/` answers 200; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Output to a file: a pipe nobody reads could fill up and block the process.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command(port),
                                   env={**os.environ, "DATABASE_URL": database_url},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{command(port)} did not start:\n{log.seek(0) or log.read()}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def app_process(database_url: str):
    """One app process, as a production worker runs it (no migration, no seeding)."""
    return serving(lambda port: [sys.executable, "-m", "uvicorn", "app.main:create_app",
                                 "--factory", "--port", str(port), "--log-level", "warning"],
                   database_url)
