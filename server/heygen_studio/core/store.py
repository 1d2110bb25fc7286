"""The job store: every job this user's server processes submitted, in one SQLite file.

One store per user (``HEYGEN_STATE_DIR``, else the platform's state folder), shared by every server
process whatever its output folder: Claude Desktop, Cursor and a shell on one machine see one list
of jobs, and none of them pays for a job another already paid for.

**Reserve before you pay.** A paid create first *claims* its fingerprint (the request's identity,
its idempotency key) in a short ``BEGIN IMMEDIATE`` transaction, then sends, then *settles* the
claim with HeyGen's id. A second identical create, in this process or another, at once or within
24 h, finds the claim: a settled one answers with that job; a live one is waited for; one whose
owner died (``kill -9`` between send and record) or whose answer was lost (a dropped connection)
is *unknown*, and the caller must reconcile with HeyGen before it may send (v3: replay the same
``Idempotency-Key``; v2: find the job by the marker it sent). When no claim can be written (a
read-only or full disk, a foreign or symlinked file), ``StoreError`` says so and nothing is paid.

Every row is scoped to the API base URL and account it was made with (``Scope``): a job made on
the embedded sandbox never answers for the real API. Rows hold no secrets: ids, kinds, titles,
and a fingerprint that is a hash.

The rules are written once (``SQLJobStore``) against a ``core.sql.Database``: SQLite is the embedded default
(``SQLiteJobStore``: WAL, a busy timeout, short transactions, one connection per process behind a lock);
PostgreSQL (``core.store_pg.PostgresJobStore``, ``HEYGEN_STORE_URL``) serves replicas on several machines.
``core.backends.open_store`` opens the one the settings name.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import socket
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from .errors import HeyGenError
from .replicas import Coordination
from .sql import Conn, Database, SQLiteDatabase
from .sql import StoreError as StoreError  # where it always was for callers

logger = logging.getLogger(__name__)

REPLAY_WINDOW_S = 24 * 3600  # HeyGen replays an Idempotency-Key for 24 h (contract: Idempotency-Key parameter)
DEFAULT_LEASE_S = 180.0
STORE_FILE = "jobs.sqlite3"
ClaimState = Literal["new", "submitted", "in_flight", "unknown"]
JobKind = Literal["video", "agent", "translation", "look", "lipsync", "voice", "batch"]
"""The kinds of job HeyGen runs for us; a job id is ``<kind>:<HeyGen id>`` (``batch``: our own id for a
produce_videos batch, whose items are jobs of the other kinds)."""
JOB_KINDS: frozenset[str] = frozenset(get_args(JobKind))
RecordKind = JobKind | Literal["asset", "produce", "produce_plan", "speech", "agent_reply"]
"""What the store records: jobs, plus uploads, produce_video plans that stand in for keys, and speech made
(a paid create HeyGen answers at once: no job to poll), and replies to a Video Agent session (paid: a new run of
the session's job)."""

_COLUMNS = "scope, fingerprint, kind, state, job_id, owner, lease_until, title, data, created_at, updated_at"


DAY_S = 24 * 3600.0  # HEYGEN_DAILY_CREDITS counts what was reserved in a rolling 24 h
SERVER_LIMIT = "HEYGEN_DAILY_CREDITS (a server setting)"
"""Who sets a daily limit, as a refusal names it: the server's setting (``PERSON_LIMIT``: a person's own)."""
PERSON_LIMIT = "your daily limit (the server's administrator sets it: heygen-studio tokens add --daily-credits)"


class DailyLimitError(HeyGenError):
    """A paid create would take this account's spending in the last 24 h over its daily limit."""

    default_hint = "Nothing was sent or charged."


@dataclass(frozen=True)
class Scope:
    """Which API and account a row belongs to. The account is a hash of the key, never the key."""

    base_url: str
    account: str

    @classmethod
    def of(cls, base_url: str, api_key: str | None, *, instance: str | None = None,
           person: str | None = None) -> Scope:
        """``instance`` separates HeyGens that share a URL but not their jobs (each embedded sandbox); ``person``
        (a ``core.people.Person`` id) separates the people of a team server who spend one key."""
        account = hashlib.sha256((api_key or "").encode()).hexdigest()[:16] if api_key else "no-key"
        account = f"{account}/{instance}" if instance else account
        return cls(base_url.rstrip("/"), f"{account}@{person}" if person else account)

    @property
    def key(self) -> str:
        return f"{self.base_url}#{self.account}"

    @property
    def key_holder(self) -> str:
        """The API and the key (its hash), less the person: what HeyGen's rate limits count (``SharedLimit``)."""
        return f"{self.base_url}#{self.account.partition('@')[0]}"


@dataclass
class Job:
    """What a paid create is, for the job store: its kind, its title, and fields to keep with it."""

    kind: RecordKind
    title: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobRecord:
    kind: str
    fingerprint: str
    state: str
    job_id: str | None
    title: str | None
    created_at: float
    updated_at: float
    owner: str | None = None
    lease_until: float | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """Extra fields (api, expected_s, language…) by name."""
        return self.data.get(name, default)


@dataclass
class Claim:
    """The answer to ``claim``: ``new`` (yours: send, then settle or release), ``submitted`` (paid
    already: use ``record``), ``in_flight`` (another call is sending: wait), ``unknown`` (sent, with no
    answer recorded: reconcile with HeyGen, then settle or ``retake``)."""

    state: ClaimState
    fingerprint: str
    record: JobRecord | None = None
    token: str | None = None


class JobStore(Protocol):
    """What every backend offers (``SQLJobStore`` on SQLite or PostgreSQL). All calls are short and synchronous."""

    def claim(self, scope: Scope, fingerprint: str, kind: str, *, title: str | None = None,
              lease_s: float = DEFAULT_LEASE_S, data: dict[str, Any] | None = None,
              cost: float = 0.0, daily_limit: float | None = None, limit_from: str = SERVER_LIMIT) -> Claim: ...
    def spent(self, scope: Scope, *, window_s: float = DAY_S) -> list[tuple[float, float]]: ...
    def retake(self, scope: Scope, claim: Claim, *, lease_s: float = DEFAULT_LEASE_S) -> Claim: ...
    def settle(self, scope: Scope, claim: Claim, job_id: str, **data: Any) -> JobRecord: ...
    def mark_unknown(self, scope: Scope, claim: Claim) -> None: ...
    def release(self, scope: Scope, claim: Claim) -> None: ...
    def record(self, scope: Scope, *, kind: str, job_id: str, fingerprint: str | None = None,
               title: str | None = None, **data: Any) -> JobRecord: ...
    def get(self, scope: Scope, job_id: str) -> JobRecord | None: ...
    def find(self, scope: Scope, fingerprint: str, *, max_age_s: float | None = None) -> JobRecord | None: ...
    def find_upload(self, scope: Scope, size: int) -> JobRecord | None: ...
    def recent(self, scope: Scope, limit: int = 20) -> list[JobRecord]: ...
    def update(self, scope: Scope, job_id: str, **data: Any) -> None: ...
    def update_everywhere(self, base_url: str, job_id: str, **data: Any) -> int: ...
    def remember_event(self, event_id: str, *, max_age_s: float) -> bool: ...
    def holding(self, scope: Scope, *, since: float) -> list[JobRecord]: ...
    @property
    def shared(self) -> Coordination: ...
    def close(self) -> None: ...


@functools.cache
def _host() -> str:
    """This machine, as an owner names it: its host name, and on Linux which boot of which kernel and which process
    namespace (two machines may share a host name, and two containers a kernel, but not all three): a process id is
    judged alive or dead only where it names the same process."""
    name = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name
    return f"{name}/{hashlib.sha256(f'{boot}/{namespace}'.encode()).hexdigest()[:12]}"


def _owner() -> str:
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_dead(owner: str | None) -> bool:
    """True only when the owner is certainly gone: a process of this host that no longer runs."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _host() or not pid_text.isdigit():
        return False  # another machine (a shared database): only its lease can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    return False


_UPSERT = "ON CONFLICT (scope, fingerprint) DO UPDATE SET " + ", ".join(
    f"{column} = excluded.{column}" for column in _COLUMNS.split(", ")[2:])


class SQLJobStore:
    """The job store's rules, on any ``Database``; every failure of the database is a ``StoreError`` naming it.

    Every write transaction of a scope names the scope as its lock: on SQLite the file's write lock already runs
    each alone; on PostgreSQL it is an advisory lock, so a claim's check and write, and a daily limit's sum and
    reservation, are one step for every replica (two creates of one fingerprint cannot both be ``new``; two
    creates racing for the last dollars cannot both pass)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.owner = _owner()
        self.shared = Coordination(db, gone=_owner_is_dead)
        """What the replicas share besides jobs: poll leases, hold-offs, wake-ups (``core.replicas``)."""

    @staticmethod
    def _lock(scope: Scope) -> str:
        return f"jobs:{scope.key}"

    @staticmethod
    def _row(row: tuple[Any, ...]) -> JobRecord | None:
        """A row as a record; a malformed row (hand-edited, foreign) is skipped with a warning."""
        try:
            (_, fingerprint, kind, state, job_id, owner, lease, title, data, created, updated) = row
            extra = json.loads(data) if data else {}
            if not isinstance(extra, dict):
                extra = {}
            return JobRecord(kind=str(kind), fingerprint=str(fingerprint), state=str(state),
                             job_id=None if job_id is None else str(job_id), title=title,
                             created_at=float(created), updated_at=float(updated), owner=owner,
                             lease_until=None if lease is None else float(lease), data=extra)
        except (ValueError, TypeError):
            logger.warning("skipping a malformed row in the job store")
            return None

    def _select(self, conn: Conn, where: str, args: tuple[Any, ...]) -> JobRecord | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE {where}", args).fetchone()
        return None if row is None else self._row(tuple(row))

    # -- claims --------------------------------------------------------------------------------
    def claim(self, scope: Scope, fingerprint: str, kind: str, *, title: str | None = None,
              lease_s: float = DEFAULT_LEASE_S, data: dict[str, Any] | None = None,
              cost: float = 0.0, daily_limit: float | None = None, limit_from: str = SERVER_LIMIT) -> Claim:
        """``cost``: dollars this create will spend, reserved with the claim (``reserved_usd``) and counted
        against ``daily_limit`` (the account's rolling 24 h) in the same transaction, so processes racing for
        the last dollars cannot both pass; a release (HeyGen refused) gives them back. ``limit_from``: who sets
        the limit, for the refusal to name (``within_daily_limit``)."""
        now = time.time()
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            rec = self._select(conn, "scope = ? AND fingerprint = ?", (scope.key, fingerprint))
            if rec is not None and now - rec.created_at > REPLAY_WINDOW_S and rec.state == "submitted":
                conn.execute("DELETE FROM jobs WHERE scope = ? AND fingerprint = ?", (scope.key, fingerprint))
                rec = None  # older than HeyGen's replay window: a new job, by design
            if rec is None:
                if cost > 0:
                    if daily_limit is not None:
                        within_daily_limit(self._spent(conn, scope, now, DAY_S), cost, daily_limit, now, limit_from)
                    data = {**(data or {}), "reserved_usd": round(cost, 4)}
                conn.execute(  # (over a malformed row, which ``_select`` skipped)
                    f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, 'reserved', NULL, ?, ?, ?, ?, ?, ?) {_UPSERT}",
                    (scope.key, fingerprint, kind, self.owner, now + lease_s, title,
                     json.dumps(data or {}, separators=(",", ":")), now, now))
                return Claim("new", fingerprint, token=self.owner)
            if rec.state == "submitted":
                return Claim("submitted", fingerprint, record=rec)
            live = rec.owner is not None and (rec.lease_until or 0) > now and not _owner_is_dead(rec.owner)
            if live:  # another call (here or in another process) is sending or reconciling it now
                return Claim("in_flight", fingerprint, record=rec)
            # reserved by a dead owner, an expired lease, or a send whose answer was lost
            conn.execute("UPDATE jobs SET state = 'unknown', owner = ?, lease_until = ?, updated_at = ? "
                         "WHERE scope = ? AND fingerprint = ?",
                         (self.owner, now + lease_s, now, scope.key, fingerprint))
            return Claim("unknown", fingerprint, record=rec, token=self.owner)

    def retake(self, scope: Scope, claim: Claim, *, lease_s: float = DEFAULT_LEASE_S) -> Claim:
        """After reconciling found nothing at HeyGen: the claim is yours to send, as a new one."""
        now = time.time()
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            conn.execute("UPDATE jobs SET state = 'reserved', owner = ?, lease_until = ?, updated_at = ? "
                         "WHERE scope = ? AND fingerprint = ? AND state != 'submitted'",
                         (self.owner, now + lease_s, now, scope.key, claim.fingerprint))
        return Claim("new", claim.fingerprint, token=self.owner)

    def settle(self, scope: Scope, claim: Claim, job_id: str, **data: Any) -> JobRecord:
        now = time.time()
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            rec = self._select(conn, "scope = ? AND fingerprint = ?", (scope.key, claim.fingerprint))
            merged = {**(rec.data if rec else {}), **{k: v for k, v in data.items() if v is not None}}
            conn.execute(
                "UPDATE jobs SET state = 'submitted', job_id = ?, owner = NULL, lease_until = NULL, data = ?, "
                "updated_at = ? WHERE scope = ? AND fingerprint = ?",
                (job_id, json.dumps(merged, separators=(",", ":")), now, scope.key, claim.fingerprint))
            settled = self._select(conn, "scope = ? AND fingerprint = ?", (scope.key, claim.fingerprint))
        if settled is None:  # the row vanished (deleted by hand): record it anew
            return self.record(scope, kind=rec.kind if rec else "video", job_id=job_id,
                               fingerprint=claim.fingerprint, title=rec.title if rec else None, **merged)
        return settled

    def mark_unknown(self, scope: Scope, claim: Claim) -> None:
        """The request may have reached HeyGen and its answer was lost: the next identical call reconciles."""
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            conn.execute("UPDATE jobs SET state = 'unknown', owner = NULL, lease_until = NULL, updated_at = ? "
                         "WHERE scope = ? AND fingerprint = ? AND state != 'submitted'",
                         (time.time(), scope.key, claim.fingerprint))

    def release(self, scope: Scope, claim: Claim) -> None:
        """HeyGen certainly did not create the job (it refused the request): forget the claim."""
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            conn.execute("DELETE FROM jobs WHERE scope = ? AND fingerprint = ? AND state != 'submitted'",
                         (scope.key, claim.fingerprint))

    def _spent(self, conn: Conn, scope: Scope, now: float, window_s: float) -> list[tuple[float, float]]:
        reserved = self.db.dialect.number_in("data", "reserved_usd")
        rows = conn.execute(f"SELECT created_at, {reserved} FROM jobs WHERE scope = ? AND created_at >= ? "
                            f"AND {reserved} > 0 ORDER BY created_at", (scope.key, now - window_s)).fetchall()
        return [(float(at), float(amount)) for at, amount in rows]

    def spent(self, scope: Scope, *, window_s: float = DAY_S) -> list[tuple[float, float]]:
        """(when, dollars) of every reservation of this scope in the last ``window_s``, oldest first."""
        with self.db.tx(write=False) as conn:
            return self._spent(conn, scope, time.time(), window_s)

    # -- records -------------------------------------------------------------------------------
    def record(self, scope: Scope, *, kind: str, job_id: str, fingerprint: str | None = None,
               title: str | None = None, **data: Any) -> JobRecord:
        now = time.time()
        fingerprint = fingerprint or f"id:{kind}:{job_id}"
        extra = json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            conn.execute(
                f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, 'submitted', ?, NULL, NULL, ?, ?, ?, ?) "
                "ON CONFLICT (scope, fingerprint) DO UPDATE SET state = 'submitted', job_id = excluded.job_id, "
                "kind = excluded.kind, title = COALESCE(excluded.title, jobs.title), data = excluded.data, "
                "owner = NULL, lease_until = NULL, updated_at = excluded.updated_at",
                (scope.key, fingerprint, kind, job_id, title, extra, now, now))
            rec = self._select(conn, "scope = ? AND fingerprint = ?", (scope.key, fingerprint))
        assert rec is not None
        return rec

    def get(self, scope: Scope, job_id: str) -> JobRecord | None:
        with self.db.tx(write=False) as conn:
            return self._select(conn, "scope = ? AND job_id = ? ORDER BY created_at DESC LIMIT 1",
                                (scope.key, job_id))

    def find(self, scope: Scope, fingerprint: str, *, max_age_s: float | None = None) -> JobRecord | None:
        cutoff = time.time() - max_age_s if max_age_s is not None else 0.0
        with self.db.tx(write=False) as conn:
            return self._select(conn, "scope = ? AND fingerprint = ? AND state = 'submitted' AND created_at >= ?",
                                (scope.key, fingerprint, cutoff))

    def find_upload(self, scope: Scope, size: int) -> JobRecord | None:
        """The newest upload recorded of exactly ``size`` bytes, whatever its content (``core.transfer``: only
        then can a file of that size be one uploaded before)."""
        with self.db.tx(write=False) as conn:
            return self._select(conn, "scope = ? AND kind = 'asset' AND state = 'submitted' AND fingerprint LIKE ? "
                                "ORDER BY created_at DESC LIMIT 1", (scope.key, f"asset:%:{int(size)}"))

    def recent(self, scope: Scope, limit: int = 20) -> list[JobRecord]:
        """Newest first, including claims whose answer is unknown (so a lost job id is never lost)."""
        with self.db.tx(write=False) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE scope = ? ORDER BY created_at DESC LIMIT ?",
                                (scope.key, limit)).fetchall()
        return [rec for rec in (self._row(tuple(row)) for row in rows) if rec is not None]

    def update(self, scope: Scope, job_id: str, **data: Any) -> None:
        """Merge fields (status, last seen, local file…) into a job's row."""
        with self.db.tx(write=True, lock=self._lock(scope)) as conn:
            rec = self._select(conn, "scope = ? AND job_id = ? ORDER BY created_at DESC LIMIT 1",
                               (scope.key, job_id))
            if rec is None:
                return
            merged = {**rec.data, **{k: v for k, v in data.items() if v is not None}}
            conn.execute("UPDATE jobs SET data = ?, updated_at = ? WHERE scope = ? AND fingerprint = ?",
                         (json.dumps(merged, separators=(",", ":")), time.time(), scope.key, rec.fingerprint))

    def update_everywhere(self, base_url: str, job_id: str, **data: Any) -> int:
        """``update`` in every scope of this API that holds the job (a webhook's news: HeyGen's job ids are unique,
        and on a team server the job is one person's, whichever key they spend); how many scopes held it."""
        prefix = base_url.rstrip("/") + "#"
        with self.db.tx(write=False) as conn:
            scopes = [row[0] for row in conn.execute(
                "SELECT DISTINCT scope FROM jobs WHERE job_id = ? AND substr(scope, 1, ?) = ?",
                (job_id, len(prefix), prefix)).fetchall()]
        for key in scopes:
            base, _, account = key.partition("#")
            self.update(Scope(base, account), job_id, **data)
        return len(scopes)

    def holding(self, scope: Scope, *, since: float) -> list[JobRecord]:
        """Jobs made since ``since`` that hold slots of HeyGen's concurrency limit (``slots`` > 0 in their data:
        set when claimed, cleared when seen finished; ``core/concurrency.py``), newest first."""
        with self.db.tx(write=False) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE scope = ? AND created_at >= ? "
                                "AND data LIKE '%\"slots\":%' ORDER BY created_at DESC", (scope.key, since)).fetchall()
        return [rec for rec in (self._row(tuple(row)) for row in rows)
                if rec is not None and _count(rec.get("slots")) > 0]

    # -- webhooks ------------------------------------------------------------------------------
    def remember_event(self, event_id: str, *, max_age_s: float) -> bool:
        """True the first time an event id is seen (within ``max_age_s``); False for a replay (the first writer
        wins: a second insert of one id waits for the first and inserts nothing)."""
        now = time.time()
        with self.db.tx(write=True) as conn:
            conn.execute("DELETE FROM webhook_events WHERE received_at < ?", (now - max_age_s,))
            inserted = conn.execute("INSERT INTO webhook_events (event_id, received_at) VALUES (?, ?) "
                                    "ON CONFLICT DO NOTHING", (event_id, now)).rowcount
        return inserted == 1

    def close(self) -> None:
        self.db.close()


class SQLiteJobStore(SQLJobStore):
    """The embedded store, in one file. Opened on first use; every failure is a ``StoreError`` naming the file."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 5.0) -> None:
        super().__init__(SQLiteDatabase(path, busy_timeout_s=busy_timeout_s))
        self.path = path


class ScopedJobs:
    """One scope's view of a store: what the client and the tools hold."""

    def __init__(self, store: JobStore, scope: Scope) -> None:
        self.store = store
        self.scope = scope

    def claim(self, fingerprint: str, kind: str, *, title: str | None = None, lease_s: float = DEFAULT_LEASE_S,
              data: dict[str, Any] | None = None, cost: float = 0.0, daily_limit: float | None = None,
              limit_from: str = SERVER_LIMIT) -> Claim:
        return self.store.claim(self.scope, fingerprint, kind, title=title, lease_s=lease_s, data=data, cost=cost,
                                daily_limit=daily_limit, limit_from=limit_from)

    def spent(self, *, window_s: float = DAY_S) -> list[tuple[float, float]]:
        return self.store.spent(self.scope, window_s=window_s)

    def retake(self, claim: Claim) -> Claim:
        return self.store.retake(self.scope, claim)

    def settle(self, claim: Claim, job_id: str, **data: Any) -> JobRecord:
        return self.store.settle(self.scope, claim, job_id, **data)

    def mark_unknown(self, claim: Claim) -> None:
        self.store.mark_unknown(self.scope, claim)

    def release(self, claim: Claim) -> None:
        self.store.release(self.scope, claim)

    def record(self, *, kind: str, job_id: str, key: str | None = None, title: str | None = None,
               **data: Any) -> JobRecord:
        return self.store.record(self.scope, kind=kind, job_id=job_id, fingerprint=key, title=title, **data)

    def get(self, job_id: str) -> JobRecord | None:
        return self.store.get(self.scope, job_id)

    def find(self, fingerprint: str, *, max_age_s: float | None = None) -> JobRecord | None:
        return self.store.find(self.scope, fingerprint, max_age_s=max_age_s)

    def find_upload(self, size: int) -> JobRecord | None:
        return self.store.find_upload(self.scope, size)

    def recent(self, limit: int = 20) -> list[JobRecord]:
        return self.store.recent(self.scope, limit)

    def update(self, job_id: str, **data: Any) -> None:
        self.store.update(self.scope, job_id, **data)

    def holding(self, *, since: float) -> list[JobRecord]:
        return self.store.holding(self.scope, since=since)


LEGACY_SCOPE = Scope("legacy", "journal")
"""Jobs imported from a 0.1 JSON-lines journal: listed for recovery, never used to skip a payment (they
carry no API base URL or account, so they cannot answer for one)."""


def import_journal(store: SQLJobStore, path: Path) -> int:
    """Import a 0.1 journal (``jobs.jsonl``) once; returns how many records were imported."""
    marker = f"imported:{path.resolve()}"
    try:
        info = path.lstat()
    except OSError:
        return 0
    if not stat.S_ISREG(info.st_mode):
        return 0
    with store.db.tx(write=True) as conn:  # the first writer of the marker imports it
        if not conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (marker, str(time.time()))).rowcount:
            return 0
    count = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
            job_id, kind = str(entry["job_id"]), str(entry["kind"])
            created = float(entry.get("created_at") or time.time())
        except (ValueError, KeyError, TypeError):
            continue  # a torn or foreign line: the rest still count
        if not job_id:
            continue
        kind = {"agent_session": "agent", "avatar_look": "look"}.get(kind, kind)
        extra = {k: v for k, v in entry.items() if k not in ("job_id", "kind", "key", "title", "created_at")}
        with store.db.tx(write=True) as conn:
            conn.execute(
                f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, 'submitted', ?, NULL, NULL, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (LEGACY_SCOPE.key, f"legacy:{kind}:{job_id}", kind, job_id, entry.get("title"),
                 json.dumps(extra, separators=(",", ":"), default=str), created, created))
        count += 1
    return count


def daily_left(spent: list[tuple[float, float]], limit: float) -> float:
    """Dollars of a daily limit not yet reserved in the last 24 h."""
    return round(max(0.0, limit - sum(amount for _, amount in spent)), 4)


def daily_summary(spent: list[tuple[float, float]], limit: float | None) -> str:
    """One line on the daily limit: what is left of it, and what was spent in the last 24 h."""
    total = round(sum(amount for _, amount in spent), 4)
    if limit is None:
        return f"no daily limit (HEYGEN_DAILY_CREDITS sets one); ${total:,.2f} reserved in the last 24 h"
    return (f"${daily_left(spent, limit):,.2f} of the daily limit of ${limit:,.2f} left "
            f"(${total:,.2f} reserved in the last 24 h, across every process)")


def within_daily_limit(spent: list[tuple[float, float]], cost: float, limit: float, now: float,
                       limit_from: str = SERVER_LIMIT) -> None:
    """Refuse (``DailyLimitError``) a cost the rolling 24 h cannot take, saying when it could; ``limit_from``
    names who sets the limit (the server's setting, or a team server's administrator for one person)."""
    total = round(sum(amount for _, amount in spent), 4)
    if total + cost <= limit + 1e-9:
        return
    left = max(0.0, limit - total)
    when = None
    freed = total
    for at, amount in spent:  # reservations leave the window 24 h after they were made, oldest first
        freed -= amount
        if freed + cost <= limit + 1e-9:
            when = at + DAY_S
            break
    wait = (f"it fits again in about {_hours(when - now)}" if when is not None
            else "it is more than the whole daily limit")
    raise DailyLimitError(
        f"This would cost about ${cost:,.2f}, but only ${left:,.2f} of the daily limit of ${limit:,.2f} "
        f"({limit_from.partition(' (')[0]}) is left: ${total:,.2f} was spent in the last 24 h; {wait}",
        hint=f"Nothing was sent or charged. Wait, make it cheaper (shorter, fewer languages), or raise "
             f"{limit_from}; get_account shows what is left.")


def _hours(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
