"""The list pages and the overview are built on a few threads of their own: a burst of
them runs at most `read_threads` at once, and a write waiting on the thread pool's other
threads does not hold them up."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from app.config import get_settings
from app.web.routes import rows


def test_a_burst_of_list_pages_builds_a_few_at_a_time(client, monkeypatch):
    running, most, lock = 0, 0, threading.Lock()
    real = rows.render_list

    def counted(*args, **kwargs):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the burst to overlap
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(rows, "render_list", counted)
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda i: client.get(f"/assets?page={i % 3 + 1}&x={i}")
                                 .status_code, range(12)))
    assert statuses == [200] * 12
    assert 1 < most <= get_settings().read_threads == 4
