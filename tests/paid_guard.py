"""The wire's view of the one paid path (issue #14 §1): every request HeyGen charges for must find, in the real
job store (read through its own connection, as another process would: the SQLite files, or the PostgreSQL
database HEYGEN_STORE_URL names), a claim made for it before it was sent, carrying its estimate. ``GuardedWire``
wraps any transport and records each charged request that came without one; the ``wire`` fixture fails a test
that sent one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx2

from heygen_studio.core import costs


class GuardedWire(httpx2.AsyncBaseTransport):
    """``inner`` with a check in front: a charged request without a prior claim and estimate is recorded."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, claims: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self.inner = inner
        self.claims = claims  # (fingerprint, data) of every job store a server under test may use, read at request time
        self.unguarded: list[str] = []
        self.guarded = 0

    def __getattr__(self, name: str) -> object:  # the contract checker's figures, and anything else, pass through
        return getattr(self.inner, name)

    def _claimed(self, request: httpx2.Request) -> bool:
        key = request.headers.get("idempotency-key")
        marker = None
        if key is None:  # v2 takes no key: the create carries the claim's marker as its callback_id
            try:
                marker = json.loads(request.content or b"{}").get("callback_id")
            except ValueError:
                return False
            if not isinstance(marker, str) or not marker.startswith("hs-"):
                return False
        # reserved (sending now), unknown (a lost answer being resent) or submitted (a repeat resent with its key,
        # which HeyGen replays free): each was priced and claimed before its first send
        for fingerprint, data in self.claims():
            mine = fingerprint == key if key else fingerprint.startswith(marker[3:])  # type: ignore[index]
            if mine and "estimated_usd" in json.loads(data or "{}"):
                return True
        return False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if costs.charges(request.method, request.url.path):
            if self._claimed(request):
                self.guarded += 1
            else:
                self.unguarded.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def sqlite_claims(root: Path) -> Iterator[tuple[str, str]]:
    """(fingerprint, data) of every job in the SQLite job stores under ``root``."""
    for path in root.rglob("*.sqlite3"):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
                continue  # another SQLite file (a test's decoy, the sandbox's own)
            yield from conn.execute("SELECT fingerprint, data FROM jobs").fetchall()
        finally:
            conn.close()
