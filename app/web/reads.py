"""Threads for building the public read pages, apart from the rest.

A page build holds the GIL for most of its time, so building more pages at once than a
few adds no throughput: it holds more rows and pages in memory at once, and shares the
GIL so that every request in flight finishes late (the slowest requests of a burst wait
longest). The list pages and the overview are built on a few threads of their own
(`Settings.read_threads`), in the order they came; other routes, writes among them (which
may wait on a lock for seconds), keep the thread pool's 40, so a read never queues
behind a writer, nor a writer behind reads.
"""

from collections.abc import Callable
from typing import Any

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar

from app.config import get_settings

_LIMITER: RunVar[CapacityLimiter] = RunVar("read_limiter")


def _limiter() -> CapacityLimiter:
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(get_settings().read_threads)
        _LIMITER.set(limiter)
        return limiter


async def build(func: Callable[..., Any], *args: Any) -> Any:
    """`func(*args)` on one of the read pages' threads."""
    return await to_thread.run_sync(func, *args, limiter=_limiter())
