"""The wire's view of the one paid path (issue #14 §1): every request HeyGen charges for must find, in the real
job store (read through its own SQLite connection, as another process would), a claim made for it before it
was sent, carrying its estimate. ``GuardedWire`` wraps any transport and records each charged request that
came without one; the ``wire`` fixture fails a test that sent one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx2

from heygen_studio.core import costs


class GuardedWire(httpx2.AsyncBaseTransport):
    """``inner`` with a check in front: a charged request without a prior claim and estimate is recorded."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, stores: Callable[[], list[Path]]) -> None:
        self.inner = inner
        self.stores = stores  # every job store a server under test may use (found at request time)
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
        for path in self.stores():
            if not path.exists():
                continue
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
                    continue  # another SQLite file (a test's decoy, the sandbox's own)
                # reserved (sending now), unknown (a lost answer being resent) or submitted (a repeat resent with
                # its key, which HeyGen replays free): each was priced and claimed before its first send
                rows = conn.execute("SELECT fingerprint, data FROM jobs")
                for fingerprint, data in rows:
                    mine = fingerprint == key if key else fingerprint.startswith(marker[3:])  # type: ignore[index]
                    if mine and "estimated_usd" in json.loads(data or "{}"):
                        return True
            finally:
                conn.close()
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
