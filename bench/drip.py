"""Slow clients against ``serve --http`` (issue #14 §4), printed as figures.

A real ``heygen-studio serve --http`` process (sandbox mode, a token, deadlines of ``--deadline`` seconds for
headers and for bodies) on a loopback port. ``--drips`` connections each send the headers of a
``POST /webhooks/heygen`` (no token needed there) with ``Content-Length: 1000`` and then one body byte a second;
as many again send one header byte a second. Meanwhile a client with the token calls ``tools/list`` on ``/mcp``
every 100 ms. Printed: the time from each drip's first byte to the server cutting it (and what it answered),
and the ``/mcp`` latency during the drip beside the same client's latency on an idle server.

Run: .venv/bin/python bench/drip.py [--drips 20] [--deadline 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2
from anyio.abc import SocketStream
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

TOKEN = "bench-drip-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp: Path, port: int, deadline: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_STATE_DIR=str(tmp / "state"), HEYGEN_OUTPUT_DIR=str(tmp / "out"),
               HEYGEN_HTTP_TOKEN=TOKEN, HEYGEN_HTTP_HEADERS_S=str(deadline), HEYGEN_HTTP_BODY_S=str(deadline))
    return subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve", "--http", "--port", str(port)], env=env,
                            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_for_port(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("serve --http did not start") from None
            await anyio.sleep(0.1)


async def drip(port: int, head: bytes, byte: bytes, limit_s: float, cuts: list[tuple[float, str]]) -> None:
    """Send ``head``, then ``byte`` once a second until the server closes (or ``limit_s`` passes)."""
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        started = time.monotonic()
        await stream.send(head)
        cuts.append(await until_closed(stream, byte, started, limit_s))


async def until_closed(stream: SocketStream, byte: bytes, started: float, limit_s: float) -> tuple[float, str]:
    answered = b""
    while time.monotonic() - started < limit_s:
        with anyio.move_on_after(1.0):
            try:
                answered += await stream.receive()
                continue
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                break
        try:
            await stream.send(byte)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            break
    else:
        return float("inf"), "still open"
    status = answered.split(b"\r\n", 1)[0].decode(errors="replace") or "closed without an answer"
    return time.monotonic() - started, status


async def mcp_latencies(port: int, stop: anyio.Event, seconds: float | None = None) -> list[float]:
    figures: list[float] = []
    ends = None if seconds is None else time.monotonic() + seconds
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http, \
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
        while not stop.is_set() and (ends is None or time.monotonic() < ends):
            started = time.perf_counter()
            await client.list_tools()
            figures.append(time.perf_counter() - started)
            await anyio.sleep(0.1)
    return figures


def describe(name: str, figures: list[float]) -> str:
    if not figures:
        return f"{name}: no calls"
    ms = sorted(f * 1000 for f in figures)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name}: {len(ms)} calls, median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"


async def main(drips: int, deadline: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        port = free_port()
        proc = start(tmp, port, deadline)
        try:
            await wait_for_port(proc, port)
            never = anyio.Event()
            idle = await mcp_latencies(port, never, seconds=3)
            body_head = (f"POST /webhooks/heygen HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json"
                         "\r\nContent-Length: 1000\r\n\r\n").encode()
            header_head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode()
            body_cuts: list[tuple[float, str]] = []
            header_cuts: list[tuple[float, str]] = []
            during: list[float] = []
            stop = anyio.Event()

            async def legitimate() -> None:
                during.extend(await mcp_latencies(port, stop))

            started = time.monotonic()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(legitimate)
                async with anyio.create_task_group() as drippers:
                    for _ in range(drips):
                        drippers.start_soon(drip, port, body_head, b"{", deadline * 4 + 20, body_cuts)
                        drippers.start_soon(drip, port, header_head, b"a", deadline * 4 + 20, header_cuts)
                stop.set()
            wall = time.monotonic() - started
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"serve --http, deadlines {deadline:g} s (HEYGEN_HTTP_HEADERS_S, HEYGEN_HTTP_BODY_S); {drips} body drips "
          f"into POST /webhooks/heygen and {drips} header drips, one byte a second each; all cut after {wall:.1f} s")
    for name, cuts in (("body drips", body_cuts), ("header drips", header_cuts)):
        times = [t for t, _ in cuts]
        answers = sorted({a for _, a in cuts})
        print(f"{name}: time to cut min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s; answered {', '.join(answers)}")
    print(describe("/mcp tools/list with the token, idle server", idle))
    print(describe("/mcp tools/list with the token, during the drips", during))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drips", type=int, default=20, help="connections dripping a body (and as many headers)")
    parser.add_argument("--deadline", type=float, default=5.0, help="header and body deadline the server gets, s")
    options = parser.parse_args()
    anyio.run(main, options.drips, options.deadline)
