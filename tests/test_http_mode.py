"""HTTP mode lets no one in by accident (issue #8 §3): a real server process on a real port.

Off loopback a bearer token is required (the server refuses to start without one), every MCP
request needs it, Host and Origin are checked on every bind, and /health says nothing secret.
"""

from __future__ import annotations

import subprocess
import sys
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


def test_off_loopback_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1].startswith("heygen-studio: serving on 0.0.0.0 (not loopback) needs a "
                                                   "bearer token: set HEYGEN_HTTP_TOKEN or pass --token")
    assert "Traceback" not in err


def test_a_short_or_malformed_token_stops_start_up_with_one_line(tmp_path: Path) -> None:
    for bad in ("short", "spaces in the token 123"):
        proc = serve(tmp_path, "--port", str(free_port()), HEYGEN_HTTP_TOKEN=bad)
        _, err = proc.communicate(timeout=30)
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


async def test_loopback_runs_without_a_token_but_still_checks_host(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(tmp_path, "--port", str(port))
    try:
        await wait_for_port(proc, port)
        async with httpx2.AsyncClient(timeout=10) as http:
            url = f"http://127.0.0.1:{port}/mcp"
            assert (await http.post(url, json=INIT, headers=ACCEPT)).status_code == 200
            rebound = await http.post(url, json=INIT, headers={**ACCEPT, "Host": "evil.example"})
            assert rebound.status_code in (400, 403, 421)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
