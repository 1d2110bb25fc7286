"""``serve`` explains itself (issue #10 §3): the real command, as a process.

On start it prints one line on stderr (mode, transport, and over HTTP the full ``/mcp`` endpoint); the
bare address points a client at ``/mcp``; Ctrl-C (SIGINT) and SIGTERM stop it quietly, also in the
middle of a tool call; a port it cannot use is one line; every option has help, without raw markup.
"""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from heygen_studio.cli import _parser
from test_transports import child_env, free_port, ok

pytestmark = [pytest.mark.slow]
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "probe", "version": "0"}}}


def start(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve", *args], env=child_env(tmp_path, **env),
                            cwd=str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def first_line(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The first line the process writes on stderr (its start line)."""
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], timeout)
    assert ready, "serve printed nothing on stderr"
    return proc.stderr.readline()


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    """Send ``sig``; the exit code and everything else it wrote on stderr."""
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def assert_quiet(err: str) -> None:
    """Nothing after the start line (already read): a stop is expected, not worth a word."""
    assert err.strip() == "", err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_stdio_says_what_runs_and_stops_quietly(tmp_path: Path, sig: int, code: int) -> None:
    proc = start(tmp_path)
    try:
        line = first_line(proc)
        assert "MCP over stdio" in line and "sandbox" in line and str(tmp_path / "state") in line
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(INIT) + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        assert answer["result"]["serverInfo"]["name"] == "heygen-studio"
        # the client keeps stdin open, as a real one does: only the signal ends the server
        returncode, err = stop(proc, sig)
    finally:
        proc.kill()
    assert returncode == code
    assert_quiet(err)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_on_a_terminal_the_first_signal_stops_stdio_at_once_and_quietly(tmp_path: Path, sig: int, code: int) -> None:
    """stdin, stdout and stderr on a terminal, as when a person runs `heygen-studio serve`: no line ever comes, so
    the SDK's stdin reader (a worker thread) never returns. The first Ctrl-C used to do nothing (shutdown waited
    for that thread) and the second printed "Exception ignored in: <module 'threading'> … KeyboardInterrupt"."""
    import os
    import pty
    import termios

    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO  # what the test types is not shown back: the output is the server's alone
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve"], env=child_env(tmp_path),
                            cwd=str(tmp_path), stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""

    def read_until(done: Any, seconds: float) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the process closed the terminal
                    return
                seen += chunk
    try:
        read_until(lambda: b"Ctrl-C stops it." in seen, 30)
        assert b"MCP over stdio" in seen, seen
        os.write(master, json.dumps(INIT).encode() + b"\n")  # answered: the server is reading the terminal now
        read_until(lambda: b'"serverInfo"' in seen and seen.endswith(b"\n"), 30)
        assert b'"heygen-studio"' in seen, seen
        started = len(seen)
        proc.send_signal(sig)
        read_until(lambda: proc.poll() is not None, 10)
        returncode = proc.wait(timeout=1)
    finally:
        proc.kill()
        os.close(master)
    assert returncode == code
    assert seen[started:].decode().strip() == ""  # nothing after the start line: no traceback, no warning


def test_the_start_line_names_the_real_api_and_never_the_key(tmp_path: Path) -> None:
    key = "sk-live-this-must-never-show-0123456789"
    proc = start(tmp_path, HEYGEN_SANDBOX="0", HEYGEN_API_KEY=key, HEYGEN_BASE_URL="https://api.example.test")
    try:
        line = first_line(proc)
        returncode, err = stop(proc, signal.SIGINT)
    finally:
        proc.kill()
    assert "real API at https://api.example.test (key set)" in line and "sandbox" not in line
    assert key not in line + err and returncode == 130


@pytest.mark.anyio
async def test_http_names_its_endpoint_points_the_bare_address_on_and_stops_quietly_mid_call(
        tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "--http", "--no-auth", "--port", str(port), HEYGEN_SANDBOX_RENDER_S="60")
    try:
        line = first_line(proc)
        endpoint = f"http://127.0.0.1:{port}/mcp"
        assert f"MCP over streamable HTTP at {endpoint} " in line and f"http://127.0.0.1:{port}/health" in line
        assert "sandbox" in line and "NO TOKEN (--no-auth)" in line
        async with httpx2.AsyncClient(timeout=10) as http:
            bare = await http.get(f"http://127.0.0.1:{port}/")
            assert bare.status_code == 200 and bare.json()["mcp_endpoint"] == endpoint
            posted = await http.post(f"http://127.0.0.1:{port}/", json=INIT)  # a client given the bare address
            assert posted.status_code == 404 and endpoint in posted.json()["error"]
        async with Client(endpoint, mode="legacy") as client:  # the URL from the start line works as printed
            look = (await ok(client, "list_avatars", {"limit": 1}))["items"][0]["id"]
            job = await ok(client, "create_avatar_video", {"avatar_id": look, "script": "Stopped mid-wait."})
            async with anyio.create_task_group() as tg:
                async def waiting() -> None:
                    try:
                        await client.call_tool("wait_for_job", {"job_id": job["job_id"], "max_wait_s": 30})
                    except Exception:  # the server went away under the call, as asked
                        pass

                tg.start_soon(waiting)
                await anyio.sleep(1.0)  # the wait is in flight on the server
                started = time.monotonic()
                returncode, err = await anyio.to_thread.run_sync(stop, proc, signal.SIGINT)
                tg.cancel_scope.cancel()
    finally:
        proc.kill()
    assert returncode == 130 and time.monotonic() - started < 15
    assert_quiet("\n".join(line for line in err.splitlines()  # the sandbox's own start, logged as it begins
                            if not line.startswith("INFO heygen_studio.house: using the embedded HeyGen sandbox")))


@pytest.mark.parametrize("port", ["abc", "70000", "0", "in use"])
def test_a_bad_port_is_one_line(tmp_path: Path, port: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        value = str(taken.getsockname()[1]) if port == "in use" else port
        proc = start(tmp_path, "--http", "--port", value)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (1, 2) and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "--port" in err or "in use" in err


def commands() -> dict[str, object]:
    sub = next(a for a in _parser()._actions if a.choices)  # the subcommands, as argparse keeps them
    assert isinstance(sub.choices, dict)
    return dict(sub.choices)


def test_every_option_of_every_command_has_help_without_raw_markup() -> None:
    parser = _parser()
    for name, command in {"": parser, **commands()}.items():
        assert isinstance(command, type(parser))
        assert command.description and "``" not in command.description, name
        for action in command._actions:
            if action.option_strings:
                assert action.help and action.help.strip(), f"{name} {action.option_strings} has no help"
        text = command.format_help()
        assert "``" not in text and "%(" not in text, text
    # the real command prints the same help
    out = subprocess.run([sys.executable, "-m", "heygen_studio", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--port PORT" in out and "``" not in out
