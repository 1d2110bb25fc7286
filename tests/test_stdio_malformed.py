"""Raw JSON-RPC lines over stdio (issue #8 §2 "Input": "raw JSON-RPC lines with lone surrogates, a BOM,
invalid JSON or very deep nesting get no answer at all over stdio (the SDK's reader drops them), so the
client hangs").

A real ``heygen-studio serve`` child is fed raw bytes on stdin and every answer is awaited with a bound.
JSON-RPC 2.0 §5.1: a line that is not JSON gets a Parse error (-32700) and a JSON value that is not a
request object an Invalid Request (-32600), both with ``"id": null`` unless the id can be read; a
response object is never answered. RFC 8259 §8.1 lets a parser ignore a byte order mark, so a BOM in
front of a request is dropped and the request answered. After all of that the server still serves.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from test_transports import child_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
ANSWER_S = 5.0  # each answer within this (the server answers in milliseconds; a hang is the bug)

PARSE_ERROR, INVALID_REQUEST = -32700, -32600
# (what, raw line without its newline, expected code (None: a result), expected id)
MALFORMED: list[tuple[str, bytes, int | None, Any]] = [
    ("lone surrogate", b'{"jsonrpc":"2.0","id":11,"method":"ping","params":{"x":"\\ud800"}}', PARSE_ERROR, None),
    ("lone low surrogate", b'{"jsonrpc":"2.0","id":12,"method":"ping","params":{"x":"a\\udfffb"}}', PARSE_ERROR,
     None),
    ("invalid JSON", b'{"jsonrpc":"2.0","id":13,"method":', PARSE_ERROR, None),
    ("not JSON at all", b"hello", PARSE_ERROR, None),
    ("deep nesting", b"[" * 100_000, PARSE_ERROR, None),
    ("deep nesting in params", b'{"jsonrpc":"2.0","id":14,"method":"ping","params":{"a":' + b"[" * 5000
     + b"]" * 5000 + b"}}", PARSE_ERROR, None),
    ("invalid UTF-8 made valid", b'{"jsonrpc":"2.0","id":15,"method":"ping","params":{"x":"\xff\xfe"}}', None, 15),
    ("BOM before a request", b'\xef\xbb\xbf{"jsonrpc":"2.0","id":16,"method":"ping"}', None, 16),
    ("method not a string", b'{"jsonrpc":"2.0","id":17,"method":5}', INVALID_REQUEST, 17),
    ("wrong jsonrpc version", b'{"jsonrpc":"1.0","id":"a-18","method":"ping"}', INVALID_REQUEST, "a-18"),
    ("a number", b"42", INVALID_REQUEST, None),
    ("an empty batch", b"[]", INVALID_REQUEST, None),
    ("a batch", b'[{"jsonrpc":"2.0","id":19,"method":"ping"}]', INVALID_REQUEST, None),
    ("an object with no method", b'{"jsonrpc":"2.0","id":20}', INVALID_REQUEST, 20),
    ("a bad notification", b'{"jsonrpc":"2.0","method":7}', INVALID_REQUEST, None),
]
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw-lines", "version": "0"}}}


class RawClient:
    def __init__(self, process: Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.stdin = process.stdin
        self.stdout = BufferedByteReceiveStream(process.stdout)

    async def send(self, line: bytes | dict[str, Any]) -> None:
        raw = line if isinstance(line, bytes) else json.dumps(line).encode()
        await self.stdin.send(raw + b"\n")

    async def answer(self) -> dict[str, Any] | None:
        """The next message, or None when nothing comes within ANSWER_S."""
        with anyio.move_on_after(ANSWER_S):
            return json.loads(await self.stdout.receive_until(b"\n", 1 << 24))  # type: ignore[no-any-return]
        return None

    async def nothing_within(self, seconds: float) -> dict[str, Any] | None:
        with anyio.move_on_after(seconds):
            return json.loads(await self.stdout.receive_until(b"\n", 1 << 24))  # type: ignore[no-any-return]
        return None


@pytest.fixture
async def raw(tmp_path: Path) -> AsyncIterator[RawClient]:
    with open(os.devnull, "wb") as quiet:
        process = await anyio.open_process([sys.executable, "-m", "heygen_studio", "serve"], env=child_env(tmp_path),
                                           cwd=str(tmp_path), stderr=quiet)
    async with process:
        try:
            yield RawClient(process)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


def check(what: str, answer: dict[str, Any] | None, code: int | None, ident: Any) -> str | None:
    """What is wrong with the answer to one malformed line (None: right)."""
    if answer is None:
        return f"{what}: no answer within {ANSWER_S:g} s"
    if answer.get("jsonrpc") != "2.0" or answer.get("id", "missing") != ident:
        return f"{what}: wrong envelope {answer}"
    if code is None:
        return None if "result" in answer else f"{what}: expected a result, got {answer}"
    if answer.get("error", {}).get("code") != code or not answer["error"].get("message"):
        return f"{what}: expected error {code}, got {answer}"
    return None


async def test_malformed_lines_are_answered_and_the_server_keeps_serving(raw: RawClient) -> None:
    wrong = []
    # before the handshake (the first request decides the protocol era; junk must not) …
    for what, line, code, ident in MALFORMED:
        await raw.send(line)
        wrong.append(check(f"before initialize: {what}", await raw.answer(), code, ident))
    await raw.send(INITIALIZE)
    init = await raw.answer()
    assert init is not None and init.get("id") == 1 and init["result"]["serverInfo"]["name"] == "heygen-studio", init
    await raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    # … and after it
    for what, line, code, ident in MALFORMED:
        await raw.send(line)
        wrong.append(check(f"after initialize: {what}", await raw.answer(), code, ident))
    await raw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    listed = await raw.answer()
    assert listed is not None and listed.get("id") == 2 and len(listed["result"]["tools"]) >= 32, listed
    await raw.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                    "params": {"name": "get_account", "arguments": {}}})
    called = await raw.answer()
    assert called is not None and called.get("id") == 3 and not called["result"].get("isError"), called
    failures = [w for w in wrong if w]
    assert not failures, "\n".join(failures)


async def test_responses_and_blank_lines_are_not_answered(raw: RawClient) -> None:
    """JSON-RPC never answers a response (even a malformed one), and a blank line is no message."""
    for line in (b'{"jsonrpc":"2.0","id":99,"result":{}}', b'{"jsonrpc":"2.0","id":98,"result":1,"error":{}}',
                 b"", b"   "):
        await raw.send(line)
    assert await raw.nothing_within(1.0) is None
    await raw.send(INITIALIZE)
    init = await raw.answer()
    assert init is not None and init.get("id") == 1 and "result" in init, init


async def test_end_of_input_ends_the_server(raw: RawClient) -> None:
    await raw.send(b"{not json")
    await raw.answer()
    await raw.stdin.aclose()
    with anyio.fail_after(10):
        assert await raw.process.wait() == 0
