"""One server process's ear on PostgreSQL: ``LISTEN`` on the job news channel, fed to its own wake-ups.

A webhook reaches one replica; its receiver ``NOTIFY``s the job ids (``core.replicas``: ``forget``'s ``announce``),
as does a poll that stored its result (``polled:<id>``). Each server process runs one ``JobListener`` (started with
the server's state, ``house.replicas``): a dedicated async connection, outside the store's pool, that hands every
payload's keys to ``on_keys`` (the process's ``JobSignals.notify``). When the connection fails it reconnects with a
capped backoff, and on every reconnection calls ``on_gap``: news sent while it was away is lost, so every local
waiter is woken to poll once. Cancelling ``run`` stops it and closes the connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import psycopg

from .replicas import CHANNEL

logger = logging.getLogger(__name__)

RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0)  # waits between reconnections; the last repeats


class JobListener:
    """``LISTEN`` on ``CHANNEL`` for as long as ``run`` runs. ``ready`` is set once it listens (again after each
    reconnection); ``heard`` counts the notifications it passed on."""

    def __init__(self, connect: Callable[[], Any], on_keys: Callable[[Iterable[str]], object],
                 on_gap: Callable[[], object], *, where: str, redact: Callable[[str], str] = lambda text: text
                 ) -> None:
        self._connect = connect
        self._on_keys = on_keys
        self._on_gap = on_gap
        self._where = where
        self._redact = redact
        self.ready = anyio.Event()
        self.heard = 0
        self.connections = 0

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                conn: psycopg.AsyncConnection[Any] = await self._connect()
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connections += 1
                    if self.connections > 1:
                        self._on_gap()  # news sent while it was away is lost: every local waiter polls once
                    self.ready.set()
                    failures = 0
                    async for note in conn.notifies():
                        self.heard += 1
                        self._on_keys(note.payload.split())
            except (psycopg.Error, OSError) as exc:
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                if self.ready.is_set():
                    self.ready = anyio.Event()
                logger.warning("job news from the other replicas is not heard (%s at %s); reconnecting in %g s",
                               self._redact(" ".join(str(exc).split()) or type(exc).__name__), self._where, wait)
                await anyio.sleep(wait)
