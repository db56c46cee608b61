"""Per-process caches keyed on the data version.

Every entry is keyed on the version of the data it was computed from (`stamp`), so a
write through any process makes every older entry unreachable at once: a cache here is
never shared and never needs one. A worker that has not seen a key computes it itself.
Entries are bounded by size, least recently used first out.
"""

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.caching import stamp

T = TypeVar("T")


class LRU:
    """A thread-safe mapping bounded by the total size its entries declare."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def __len__(self) -> int:
        return len(self._items)


#: Facet counts and totals per filter: small, and reused while paging and sorting.
_memo = LRU(max_bytes=8 * 1024 * 1024)


def memo(session: Session, key: Hashable, compute: Callable[[], T], *,
         size: int | Callable[[T], int] = 0, version: str | None = None) -> T:
    """`compute()`, or its result for `key` at the data version this session sees.

    The version is read first, so an entry may hold data newer than its key (harmless:
    nobody asks for an older version once a newer one is committed) but never older.
    `size`, in bytes, or a function of the value giving it: a container's own size
    leaves out what it holds. `version`: another version to key on than the data's (the
    grouping version, `stamp.grouping`).
    """
    bind = session.get_bind()
    database = str(getattr(bind, "engine", bind).url)
    full_key = (database, version or stamp.seen(session).token, key)
    found = _memo.get(full_key)
    if found is not None:
        return found
    value = compute()
    if callable(size):
        size = size(value)
    _memo.put(full_key, value, size or sys.getsizeof(value) + 1024)
    return value
