"""HTTP mode lets no one in by accident (issue #8 §3, issue #14 §4): a real server process on a real port.

Off loopback a bearer token is required (the server refuses to start without one); on loopback, without one,
the server asks for the token kept (0600) in the state folder and prints the line to paste once; ``--no-auth``
turns it off on loopback only and says so. Every MCP request needs the token, Host and Origin are checked on
every bind (``HEYGEN_PUBLIC_URL`` / ``--public-url`` lets its host in, and a 421 names it), ``--token`` and
``HEYGEN_HTTP_TOKEN`` accept the same values, ``config <client> --http`` writes the token a client needs, and
/health says nothing secret.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from test_transports import child_env, free_port, ok, wait_for_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
TOKEN = "t0ken-for-tests-0123456789"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "probe", "version": "0"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve", "--http", *args],
                            env=child_env(tmp_path, **env), cwd=str(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def banner(proc: subprocess.Popen[str], lines: int = 1, timeout: float = 30) -> list[str]:
    """The first ``lines`` lines ``serve`` writes on stderr (its banner), read straight from the pipe so a missing
    line fails after ``timeout`` instead of blocking."""
    assert proc.stderr is not None
    fd, got, ends = proc.stderr.fileno(), b"", time.monotonic() + timeout
    while got.count(b"\n") < lines:
        ready, _, _ = select.select([fd], [], [], max(0.0, ends - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        assert chunk, f"serve printed fewer than {lines} lines: {got.decode(errors='replace')}"
        got += chunk
    return got.decode().splitlines(keepends=True)[:lines]


def exited(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """What a server that should refuse to start wrote on stderr; killed (and the test failed) if it runs on."""
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the server started instead of refusing") from None


def stop(proc: subprocess.Popen[str]) -> str:
    """Stop the server; the rest of what it wrote on stderr."""
    proc.terminate()
    try:
        return proc.communicate(timeout=10)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


async def initialize(url: str, **headers: str) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.post(f"{url}/mcp", json=INIT, headers={**ACCEPT, **headers})


def test_off_loopback_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    err = exited(proc)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1].startswith("heygen-studio: serving on 0.0.0.0 (not loopback) needs a "
                                                   "bearer token: set HEYGEN_HTTP_TOKEN or pass --token")
    assert "Traceback" not in err


def test_a_short_or_malformed_token_stops_start_up_with_one_line(tmp_path: Path) -> None:
    for bad in ("short", "spaces in the token 123"):
        proc = serve(tmp_path, "--port", str(free_port()), HEYGEN_HTTP_TOKEN=bad)
        err = exited(proc)
        assert proc.returncode == 1 and "HEYGEN_HTTP_TOKEN" in err and "Traceback" not in err
        assert bad not in err


async def test_token_host_and_origin_are_checked_off_loopback(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), HEYGEN_HTTP_TOKEN=TOKEN)
    try:
        await wait_for_port(proc, port)
        url = f"http://127.0.0.1:{port}"
        async with httpx2.AsyncClient(timeout=10) as http:
            health = await http.get(f"{url}/health")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
                denied = await http.post(f"{url}/mcp", json=INIT, headers={**ACCEPT, **headers})
                assert denied.status_code == 401, headers
                assert denied.headers["www-authenticate"].startswith("Bearer") and TOKEN not in denied.text
            auth = {**ACCEPT, "Authorization": f"Bearer {TOKEN}"}
            rebound = await http.post(f"{url}/mcp", json=INIT, headers={**auth, "Host": "evil.example"})
            assert rebound.status_code in (400, 403, 421)
            foreign = await http.post(f"{url}/mcp", json=INIT, headers={**auth, "Origin": "http://evil.example"})
            assert foreign.status_code in (400, 403)
            accepted = await http.post(f"{url}/mcp", json=INIT, headers=auth)
            assert accepted.status_code == 200
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as authed, \
                Client(streamable_http_client(f"{url}/mcp", http_client=authed)) as client:
            account = await ok(client, "get_account", {})
            assert account
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_loopback_asks_for_a_kept_token_and_prints_the_line_to_paste_once(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve(tmp_path, "--port", str(port))
    try:
        start, paste = banner(proc, 2)
        await wait_for_port(proc, port)
        kept = tmp_path / "state" / "http-token"
        token = kept.read_text().strip()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and len(token) >= 32
        assert token not in start and str(kept) in start
        argv = shlex.split(paste.removeprefix("Connect a client: "))
        assert argv == ["claude", "mcp", "add", "--transport", "http", "heygen", f"{url}/mcp", "--header",
                        f"Authorization: Bearer {token}"]
        denied = await initialize(url)
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
        assert "heygen-studio config <client> --http" in denied.json()["error"] and token not in denied.text
        assert (await initialize(url, Authorization=f"Bearer {token}")).status_code == 200
        rebound = await initialize(url, Authorization=f"Bearer {token}", Host="evil.example")
        assert rebound.status_code in (400, 403, 421)
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as authed, \
                Client(streamable_http_client(f"{url}/mcp", http_client=authed)) as client:
            assert await ok(client, "get_account", {})
    finally:
        rest = stop(proc)
    assert token not in rest  # printed once, in the line meant for pasting

    proc = serve(tmp_path, "--port", str(port))  # a restart asks for the same token
    try:
        assert token in banner(proc, 2)[1]
    finally:
        stop(proc)


async def test_no_auth_is_loopback_only_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(tmp_path, "--no-auth", "--port", str(port))
    try:
        (line,) = banner(proc)
        assert "NO TOKEN (--no-auth)" in line
        await wait_for_port(proc, port)
        assert (await initialize(f"http://127.0.0.1:{port}")).status_code == 200
    finally:
        stop(proc)
    assert not (tmp_path / "state" / "http-token").exists()
    for args, env in ((("--host", "0.0.0.0"), {}), ((), {"HEYGEN_HTTP_TOKEN": TOKEN})):
        proc = serve(tmp_path, "--no-auth", "--port", str(free_port()), *args, **env)
        err = exited(proc)
        assert proc.returncode == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert "--no-auth" in err and TOKEN not in err


@pytest.mark.parametrize("bad", ["spaces in the token 123", "sh0rt-t0ken", "tab\tin-the-token-0123456789",
                                 "n\u00f6n-ascii-token-0123456789"])
def test_token_flag_and_variable_refuse_the_same_values(tmp_path: Path, bad: str) -> None:
    for args, env in ((("--token", bad), {}), ((), {"HEYGEN_HTTP_TOKEN": bad})):
        proc = serve(tmp_path, "--port", str(free_port()), *args, **env)
        err = exited(proc)
        assert proc.returncode in (1, 2) and "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and bad not in err, err
        assert "token" in err.lower()


async def test_token_flag_and_variable_accept_the_same_values(tmp_path: Path) -> None:
    good = "Ab3$%^&*()_+-=[]{}|;:,.<>?~`0123"  # printable ASCII, no spaces
    for args, env in ((("--token", good), {}), ((), {"HEYGEN_HTTP_TOKEN": good})):
        port = free_port()
        proc = serve(tmp_path, "--port", str(port), *args, **env)
        try:
            (line,) = banner(proc)
            assert good not in line
            await wait_for_port(proc, port)
            url = f"http://127.0.0.1:{port}"
            assert (await initialize(url)).status_code == 401
            assert (await initialize(url, Authorization=f"Bearer {good}")).status_code == 200
        finally:
            assert good not in stop(proc)


async def test_a_public_url_lets_other_machines_in_and_a_421_names_it(tmp_path: Path) -> None:
    port = free_port()
    name = f"studio-box.test:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), HEYGEN_HTTP_TOKEN=TOKEN)
    try:
        (line,) = banner(proc)
        assert "HEYGEN_PUBLIC_URL" in line  # says what to set for other machines
        await wait_for_port(proc, port)
        refused = await initialize(f"http://127.0.0.1:{port}", Host=name, **auth)
        assert refused.status_code == 421 and "HEYGEN_PUBLIC_URL" in refused.json()["error"]
        assert f"http://{name}" in refused.json()["error"]
    finally:
        stop(proc)
    for args, env in ((("--public-url", f"http://{name}/"), {}), ((), {"HEYGEN_PUBLIC_URL": f"http://{name}"})):
        proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), *args, HEYGEN_HTTP_TOKEN=TOKEN, **env)
        try:
            (line,) = banner(proc)
            assert f"MCP over streamable HTTP at http://{name}/mcp " in line and "127.0.0.1" not in line
            await wait_for_port(proc, port)
            url = f"http://127.0.0.1:{port}"
            assert (await initialize(url, Host=name, **auth)).status_code == 200
            assert (await initialize(url, Host=name, Origin=f"http://{name}", **auth)).status_code == 200
            assert (await initialize(url, Host=name)).status_code == 401  # the token is still needed
            assert (await initialize(url, Host="evil.example", **auth)).status_code == 421
            async with httpx2.AsyncClient(timeout=10) as http:
                bare = await http.get(f"{url}/", headers={"Host": name})
                assert bare.json()["mcp_endpoint"] == f"http://{name}/mcp"
        finally:
            stop(proc)


async def test_config_http_writes_the_token_the_server_asks_for(tmp_path: Path) -> None:
    port = free_port()
    env = {**child_env(tmp_path), "HOME": str(tmp_path)}
    config = [sys.executable, "-m", "heygen_studio", "config"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*config, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)

    printed = run("cursor", "--http", "--port", str(port))  # before the server ever ran: the token is made
    assert printed.returncode == 0, printed.stderr
    entry = json.loads(printed.stdout)["mcpServers"]["heygen"]
    token = (tmp_path / "state" / "http-token").read_text().strip()
    assert entry == {"url": f"http://127.0.0.1:{port}/mcp", "headers": {"Authorization": f"Bearer {token}"}}
    assert token not in printed.stderr
    vscode = json.loads(run("vscode", "--http", "--port", str(port)).stdout)["servers"]["heygen"]
    assert vscode["type"] == "http" and vscode["headers"] == entry["headers"]
    assert json.loads(run("windsurf", "--http", "--port", str(port)).stdout)["mcpServers"]["heygen"] == {
        "serverUrl": entry["url"], "headers": entry["headers"]}
    line = shlex.split(run("claude-code", "--http", "--port", str(port)).stdout)
    assert line[:5] == ["claude", "mcp", "add", "--transport", "http"] and line[-1] == f"Authorization: Bearer {token}"
    desktop = run("claude-desktop", "--http")
    assert desktop.returncode == 1 and "without --http" in desktop.stderr and not desktop.stdout

    written = run("cursor", "--http", "--port", str(port), "--write")
    assert written.returncode == 0, written.stderr
    assert json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["heygen"] == entry
    proc = serve(tmp_path, "--port", str(port))
    try:
        await wait_for_port(proc, port)
        async with httpx2.AsyncClient(headers=entry["headers"], timeout=30) as authed, \
                Client(streamable_http_client(entry["url"], http_client=authed)) as client:
            assert await ok(client, "get_account", {})
    finally:
        stop(proc)
    assert os.stat(tmp_path / "state" / "http-token").st_mode & 0o077 == 0
