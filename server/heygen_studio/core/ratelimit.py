"""Token buckets in memory, one per key (a person, an address): ``per_minute`` requests a minute on average, in
bursts of up to ``per_minute`` (issue #16 §4: one runaway agent cannot starve the others).

One process's count: each server process keeps its own buckets. A full bucket is the same as none, so buckets
that have refilled are dropped once there are many (memory stays bounded whatever the number of keys).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

PRUNE_AT = 10_000  # buckets kept before the full ones are dropped


class TokenBuckets:
    def __init__(self, per_minute: float, *, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be above 0")
        self.per_minute = per_minute
        self.burst = burst if burst is not None else per_minute
        self._rate = per_minute / 60.0  # tokens a second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self._rate)

    def take(self, key: str) -> float | None:
        """Take one token for ``key``: None when there was one, else the seconds until there is."""
        with self._lock:
            now = self._clock()
            tokens = self._level(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self._rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > PRUNE_AT:
                self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.burst}
            return None

    def wait(self, key: str) -> float | None:
        """The seconds until ``key`` may take a token again, without taking one; None when it may now."""
        with self._lock:
            tokens = self._level(key, self._clock())
        return None if tokens >= 1.0 else (1.0 - tokens) / self._rate


def retry_after(seconds: float) -> int:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))
