"""Minimal reproduction for an upstream report (modelcontextprotocol/python-sdk, mcp 2.3): over stdio, a line
the server cannot read gets no answer at all, so a client waiting on its request id hangs.

``mcp.server.stdio.stdio_server``'s reader puts the ``ValidationError`` of a line that is not JSON (or not a
JSON-RPC message) on the read stream, and ``JSONRPCDispatcher._dispatch`` drops it with a debug log unless
``on_stream_exception`` is set, which only ``ClientSession`` does; nothing on the server side can set it.
JSON-RPC 2.0 §5.1 wants -32700 Parse error (id null) for invalid JSON and -32600 Invalid Request for a
JSON value that is not a request object. RFC 8259 §8.1 allows ignoring a byte order mark.

This script runs a one-tool ``MCPServer`` with ``server.run()`` (nothing of heygen-studio), writes raw
lines to its stdin and prints, per line, what came back within a bound. Then it checks that the server
still answers a valid request. heygen-studio works around it in ``server.serve_stdio``.

Run: .venv/bin/python bench/repro_stdio_malformed.py      (exit status 1 while any line goes unanswered)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from queue import Empty, Queue
from typing import IO

SERVER = textwrap.dedent('''
    from mcp.server import MCPServer
    server = MCPServer("repro")

    @server.tool()
    def echo(text: str) -> str:
        return text

    server.run()
''')
LINES = [
    ("lone surrogate (escaped)", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800"}}'),
    ("byte order mark", b'\xef\xbb\xbf{"jsonrpc":"2.0","id":2,"method":"ping"}'),
    ("invalid JSON", b'{"jsonrpc":"2.0","id":3,"method":'),
    ("deep nesting", b"[" * 100_000),
    ("method not a string", b'{"jsonrpc":"2.0","id":4,"method":5}'),
    ("a number", b"42"),
]
WAIT_S = 2.0


def reader(stream: IO[bytes], out: Queue[bytes]) -> None:
    for line in iter(stream.readline, b""):
        out.put(line)


def main() -> int:
    from importlib.metadata import version

    print(f"mcp {version('mcp')}, python {sys.version.split()[0]}")
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    answers: Queue[bytes] = Queue()
    threading.Thread(target=reader, args=(proc.stdout, answers), daemon=True).start()

    def exchange(line: bytes) -> str:
        proc.stdin.write(line + b"\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        try:
            return answers.get(timeout=WAIT_S).decode().strip()
        except Empty:
            return f"(no answer within {WAIT_S:g} s)"

    unanswered = 0
    try:
        for what, line in LINES:
            answer = exchange(line)
            unanswered += answer.startswith("(no answer")
            print(f"{what:<26} -> {answer[:150]}")
        init = {"jsonrpc": "2.0", "id": 9, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "repro", "version": "0"}}}
        print(f"{'then a valid initialize':<26} -> {exchange(json.dumps(init).encode())[:150]}")
    finally:
        proc.kill()
        proc.wait()
    print(f"{unanswered} of {len(LINES)} lines unanswered")
    return 1 if unanswered else 0


if __name__ == "__main__":
    sys.exit(main())
