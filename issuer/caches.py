"""Per-worker caches: bounded in size and in time, safe to share between threads.

Each application (one per worker process) keeps its caches in ``app.extensions`` or its
:class:`~issuer.config.Settings`, never in module globals, so two apps in one process
(tests, the CLI next to a server) never see each other's entries. Entries are keyed by
what determines them (key ids, status list ETags, stored document ids), so a change in
the database is seen by every worker at its next request without any message between
workers; the time bound only limits how long an unused entry holds memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

_V = TypeVar("_V")


class BoundedCache(Generic[_V]):
    """At most ``max_entries`` values, each kept at most ``ttl_seconds`` (LRU beyond that).

    ``timer`` is a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        *,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: TTLCache[Hashable, _V] = TTLCache(max_entries, ttl_seconds, timer=timer)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def max_entries(self) -> int:
        """The size bound."""
        return int(self._entries.maxsize)

    def get(self, key: Hashable) -> _V | None:
        """Return the live value stored under ``key``, or ``None``."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: _V) -> None:
        """Store ``value`` under ``key`` (dropping the oldest entry if full)."""
        with self._lock:
            self._entries[key] = value

    def get_or_make(self, key: Hashable, make: Callable[[], _V]) -> _V:
        """Return the value under ``key``, making and storing it if absent.

        ``make`` runs outside the lock: two threads missing at once both make the value,
        and the later one is kept (values under one key are interchangeable).
        """
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        self.put(key, value)
        return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
