"""The embedded sandbox's state file itself: its name, how it is opened, and whether it can be used.

``persist.py`` keeps the sandbox's records in it. This module imports nothing of the sandbox, so the server can
ask ``usable`` before anything is built: which job-store scope the embedded sandbox's jobs are in depends on it
(``house.make_where``), and ``list_jobs`` should not import the whole sandbox to find out.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..core.files import sqlite_file_problem

STATE_FILE = "sandbox.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS resources_by_seq ON resources (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
"""


def check_file(path: Path) -> None:
    problem = sqlite_file_problem(path)
    if problem is not None:
        raise OSError(problem)


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_file(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    os.close(fd)  # created (or opened) without following a link planted since the check
    check_file(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a killed process
        conn.executescript(SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def usable(path: Path) -> bool:
    """Whether a sandbox would keep its state in ``path`` (``persist.SandboxDisk.open`` succeeds): the file opens
    as this user's own and holds no other version's schema. Writes nothing but the tables, which opening makes."""
    try:
        conn = connect(path)
    except (OSError, sqlite3.Error):
        return False
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is None or row[0] == SCHEMA_VERSION
