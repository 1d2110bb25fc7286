"""HTTP that a slow client cannot hold (issue #14 §4): a real ``serve --http`` process, real sockets.

Connections that drip a request's headers or body a byte at a time are cut (408, closed) once the deadline
(2 s here, ``HEYGEN_HTTP_HEADERS_S`` / ``HEYGEN_HTTP_BODY_S``) passes; requests without the token are read at
most ``MAX_UNAUTHENTICATED`` at once (503 + Retry-After beyond), connections still sending headers at most
``MAX_PENDING_CONNECTIONS`` (the oldest closed); and all the while a client with the token keeps being answered
on ``/mcp``. Time bounds here are generous (a 2 s deadline must cut within 10 s): they prove the cut, not a speed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from anyio.abc import SocketStream
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from heygen_studio.serving import MAX_PENDING_CONNECTIONS, MAX_UNAUTHENTICATED
from test_transports import child_env, free_port, wait_for_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
TOKEN = "t0ken-for-slow-tests-0123456789"
DEADLINE_S = 2.0
CUT_WITHIN_S = 10.0


@asynccontextmanager
async def server(tmp_path: Path, *, headers_s: float = DEADLINE_S, body_s: float = DEADLINE_S) -> AsyncIterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve", "--http", "--port", str(port)],
                            env=child_env(tmp_path, HEYGEN_HTTP_TOKEN=TOKEN, HEYGEN_HTTP_HEADERS_S=str(headers_s),
                                          HEYGEN_HTTP_BODY_S=str(body_s)),
                            cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_for_port(proc, port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def webhook_head(port: int, length: int = 1000) -> bytes:
    return (f"POST /webhooks/heygen HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


async def until_closed(stream: SocketStream, drip: bytes | None, limit_s: float) -> tuple[float, bytes]:
    """Send ``drip`` once a second (None: nothing) until the server closes; seconds taken and what it answered.
    Gives up (``inf``) after ``limit_s``."""
    started = time.monotonic()
    answered = b""
    while time.monotonic() - started < limit_s:
        with anyio.move_on_after(1.0):
            try:
                answered += await stream.receive()
                continue
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                return time.monotonic() - started, answered
        if drip is not None:
            try:
                await stream.send(drip)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
                return time.monotonic() - started, answered
    return float("inf"), answered


async def dripper(port: int, head: bytes, drip: bytes | None, results: list[tuple[float, bytes]]) -> None:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(head)
        results.append(await until_closed(stream, drip, CUT_WITHIN_S + 5))


async def keep_calling(port: int, stop: anyio.Event, latencies: list[float]) -> None:
    """A legitimate client with the token: ``tools/list`` over and over until ``stop`` (at least once)."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http, \
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
        while True:
            started = time.monotonic()
            tools = await client.list_tools()
            latencies.append(time.monotonic() - started)
            assert tools.tools
            if stop.is_set():
                return
            await anyio.sleep(0.1)


async def test_twenty_body_drips_into_the_webhook_are_cut_and_mcp_keeps_answering(tmp_path: Path) -> None:
    async with server(tmp_path) as port:
        cuts: list[tuple[float, bytes]] = []
        latencies: list[float] = []
        stop = anyio.Event()
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(keep_calling, port, stop, latencies)
                async with anyio.create_task_group() as drips:
                    for _ in range(20):
                        drips.start_soon(dripper, port, webhook_head(port), b"{", cuts)
                stop.set()
    assert len(cuts) == 20
    for seconds, answered in cuts:
        assert seconds < CUT_WITHIN_S, cuts
        assert answered.startswith(b"HTTP/1.1 408 ") and b"HEYGEN_HTTP_BODY_S" in answered, answered
    assert len(latencies) >= 5  # answered throughout the drip, not once before or after it


async def test_header_drips_and_silent_connections_are_cut(tmp_path: Path) -> None:
    async with server(tmp_path) as port:
        cuts: list[tuple[float, bytes]] = []
        latencies: list[float] = []
        stop = anyio.Event()
        head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode()
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(keep_calling, port, stop, latencies)
                async with anyio.create_task_group() as drips:
                    for _ in range(10):
                        drips.start_soon(dripper, port, head, b"a", cuts)  # one header byte a second
                        drips.start_soon(dripper, port, b"", None, cuts)  # connects and says nothing
                stop.set()
    assert len(cuts) == 20
    for seconds, answered in cuts:
        assert seconds < CUT_WITHIN_S, cuts
        assert answered.startswith(b"HTTP/1.1 408 ") and b"HEYGEN_HTTP_HEADERS_S" in answered, answered
    assert len(latencies) >= 5


async def test_requests_without_the_token_are_capped_and_the_token_is_never_queued(tmp_path: Path) -> None:
    async with server(tmp_path, body_s=30) as port:
        held: list[SocketStream] = []
        try:
            for _ in range(MAX_UNAUTHENTICATED):  # webhook deliveries whose body never comes
                stream = await anyio.connect_tcp("127.0.0.1", port)
                held.append(stream)
                await stream.send(webhook_head(port))
            await anyio.sleep(1.0)  # all of them are being read now
            with anyio.fail_after(10):
                for _ in range(3):
                    async with await anyio.connect_tcp("127.0.0.1", port) as extra:
                        await extra.send(webhook_head(port))
                        seconds, answered = await until_closed(extra, None, 5)
                    assert seconds < 5 and answered.startswith(b"HTTP/1.1 503 "), answered
                    assert b"retry-after: 5" in answered.lower()
                async with httpx2.AsyncClient(timeout=5) as http:
                    busy = await http.post(f"http://127.0.0.1:{port}/mcp", json={})  # no token, a body to read
                    assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
                    denied = await http.get(f"http://127.0.0.1:{port}/mcp")  # no token, nothing to read
                    assert denied.status_code == 401
                # the token's requests are not counted
                latencies: list[float] = []
                stop = anyio.Event()
                stop.set()  # one round: list the tools once
                await keep_calling(port, stop, latencies)
                assert latencies
        finally:
            for stream in held:
                await stream.aclose()


async def test_connections_waiting_for_headers_are_capped_oldest_first(tmp_path: Path) -> None:
    extra = 12
    async with server(tmp_path, headers_s=60) as port:
        opened: list[SocketStream] = []
        try:
            for _ in range(MAX_PENDING_CONNECTIONS + extra):
                opened.append(await anyio.connect_tcp("127.0.0.1", port))
                await anyio.sleep(0.005)  # accepted in order
            await anyio.sleep(1.0)
            closed = []
            with anyio.fail_after(20):
                for n, stream in enumerate(opened):
                    with anyio.move_on_after(0.05):
                        try:
                            await stream.receive()
                        except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                            closed.append(n)
            assert len(closed) >= extra and max(closed) < 2 * extra + 5, closed  # the oldest went, well before 60 s
            latencies: list[float] = []
            stop = anyio.Event()
            stop.set()
            with anyio.fail_after(10):
                await keep_calling(port, stop, latencies)  # a new client still gets in
            assert latencies
        finally:
            for stream in opened:
                await stream.aclose()


async def test_a_request_without_the_token_is_refused_whole_and_its_drip_cut(tmp_path: Path) -> None:
    async with server(tmp_path) as port:
        async with httpx2.AsyncClient(timeout=10) as http:
            for size in (10, 100_000):  # small: read and dropped, then 401 on a kept connection; large: 401, closed
                denied = await http.post(f"http://127.0.0.1:{port}/mcp", content=b"x" * size,
                                         headers={"Content-Type": "application/json"})
                assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
        cuts: list[tuple[float, bytes]] = []
        head = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                "Content-Length: 1000\r\n\r\n").encode()
        with anyio.fail_after(30):
            async with anyio.create_task_group() as drips:
                for _ in range(5):
                    drips.start_soon(dripper, port, head, b"{", cuts)
    for seconds, answered in cuts:
        assert seconds < CUT_WITHIN_S and answered.startswith(b"HTTP/1.1 401 "), (seconds, answered)
