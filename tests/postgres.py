"""A throwaway PostgreSQL cluster for the store tests (Debian's ``postgresql`` package: ``initdb`` and ``pg_ctl``).

``find()`` says where the server's programs are, or why the PostgreSQL tests cannot run (``.ci/run`` installs the
package where it is missing). ``Cluster`` makes a cluster in a temporary folder, starts it on a free loopback port
(no Unix socket), as a user who is not root (``runuser -u postgres`` when the tests run as root: PostgreSQL
refuses to run as root), hands out one fresh database per test, and is stopped and deleted at the end. Built for
speed, not durability: no fsync, trust authentication on loopback only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

INSTALL = "`.ci/run` installs it, or run: apt-get install -y --no-install-recommends postgresql"


def _bindir() -> Path | None:
    candidates = []
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                             timeout=10).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for folder in candidates:
        if folder and all(os.access(Path(folder) / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def find() -> tuple[Path | None, str | None, str]:
    """(the folder of initdb/pg_ctl/postgres, the user to run them as (None: this one), "") or (None, None, why not)."""
    bindir = _bindir()
    if bindir is None:
        return None, None, ("Debian's postgresql is not installed (no initdb/pg_ctl from `pg_config --bindir` or "
                            f"/usr/lib/postgresql/*/bin); {INSTALL}")
    if os.geteuid() != 0:
        return bindir, None, ""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None, None, ("the tests run as root, and PostgreSQL will not; there is no `postgres` user to run it "
                            f"as ({INSTALL}: the package makes that user), or run the tests as a normal user")
    if shutil.which("runuser") is None:
        return None, None, "the tests run as root, and `runuser` (util-linux) is missing to run PostgreSQL as postgres"
    return bindir, "postgres", ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server for a test session; ``database()`` makes a fresh, empty database and its URL."""

    def __init__(self, bindir: Path, user: str | None) -> None:
        self.bindir = bindir
        self.user = user
        self.root = Path(tempfile.mkdtemp(prefix="heygen-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.port = 0
        self.databases: list[str] = []

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def start(self) -> None:
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        for _ in range(3):  # a free port may be taken between finding it and binding it
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30",
                             "start")
            if done.returncode == 0:
                return
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {done.stderr[-1000:]} {log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database (from template1: it takes milliseconds); its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def dump(url: str) -> bytes:
    """Every row of every table of the database as text: what a copy of the database would give away."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()]
        rows = [str(row[0]) for table in tables
                for row in conn.execute(f'SELECT CAST(t AS text) FROM "{table}" t').fetchall()]
    return "\n".join(rows).encode()


def jobs_rows(url: str) -> list[tuple[str, str]]:
    """(fingerprint, data) of every row of the store's jobs table (none before the store made it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('public.jobs')").fetchone() == (None,):
            return []
        return [(str(f), str(d)) for f, d in conn.execute("SELECT fingerprint, data FROM jobs").fetchall()]
