"""Clocks for the sandbox: every time-based state reads ``clock.now()`` (unix seconds, float)."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time (used when the sandbox is served with uvicorn)."""

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to: ``advance(seconds)``. Tests use it to step jobs."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a ManualClock cannot go backwards")
        self._now += float(seconds)
        return self._now

    def set(self, timestamp: float) -> None:
        if timestamp < self._now:
            raise ValueError("a ManualClock cannot go backwards")
        self._now = float(timestamp)

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
