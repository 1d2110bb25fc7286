"""What the replicas of one server share through the job store: poll leases, hold-offs, wake-ups.

Every replica (and every server process on one SQLite file) sees the same store, so these live there, written once
as SQL both backends run (``core.sql.Database``; tables of schema migration 4):

- **Poll leases** (``polls``: scope + job id, holder, until, the last result as JSON, when it was polled): at most
  one upstream poll per job per interval across all replicas and all waiting callers. ``take`` answers with the
  stored result when it is fresh, else gives the lease to the caller (free, expired, or held by a process of this
  machine that died), else says who holds it and until when; the holder ``put``s its result (releasing the lease),
  or ``drop``s the lease when its poll failed. A webhook's news ``forget``s the stored results of its jobs.
- **Hold-offs** (``holdoffs``: an account, the time before which nothing is sent for it): a 429 with Retry-After
  for a key seen by one replica holds every replica off that key until then (``SharedLimit``, the HTTP layer's).
- **Wake-ups** (``announce`` of ``put``, ``drop`` and ``forget``): on PostgreSQL, a ``NOTIFY`` in the same write on
  ``CHANNEL`` whose payload is the keys that changed (job ids; ``polled:<id>`` when a poll's result was stored);
  each server process listens (``core.notify_pg``) and feeds its own ``JobSignals``. SQLite: nothing to send (one
  machine; the other processes' waiters poll).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import HeyGenError
from .sql import Conn, Database

logger = logging.getLogger(__name__)

CHANNEL = "heygen_jobs"
"""The PostgreSQL ``NOTIFY`` channel of job news."""
MAX_PAYLOAD = 7900  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more


def polled(job_id: str) -> str:
    """The wake-up key of "a poll of ``job_id`` stored its result" (not news of the job itself)."""
    return f"polled:{job_id}"


@dataclass(frozen=True)
class Take:
    """``take``'s answer: ``result`` (fresh: use it), else ``mine`` (poll, then ``put`` or ``drop``), else the lease is
    another caller's until ``until`` (wait for its result)."""

    result: str | None = None
    mine: bool = False
    until: float = 0.0


class Coordination:
    """The shared tables on one ``Database``. Every call is one short transaction; failures are ``StoreError``."""

    def __init__(self, db: Database, *, gone: Callable[[str], bool] = lambda holder: False) -> None:
        self.db = db
        self._gone = gone
        """Whether a holder is certainly dead (``core.store``'s owner check): its lease is free before it expires."""

    # -- poll leases ---------------------------------------------------------------------------
    def take(self, scope: str, job_id: str, holder: str, *, fresh_s: float, hold_s: float) -> Take:
        """The stored result if polled within ``fresh_s``; else the lease for ``hold_s`` if nobody live holds it."""
        now = time.time()
        with self.db.tx(write=True, lock=f"polls:{scope}#{job_id}") as conn:
            row = conn.execute("SELECT holder, until, result, polled_at FROM polls WHERE scope = ? AND job_id = ?",
                               (scope, job_id)).fetchone()
            if row is not None:
                held_by, until, result, polled_at = row
                if result is not None and polled_at is not None and now - float(polled_at) < fresh_s:
                    return Take(result=str(result))
                if held_by and held_by != holder and until is not None and float(until) > now \
                        and not self._gone(str(held_by)):
                    return Take(until=float(until))
            conn.execute("INSERT INTO polls (scope, job_id, holder, until) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (scope, job_id) DO UPDATE SET holder = excluded.holder, until = excluded.until",
                         (scope, job_id, holder, now + hold_s))
        return Take(mine=True, until=now + hold_s)

    def put(self, scope: str, job_id: str, holder: str, result: str, *, announce: Iterable[str] = ()) -> None:
        """Store a poll's result (fresh from now) and release the lease; ``announce`` these keys in the same
        transaction (``announce``: sent when it commits)."""
        with self.db.tx(write=True, lock=f"polls:{scope}#{job_id}") as conn:
            conn.execute("INSERT INTO polls (scope, job_id, holder, until, result, polled_at) "
                         "VALUES (?, ?, NULL, NULL, ?, ?) ON CONFLICT (scope, job_id) DO UPDATE SET holder = NULL, "
                         "until = NULL, result = excluded.result, polled_at = excluded.polled_at",
                         (scope, job_id, result, time.time()))
            self._notify(conn, announce)

    def drop(self, scope: str, job_id: str, holder: str, *, announce: Iterable[str] = ()) -> None:
        """Release a lease whose poll failed: the next caller polls. ``announce``: as ``put``'s."""
        with self.db.tx(write=True, lock=f"polls:{scope}#{job_id}") as conn:
            conn.execute("UPDATE polls SET holder = NULL, until = NULL WHERE scope = ? AND job_id = ? AND holder = ?",
                         (scope, job_id, holder))
            self._notify(conn, announce)

    def read(self, scope: str, job_id: str) -> str | None:
        """The last stored result, however old."""
        with self.db.tx(write=False) as conn:
            row = conn.execute("SELECT result FROM polls WHERE scope = ? AND job_id = ?", (scope, job_id)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def forget(self, job_ids: Iterable[str], *, announce: bool = False) -> None:
        """News of these jobs (a webhook): their stored results are stale in every scope, the next caller polls.
        ``announce``: and tell every server process so, in the same transaction (sent when it commits)."""
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return
        with self.db.tx(write=True) as conn:
            marks = ", ".join("?" * len(ids))
            conn.execute(f"UPDATE polls SET result = NULL, polled_at = NULL WHERE job_id IN ({marks})", ids)
            if announce:
                self._notify(conn, ids)

    # -- hold-offs -----------------------------------------------------------------------------
    def hold_off(self, account: str, until: float) -> None:
        """Nothing is sent for ``account`` before ``until`` (a later hold-off already stored stands)."""
        with self.db.tx(write=True, lock=f"holdoffs:{account}") as conn:
            conn.execute("INSERT INTO holdoffs (account, not_before) VALUES (?, ?) ON CONFLICT (account) DO UPDATE "
                         "SET not_before = excluded.not_before WHERE holdoffs.not_before < excluded.not_before",
                         (account, until))

    def not_before(self, account: str) -> float | None:
        """When requests for ``account`` may go again; None when they may now."""
        with self.db.tx(write=False) as conn:
            row = conn.execute("SELECT not_before FROM holdoffs WHERE account = ?", (account,)).fetchone()
        if row is None or float(row[0]) <= time.time():
            return None
        return float(row[0])

    # -- wake-ups ------------------------------------------------------------------------------
    def _notify(self, conn: Conn, keys: Iterable[str]) -> None:
        """Tell every server process on this database that ``keys`` changed: ``NOTIFY`` in the caller's write
        transaction, sent when it commits, never if it rolls back (PostgreSQL; SQLite: nothing to send)."""
        if self.db.dialect.name != "postgresql":
            return
        payloads: list[str] = []
        for key in dict.fromkeys(keys):
            if payloads and len(payloads[-1]) + len(key) + 1 < MAX_PAYLOAD:
                payloads[-1] += f" {key}"
            elif key and len(key) < MAX_PAYLOAD and " " not in key:
                payloads.append(key)
        for payload in payloads:
            conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, payload))


class SharedLimit:
    """One key's hold-off, as the HTTP layer checks it before each request and sets on a 429 with Retry-After
    (``core.http.HeyGenHTTP.limit``). ``account``: the API and the key's hash (never the key), so every person
    spending one key, on every replica, is held off together. A store that cannot be read holds nothing off
    (logged): HeyGen's own 429 still stands behind it."""

    def __init__(self, shared: Coordination, account: str) -> None:
        self.shared = shared
        self.account = account

    def not_before(self) -> float | None:
        try:
            return self.shared.not_before(self.account)
        except HeyGenError as exc:
            logger.warning("job store: %s", exc.describe())
            return None

    def hold_off(self, until: float) -> None:
        try:
            self.shared.hold_off(self.account, until)
        except HeyGenError as exc:
            logger.warning("job store: %s", exc.describe())
