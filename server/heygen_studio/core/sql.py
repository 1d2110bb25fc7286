"""What the job store's backends have in common: a database with short transactions, its dialect, its migrations.

The store's rules (``core.store``: claims, settlements, the daily limit; ``core.people``; ``core.grants``) are
written once, as SQL both backends run, against ``Database``: ``tx(write=…, lock=…)`` gives a connection whose
``execute(sql, args)`` takes ``?`` placeholders, inside one transaction that commits when the block ends and rolls
back when it raises. What differs is small and lives here and in ``core.store_pg``:

- **Serializing read-then-write.** SQLite's ``BEGIN IMMEDIATE`` takes the file's write lock, so every write
  transaction runs alone and ``lock`` is not needed. PostgreSQL runs them side by side; a write that reads first
  (a claim checks the row, then writes it; a daily limit sums a scope's reservations, then adds one) names a
  ``lock`` (for the jobs: the scope) and takes it as a transaction-scoped advisory lock before anything else.
- **The dialect** (``Dialect``): the column type of a double, ``STRICT`` tables, and reading a number out of the
  JSON ``data`` column. Everything else is SQL both accept (``ON CONFLICT … DO UPDATE / DO NOTHING``, partial
  indexes, ``substr``, ``LIKE``).
- **Migrations** (``core.schema``): applied by ``migrate`` in one write transaction holding the schema lock.

``SQLiteDatabase`` is the embedded file (WAL, a busy timeout, one connection per process behind a lock, and the
file checks: no links, no foreign files, a reopen when the file is replaced).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import HeyGenError
from .files import sqlite_file_problem
from .schema import MIGRATIONS, MIGRATIONS_TABLE

logger = logging.getLogger(__name__)

SCHEMA_LOCK = "heygen-studio:schema"
"""The lock ``migrate`` runs under (PostgreSQL: an advisory lock on this name's hash)."""


class StoreError(HeyGenError):
    """The job store cannot be read or written: a paid create is refused rather than risked."""

    default_hint = ("Nothing was sent or charged. Fix the job store (HEYGEN_STATE_DIR: a folder of yours, "
                    "writable, on a disk with room), then call again.")


@dataclass(frozen=True)
class Dialect:
    """What a backend's SQL spells its own way."""

    name: str
    real: str
    """The column type of a double (times, dollars)."""
    strict: str
    """Appended to ``CREATE TABLE (…)``."""
    json_number: str
    """An expression reading the number at ``{key}`` of the JSON text in ``{column}`` (NULL when absent)."""

    def ddl(self, sql: str) -> str:
        return sql.format(real=self.real, strict=self.strict)

    def number_in(self, column: str, key: str) -> str:
        return self.json_number.format(column=column, key=key)


SQLITE = Dialect("sqlite", real="REAL", strict=" STRICT", json_number="json_extract({column}, '$.{key}')")
POSTGRESQL = Dialect("postgresql", real="DOUBLE PRECISION", strict="",
                     json_number="CAST(CAST({column} AS jsonb) ->> '{key}' AS DOUBLE PRECISION)")


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    """A connection inside a transaction: ``?`` placeholders on every backend."""

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Cursor: ...


class Database(Protocol):
    """Where the store's tables live. Every failure of the database itself is a ``StoreError`` naming it."""

    dialect: Dialect
    where: str
    """How an error names it: "The job store /home/…/jobs.sqlite3", "The job store on PostgreSQL at host:5432/db"."""

    def tx(self, *, write: bool, lock: str | None = None) -> AbstractContextManager[Conn]:
        """One transaction. ``write`` with ``lock``: no other write transaction naming the same lock runs
        until this one ends (for a read that decides a write)."""
        ...

    def close(self) -> None: ...


def migrate(conn: Conn, dialect: Dialect) -> list[int]:
    """Apply, in the caller's write transaction (which holds the schema lock), the migrations this database has not
    recorded; the versions applied (none: it was up to date). Versions newer than this code knows (a replica of a
    later release migrated first) are left as they are."""
    conn.execute(dialect.ddl(MIGRATIONS_TABLE))
    done = {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        for statement in dialect.ddl(migration.sql).split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     (migration.version, migration.name, time.time()))
        applied.append(migration.version)
    if applied:  # a new store is no news (a start line stays one line); an upgrade of one in use is
        say = logger.info if done else logger.debug
        say("job store schema: applied migration%s %s (now at version %d)", "s" * (len(applied) > 1),
            ", ".join(map(str, applied)), max(done | set(applied)))
    return applied


def schema_version(conn: Conn) -> int:
    """The newest migration this database recorded (0: none yet)."""
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) at ``path``, links not followed; None when nothing (readable) is there."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _check_file(path: Path) -> None:
    problem = sqlite_file_problem(path)
    if problem is not None:
        raise StoreError(f"The job store {problem}")


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return " ".join(str(exc).split()) or type(exc).__name__


class SQLiteDatabase:
    """The embedded store's file. Opened on first use, and migrated on every connection it opens."""

    dialect = SQLITE

    def __init__(self, path: Path, *, busy_timeout_s: float = 5.0) -> None:
        self.path = path
        self.where = f"The job store {path}"
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file ``_conn`` opened
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        """The open connection, if the file at ``path`` is still the one it opened; else the file there now.

        A store deleted or replaced while this process runs (a user "resetting" it, a restored backup) would
        otherwise keep taking claims in a file nobody opens again, and after a restart a paid v2 create would be
        paid again. So every transaction first compares the path's identity (device + inode, links not followed)
        with the opened file's, and reopens on a change: a missing file is created anew (and migrated), a link or a
        foreign file there is refused (``StoreError``) before anything is paid. SQLite itself neither checkpoints
        into nor deletes the WAL of a database file that has moved, so closing the old connection harms neither.
        """
        if self._conn is not None:
            if self._identity == _identity(self.path):
                return self._conn
            logger.warning("the job store %s was %s while this server ran; reopening it", self.path,
                           "deleted" if not os.path.lexists(self.path) else "replaced")
            self._conn.close()
            self._conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _check_file(self.path)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:  # created (or opened) without following a link planted since the check
                info = os.fstat(fd)
            finally:
                os.close(fd)
            _check_file(self.path)
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            try:
                if _identity(self.path) != (info.st_dev, info.st_ino):
                    raise StoreError(f"The job store {self.path} was replaced while it was being opened")
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
                self._wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a killed process
                conn.execute("BEGIN IMMEDIATE")  # the schema lock: the file's write lock
                try:
                    migrate(conn, SQLITE)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
        except StoreError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"The job store {self.path} cannot be opened ({reason(exc)})") from None
        self._conn = conn
        self._identity = (info.st_dev, info.st_ino)
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """WAL mode, kept in the file. Switching a new file to it takes the file's exclusive lock, and SQLite
        answers "database is locked" at once (no busy wait) while another process opening the same new file holds a
        lock: several servers started together on a new store would fail. So it is tried again until the busy
        timeout; once one of them has switched the file, the others find it done."""
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    @contextlib.contextmanager
    def tx(self, *, write: bool, lock: str | None = None) -> Iterator[Conn]:
        """``BEGIN IMMEDIATE`` with ``write`` (every writer of the file runs alone, so ``lock`` adds nothing)."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise StoreError(f"The job store {self.path} cannot be "
                                 f"{'written' if write else 'read'} ({reason(exc)})") from None

    def schema_version(self) -> int:
        with self.tx(write=False) as conn:
            return schema_version(conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

