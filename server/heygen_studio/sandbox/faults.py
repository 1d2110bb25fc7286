"""Fault injection: make the next matching request(s) fail in a chosen way.

``state.faults.inject("POST", "/v3/videos", "status", status=429, retry_after=2)`` and the next
``POST /v3/videos`` gets a 429. ``path`` is an exact path or an ``fnmatch`` glob
(``"/v3/videos/*"``); ``method`` may be ``"*"``. ``times=-1`` keeps the fault forever.

Kinds:

* ``status``     — that HTTP status with a v3 error envelope (v2 envelope on ``/v2`` paths);
  ``Retry-After`` when ``retry_after`` is given.
* ``slow``       — sleep ``delay`` seconds of real time, then handle normally.
* ``drop``       — drop the connection before processing (``DroppedConnection``).
* ``drop_after`` — process the request fully (the job is created), then drop the connection.
* ``malformed``  — HTTP 200 whose body is not JSON.
* ``error200``   — HTTP 200 whose JSON body is an error envelope.
* ``not_found``  — 404 error envelope.
* ``retired``    — 404 with the v2 ``endpoint_retired`` envelope.

Every injected response carries the header ``x-sandbox-fault: <kind>``.

A batch's items: a ``status`` fault on ``POST <batch path>/items/<n>`` (``"/v3/videos/batches/items/1"``, or a
glob) fails item ``n`` of the next batch with that code, alone (routes/batches.py).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

KINDS = frozenset({"status", "slow", "drop", "drop_after", "malformed", "error200", "not_found", "retired"})

DEFAULT_CODES = {
    400: "validation_error",
    401: "unauthorized",
    402: "insufficient_credit",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@dataclass
class Fault:
    method: str
    path: str
    kind: str
    times: int = 1
    status: int = 500
    code: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method != method.upper():
            return False
        return path == self.path or fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.times >= 0 and self.hits >= self.times

    @property
    def error_code(self) -> str:
        if self.code:
            return self.code
        if self.kind == "not_found":
            return "not_found"
        if self.kind == "retired":
            return "endpoint_retired"
        if self.kind == "error200":
            return "internal_error"
        return DEFAULT_CODES.get(self.status, "internal_error" if self.status >= 500 else "error")


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def inject(
        self,
        method: str,
        path: str,
        kind: str,
        *,
        times: int = 1,
        status: int = 500,
        code: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        if kind == "status" and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        fault = Fault(method.upper(), path, kind, times, status, code, retry_after, delay)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching the request; counts one use of it."""
        for fault in self.faults:
            if not fault.exhausted and fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        return [f for f in self.faults if not f.exhausted]
