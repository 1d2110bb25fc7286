"""Replicas behind a balancer, as real processes (issue #17): Debian's ``haproxy`` in front of N ``heygen-studio
serve --http`` replicas on one job store, with ``heygen-studio sandbox`` as their HeyGen.

``find()`` says where ``haproxy`` is, or why the replica tests cannot run (``.ci/run`` installs it where missing).
``Fleet`` starts, in a temporary folder, on free loopback ports:

* the sandbox (``heygen-studio sandbox --accounts per-key``: each person's own HeyGen key is an account of its own);
* the replicas (``python -m heygen_studio serve --http``), each with its own HEYGEN_STATE_DIR and the same
  HEYGEN_STORE_URL, HEYGEN_SECRET_KEY and HEYGEN_OUTPUT_DIR, HEYGEN_PUBLIC_URL the balancer's address;
* HAProxy (``haproxy -f cfg -db``, in the foreground, stopped at the end) with two frontends: the balancer the
  clients use (roundrobin over the replicas, health checks on ``/health``, sticky on ``Mcp-Session-Id``), and a
  pass-through to the sandbox that the replicas use as HEYGEN_BASE_URL, so HAProxy's log (its stdout) is the list
  of every request the replicas sent upstream, from whichever replica (``Fleet.upstream()``).

``Fleet.kill(i)`` kills a replica with SIGKILL (no clean-up of any kind), as a crash or an OOM kill would.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2

from heygen_studio.core.fetch import tls_context  # one TLS context: each call opens a connection
from postgres import free_port

INSTALL = "`.ci/run` installs it, or run: apt-get install -y --no-install-recommends haproxy"
SERVER_KEY = "sandbox-server-key"  # the server's own HeyGen key (people bring their own: person_key)
READY_S = 60.0  # a replica imports the SDK and opens the store: seconds on a loaded 2-core machine


def find() -> tuple[str | None, str]:
    """(the haproxy program, "") or (None, why the replica tests cannot run)."""
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None)
    if found is None:
        return None, f"HAProxy is not installed (no `haproxy` on PATH or in /usr/sbin); {INSTALL}"
    return found, ""


def person_key(name: str) -> str:
    """The HeyGen key of their own a person of the fleet has (the per-key sandbox gives it an account)."""
    return f"sandbox-key-{name}"


TIMES = "%Ts.%ms %Th %Ti %Ta"
"""Every logged request's times: the accept time (epoch seconds.ms), the handshake and idle times before its first
byte and its total active time (ms). On a kept-alive connection the accept time is when the previous response
ended, so a request began at accept + Th + Ti, and its answer's last byte left Ta ms later (``Logged``)."""


def config(port: int, replicas: list[int], upstream: int, sandbox: int) -> str:
    """HAProxy's configuration: the balancer on ``port`` over the ``replicas``' ports; ``upstream`` forwards to
    the sandbox on ``sandbox``. Every request is logged to stdout, one line each (``LOG_LINE``)."""
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check" for i, p in enumerate(replicas))
    return f"""\
global
    log stdout format raw local0
    maxconn 4000

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 180s
    timeout server 180s
    # A request whose connection to a replica could not be made (a killed replica, before the health check
    # marks it down) goes to another one: it never reached the first, so sending it again is safe. Nothing else
    # is retried here: a tool call that reached a replica which then died is the client's to retry (the job
    # store's claims make a repeated create find the first one instead of paying twice).
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend studio
    bind 127.0.0.1:{port}
    # After the replica: the timing fields (``TIMES``), and in braces tag|event: the X-Bench-Tag a client put on
    # its request and a webhook delivery's Heygen-Event-Id (bench/replicas.py matches deliveries to the waits
    # they end).
    capture request header X-Bench-Tag len 96
    capture request header Heygen-Event-Id len 96
    log-format "studio %HM %HPO %ST %b/%s {TIMES} %hr"
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    # Down after 2 failed checks 500 ms apart (a killed replica refuses at once); a loaded replica's /health gets
    # 3 s before it counts as failed, so load alone does not take every replica out (then HAProxy answers 503).
    timeout check 3s
    default-server inter 500ms fall 2 rise 2
    # Session affinity for the session-based protocol era (2025-11-25 clients: `initialize` answers with an
    # Mcp-Session-Id header, and every later request of that session carries it): a session lives in the memory
    # of the replica that made it, so its requests must reach that replica. The id is stored from the response
    # that hands it out and matched on each request. The stateless era (2026-07-28: no handshake, every request
    # self-contained) carries no such header and needs no affinity: any replica answers any request, from the
    # job store they share. A session whose replica died is lost either way; its client starts a new one.
    stick-table type string len 128 size 100k expire 30m
    stick match req.hdr(mcp-session-id)
    stick store-response res.hdr(mcp-session-id)
{servers}

frontend heygen
    bind 127.0.0.1:{upstream}
    # "true" (in braces) when HeyGen replayed an earlier answer for the same Idempotency-Key (nothing made)
    capture response header Idempotent-Replayed len 8
    log-format "heygen %HM %HPO %ST {TIMES} %hs"
    default_backend sandbox

backend sandbox
    server sandbox 127.0.0.1:{sandbox}
"""


LOG_LINE = re.compile(r"^(?P<front>studio|heygen) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>-?\d+)"
                      r"(?: (?P<server>\S+/\S+))? (?P<at>\d+\.\d+) (?P<th>-?\d+) (?P<ti>-?\d+) (?P<ta>-?\d+)"
                      r" ?(?:\{(?P<captured>.*)\})?$")


@dataclass(frozen=True)
class Logged:
    """One request HAProxy forwarded (``front``: studio = to a replica, heygen = to the sandbox): ``server`` the
    replica it went to (studio), ``started`` when its first byte arrived (epoch seconds, HAProxy's clock),
    ``took_ms`` until the last byte of its answer left (-1: none did), ``captured`` the captured headers (studio:
    ``X-Bench-Tag|Heygen-Event-Id``; heygen: ``Idempotent-Replayed``)."""

    front: str
    method: str
    path: str
    status: int
    server: str
    started: float
    took_ms: int
    captured: str

    @property
    def ended(self) -> float:
        return self.started + max(self.took_ms, 0) / 1000

    @classmethod
    def parse(cls, line: str) -> Logged | None:
        m = LOG_LINE.match(line)
        if m is None:
            return None
        before = (max(int(m["th"]), 0) + max(int(m["ti"]), 0)) / 1000  # -1: not reached (an aborted request)
        return cls(m["front"], m["method"], m["path"], int(m["status"]), m["server"] or "",
                   float(m["at"]) + before, int(m["ta"]), m["captured"] or "")


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, deadline_s: float = READY_S) -> None:
    """Until ``url`` answers 200; fails, with the end of ``log``, if the process exits or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited ({proc.returncode}): {_tail(log)}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {deadline_s:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


class Person:
    """A person's MCP client through the balancer, one connection a call (the stateless era needs no more). A call
    that dies with a replica (the connection drops, the balancer answers 502) is made again on a new connection,
    as an assistant would: ``again`` counts those; ``seconds`` is how long each call took, retries included."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.again = 0
        self.seconds: list[float] = []

    async def call(self, tool: str, arguments: dict[str, Any], *, tag: str | None = None) -> dict[str, Any]:
        """The tool's structured result; AssertionError when it is an error, or the call failed five times.
        ``tag``: sent as ``X-Bench-Tag`` on each of the call's requests, which HAProxy's log shows."""
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        failures: list[str] = []
        started = time.monotonic()
        for _ in range(5):
            try:
                headers = {"Authorization": f"Bearer {self.token}", **({"X-Bench-Tag": tag} if tag else {})}
                async with httpx2.AsyncClient(headers=headers, timeout=60, verify=tls_context()) as http, \
                        Client(streamable_http_client(f"{self.url}/mcp", http_client=http)) as mcp:
                    result = await mcp.call_tool(tool, arguments)
            except Exception as exc:  # the replica died under the call: a new connection, the same call
                failures.append(repr(exc))
                self.again += 1
                await anyio.sleep(0.3)
                continue
            self.seconds.append(time.monotonic() - started)
            assert not result.is_error, (tool, result.content)
            assert result.structured_content is not None
            return dict(result.structured_content)
        raise AssertionError(f"{tool} failed five times through the balancer: {failures}")


class Fleet:
    """The sandbox, ``replicas`` replicas of ``serve --http`` and HAProxy in front of them, in a temporary folder.

    ``store_url`` is the shared job store (a PostgreSQL database); None = each replica's own SQLite file, which
    only makes sense for one replica (the bench's single-server baseline). ``url`` is the balancer's address;
    ``output`` the shared HEYGEN_OUTPUT_DIR. The ``people`` are added (``tokens add``) before the replicas start,
    as a team server's are (a server reads at start whether it has people); ``tokens`` are their personal tokens,
    each with a HeyGen key of their own (``person_key``). Use it as a context manager, or ``start()`` and
    ``stop()``. ``sandbox_nice``: the sandbox's niceness (a bench's: its renders encode video on the CPU the
    servers under test need, which HeyGen's own renders never take)."""

    def __init__(self, haproxy: str, store_url: str | None, replicas: int = 2, *, people: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, sandbox_nice: int = 0) -> None:
        from cryptography.fernet import Fernet

        self.haproxy = haproxy
        self.store_url = store_url
        self.count = replicas
        self.people = people
        self.tokens: dict[str, str] = {}
        self.extra = dict(env or {})
        self.sandbox_nice = sandbox_nice
        self.root = Path(tempfile.mkdtemp(prefix="heygen-fleet-"))
        self.output = self.root / "output"
        self.secret_key = Fernet.generate_key().decode()
        self.port = self.upstream_port = self.sandbox_port = 0
        self.replica_ports: list[int] = []
        self.replicas: list[subprocess.Popen[bytes]] = []
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.balancer: subprocess.Popen[bytes] | None = None
        self.log = self.root / "haproxy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, replica: int) -> dict[str, str]:
        """Replica ``replica``'s environment (also ``tokens``'s, which must reach the same store)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
        env.update(
            HEYGEN_SANDBOX="1", HEYGEN_BASE_URL=f"http://127.0.0.1:{self.upstream_port}", HEYGEN_API_KEY=SERVER_KEY,
            HEYGEN_SECRET_KEY=self.secret_key, HEYGEN_STATE_DIR=str(self.root / f"state-{replica}"),
            HEYGEN_OUTPUT_DIR=str(self.output), HEYGEN_PUBLIC_URL=self.url, HEYGEN_RATE_LIMIT="0", **self.extra)
        if self.store_url:
            env["HEYGEN_STORE_URL"] = self.store_url
        return env

    def _spawn(self, args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    cwd=self.root)

    def start(self) -> Fleet:
        self.output.mkdir()
        self.port, self.upstream_port, self.sandbox_port = free_port(), free_port(), free_port()
        self.replica_ports = [free_port() for _ in range(self.count)]
        sandbox_log = self.root / "sandbox.log"
        self.sandbox = self._spawn([sys.executable, "-m", "heygen_studio", "sandbox", "--accounts", "per-key",
                                    "--port", str(self.sandbox_port)], sandbox_log, self.env(0))
        if self.sandbox_nice:  # HeyGen's work does not run on the servers' machine: the sandbox yields the CPU
            os.setpriority(os.PRIO_PROCESS, self.sandbox.pid, self.sandbox_nice)
        cfg = self.root / "haproxy.cfg"
        cfg.write_text(config(self.port, self.replica_ports, self.upstream_port, self.sandbox_port))
        self.balancer = self._spawn([self.haproxy, "-f", str(cfg), "-db"], self.log, self.env(0))
        self.tokens = {name: self.add_person(name) for name in self.people}
        for i, port in enumerate(self.replica_ports):
            self.replicas.append(self._spawn(
                [sys.executable, "-m", "heygen_studio", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
                self.root / f"replica-{i}.log", self.env(i)))
        # The sandbox's own routes answer 401 without a key; the media route of nothing answers 404: either is up.
        deadline = time.monotonic() + READY_S
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                httpx2.get(f"http://127.0.0.1:{self.sandbox_port}/v3/users/me", timeout=2)
                break
            if self.sandbox.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start: {_tail(sandbox_log)}")
            time.sleep(0.1)
        for i, port in enumerate(self.replica_ports):
            _wait_http(f"http://127.0.0.1:{port}/health", self.replicas[i], self.root / f"replica-{i}.log")
        assert self.balancer is not None
        _wait_http(f"{self.url}/health", self.balancer, self.log)
        self._wait_in_rotation()
        return self

    def _wait_in_rotation(self) -> None:
        """Until the balancer sends requests to every replica. A replica whose first health checks came before it
        listened is marked down and needs two good checks (``rise 2``, 500 ms apart) to come back; a test that began
        meanwhile would have every request on the others (and a replica killed later would never have served)."""
        names = {f"replicas/r{i}" for i in range(self.count)}
        deadline = time.monotonic() + READY_S
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                httpx2.get(f"{self.url}/health", timeout=5)
            if names <= {e.server for e in self.logged() if e.front == "studio" and e.path == "/health"
                         and e.status == 200}:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not put every replica in rotation: {_tail(self.log)}")
            time.sleep(0.1)

    def add_person(self, name: str) -> str:
        """``heygen-studio tokens add NAME --heygen-key-stdin`` on the fleet's store: their personal token."""
        done = subprocess.run([sys.executable, "-m", "heygen_studio", "tokens", "add", name, "--heygen-key-stdin"],
                              input=person_key(name), capture_output=True, text=True, env=self.env(0), timeout=60,
                              cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"tokens add {name} failed: {done.stderr[-1000:]}")
        return done.stdout.strip()

    def kill(self, replica: int) -> None:
        """SIGKILL: the replica dies at once, mid-request, with no clean-up."""
        self.replicas[replica].send_signal(signal.SIGKILL)
        self.replicas[replica].wait(timeout=10)

    def logged(self) -> list[Logged]:
        """Every request HAProxy has logged so far (to the replicas and to the sandbox), oldest first."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return [entry for entry in map(Logged.parse, lines) if entry is not None]

    def upstream(self) -> list[Logged]:
        """The requests the replicas sent to HeyGen (the sandbox), oldest first."""
        return [entry for entry in self.logged() if entry.front == "heygen"]

    def stop(self) -> None:
        for proc in [*self.replicas, self.balancer, self.sandbox]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.replicas, self.balancer, self.sandbox]:
            if proc is not None:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Fleet:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
