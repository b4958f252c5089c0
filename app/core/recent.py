"""Answers computed a moment ago, reused while the server is busy (stale-while-busy).

The statistics are the dearest reads (≈ 20 ms of CPU each, against ≈ 7 for a page of tickets). A dozen
phones opening the dashboard at a shift start ask for the same figures within seconds; when the server is
behind (app/core/load.in_flight), the second one gets the first one's answer, whose `as_of` says when
it was computed. An idle server always computes afresh, so a figure checked by hand after a change
is the changed figure.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from app.core.config import get_settings
from app.core.load import in_flight

T = TypeVar("T")


class Recent:
    """At most `max_entries` answers, none kept past `keep_seconds` (default: stats_stale_seconds, the oldest
    answer a busy server may reuse): an idle process holds no figures it would never send again."""

    def __init__(self, max_entries: int = 512, keep_seconds: float | None = None):
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.keep_seconds = keep_seconds

    def get(self, key: Hashable, compute: Callable[[], T], *, max_age: float) -> T:
        """The answer for `key` if one at most `max_age` seconds old is at hand, else `compute()` (kept)."""
        if max_age > 0:
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None and time.monotonic() - hit[0] <= max_age:
                return hit[1]  # type: ignore[return-value]
        value = compute()
        keep = self.keep_seconds if self.keep_seconds is not None else get_settings().stats_stale_seconds
        now = time.monotonic()
        with self._lock:
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            # Oldest first (each answer moves to the end when stored): drop the expired and the surplus.
            while self._entries and (len(self._entries) > self.max_entries
                                     or now - next(iter(self._entries.values()))[0] > keep):
                self._entries.popitem(last=False)
        return value


def stale_allowed() -> float:
    """How old a reused answer may be now: stats_stale_seconds when busy, else 0 (compute afresh)."""
    settings = get_settings()
    return settings.stats_stale_seconds if in_flight() >= settings.busy_in_flight else 0.0
