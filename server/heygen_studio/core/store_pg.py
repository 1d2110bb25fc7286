"""The job store on PostgreSQL (``HEYGEN_STORE_URL=postgresql://…``): one database for every replica of a server.

The rules are the SQLite store's, word for word (``core.store.SQLJobStore``, ``core.people``, ``core.grants``);
this module is the connection under them (psycopg 3 with its pool):

- ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` is doubled); no statement of the store has a
  ``?`` inside a string.
- A write transaction that names a ``lock`` takes ``pg_advisory_xact_lock`` on the lock's hash first, the
  PostgreSQL form of SQLite's ``BEGIN IMMEDIATE``: the jobs lock their scope, so a claim's check-and-insert and a
  daily limit's sum-and-reserve are each one step across every replica; the people and the OAuth records lock
  their tables' name. Released at commit or rollback, and by the server when a replica dies mid-transaction.
- Migrations (``core.schema``) run on first use, in one transaction holding the schema's advisory lock: replicas
  starting at once wait for the first, which applies them; the others find them applied.
- A claim's owner names its host and process (``core.store._owner``): a dead process on this machine frees its
  claim at once; another machine's claim waits for its lease to expire.
- Round trips are what a store call costs (each one holds the caller's event loop until PostgreSQL answers), so:
  pooled connections are in autocommit mode and a read runs its statements alone, with no ``BEGIN``/``COMMIT``
  (PostgreSQL's READ COMMITTED gives each statement its own snapshot either way); a write is one ``BEGIN`` …
  ``COMMIT``; and a connection is checked before use only when it sat idle in the pool (``CHECK_IDLE_S``).

The URL may hold a password: no error, log line or ``repr`` shows the URL, only ``host:port/database``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from .notify_pg import JobListener
from .sql import POSTGRESQL, SCHEMA_LOCK, Conn, Cursor, StoreError, migrate, reason, schema_version
from .store import SQLJobStore

CHECK_IDLE_S = 1.0
"""A pooled connection idle this long is checked (one empty query) before it is handed out, so one that a restart
of the database broke is replaced, not used; one used within the last second is not checked (under load that is
nearly every one): only a call that meets a restart in that second fails, as one in flight during it would."""

HINT = ("Nothing was sent or charged. Check HEYGEN_STORE_URL: the PostgreSQL server must be running and reachable "
        "from here, and its user allowed to connect to that database and write it; then call again.")


def describe(url: str) -> str:
    """Where ``url`` points, without its user or password: ``host:port/database``."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "an unreadable HEYGEN_STORE_URL"
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or "5432")
    return f"{host}:{port}/{parts.get('dbname') or parts.get('user') or 'postgres'}"


@functools.lru_cache(maxsize=256)
def _paramstyle(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _Conn:
    """A psycopg connection speaking the store's ``?`` placeholders."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Cursor:
        if not args:
            return self._conn.execute(sql)
        return self._conn.execute(_paramstyle(sql), tuple(args))


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database; opened, and migrated, on first use."""

    dialect = POSTGRESQL

    def __init__(self, url: str, *, max_size: int = 10, timeout_s: float = 10.0, connect_timeout_s: int = 5
                 ) -> None:
        self._url = url
        self.where = f"The job store on PostgreSQL at {describe(url)}"
        self._max_size = max_size
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._migrated = False
        self._migrate_lock = threading.Lock()
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"<PostgresDatabase {describe(self._url)}>"

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, **self._options)

    @property
    def _options(self) -> dict[str, Any]:
        return {"connect_timeout": self._connect_timeout_s, "application_name": "heygen-studio"}

    def _connections(self) -> ConnectionPool:
        """The pool, opened on first use (again after ``close``); its workers connect in the background."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self._url, min_size=1, max_size=self._max_size, open=False, name="heygen-studio-store",
                    timeout=self._timeout_s, check=self._check, reset=self._reset,
                    kwargs={**self._options, "autocommit": True})
                self._pool.open(wait=False)
            return self._pool

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        if time.monotonic() - self._returned.get(conn, 0.0) > CHECK_IDLE_S:
            ConnectionPool.check_connection(conn)

    def _reset(self, conn: psycopg.Connection[Any]) -> None:
        self._returned[conn] = time.monotonic()

    @contextlib.contextmanager
    def _transaction(self, conn: psycopg.Connection[Any], write: bool, lock: str | None) -> Iterator[Conn]:
        if not write and conn.autocommit:  # a pooled connection: each statement of a read commits by itself
            yield _Conn(conn)
            return
        with conn.transaction():
            if write and lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
            yield _Conn(conn)

    def _failed(self, exc: psycopg.Error, doing: str) -> StoreError:
        return StoreError(f"{self.where} cannot be {doing} ({self._reason(exc)})", hint=HINT)

    def migrate(self) -> list[int]:
        """Apply the migrations this database lacks, holding the schema lock; the versions this call applied (none
        when another process, or an earlier call, applied them). On a connection of its own, outside the pool: a
        server that cannot be reached is told at once (the pool would wait out its timeout)."""
        with self._migrate_lock:
            try:
                with self._connect() as conn, self._transaction(conn, True, SCHEMA_LOCK) as tx:
                    applied = migrate(tx, self.dialect)
            except psycopg.Error as exc:
                raise self._failed(exc, "opened") from None
            self._migrated = True
        return applied

    def schema_version(self) -> int:
        with self.tx(write=False) as conn:
            return schema_version(conn)

    def listener(self, on_keys: Callable[[Iterable[str]], object], on_gap: Callable[[], object]) -> JobListener:
        """This process's ``LISTEN`` for the other replicas' job news (``core.notify_pg``), on a connection of its
        own (autocommit, with TCP keepalives so a vanished server is noticed); run it with ``await .run()``."""

        async def connect() -> psycopg.AsyncConnection[Any]:
            return await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, keepalives=1, keepalives_idle=30, keepalives_interval=10,
                keepalives_count=3, **self._options)

        return JobListener(connect, on_keys, on_gap, where=describe(self._url), redact=self._redact)

    def _redact(self, text: str) -> str:
        password = conninfo.conninfo_to_dict(self._url).get("password")
        return text.replace(str(password), "***") if password else text

    @contextlib.contextmanager
    def tx(self, *, write: bool, lock: str | None = None) -> Iterator[Conn]:
        if not self._migrated:
            self.migrate()
        try:
            with self._connections().connection(timeout=self._timeout_s) as conn, \
                    self._transaction(conn, write, lock) as tx:
                yield tx
        except PoolTimeout:
            raise StoreError(f"{self.where} cannot be reached ({self._why_not()})", hint=HINT) from None
        except psycopg.Error as exc:
            raise self._failed(exc, "written" if write else "read") from None

    def _why_not(self) -> str:
        """Why no connection came: the server's own answer to a fresh attempt, else a busy pool."""
        try:
            self._connect().close()
        except psycopg.Error as exc:
            return self._reason(exc)
        return f"all {self._max_size} of its connections stayed busy for {self._timeout_s:g} s"

    def _reason(self, exc: BaseException) -> str:
        return self._redact(reason(exc).removeprefix("connection failed: "))

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class PostgresJobStore(SQLJobStore):
    """The job store in a PostgreSQL database, shared by every replica; the same rules as ``SQLiteJobStore``."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(PostgresDatabase(url, **options))
