"""Real transports: a stdio subprocess (both protocol eras) and streamable HTTP on a real port.

The stdio test is the end-to-end proof: through a real MCP client, in sandbox mode,
create → wait_for_job → download_video gives a valid MP4 on disk, for the avatar, Video Agent and
Studio routes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
SAMPLE = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media" / "sample.mp4"


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEYGEN_", "DEEPSEEK_"))}
    env.update(HEYGEN_SANDBOX="1", HEYGEN_OUTPUT_DIR=str(tmp_path / "out"), HEYGEN_STATE_DIR=str(tmp_path / "state"),
               HEYGEN_SANDBOX_RENDER_S="0.6", HEYGEN_POLL_INTERVAL="0.1", HEYGEN_TOOLSETS="all")
    env.update(extra)
    return env


@asynccontextmanager
async def stdio_server(env: dict[str, str], cwd: Path) -> AsyncIterator[Client]:
    """A real ``heygen-studio serve`` process over stdio, its log discarded."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"], env=env,
                                   cwd=str(cwd))
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            yield client


async def ok(client: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def finish(client: Any, job_id: str) -> dict[str, Any]:
    with anyio.fail_after(60):
        while True:
            status = await ok(client, "wait_for_job", {"job_id": job_id, "max_wait_s": 5})
            if status["done"]:
                return status


def assert_mp4(path: Path) -> None:
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and b"moov" in data and b"avc1" in data  # an H.264 MP4
    assert data != SAMPLE.read_bytes()  # rendered for the request (the render extra), not the bundled sample


async def test_stdio_end_to_end_three_routes(tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"],
                                   env=child_env(tmp_path), cwd=str(tmp_path))
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:
            assert client.protocol_version == "2026-07-28"
            look = (await ok(client, "list_avatars", {"limit": 1}))["items"][0]["id"]
            voice = (await ok(client, "list_voices", {"language": "en", "limit": 1}))["items"][0]["voice_id"]
            jobs = [
                await ok(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi."}),
                await ok(client, "create_agent_video", {"prompt": "A ten second hello."}),
                await ok(client, "create_studio_video", {"scenes": [
                    {"avatar_id": look, "voice_id": voice, "script": "Scene one."},
                    {"avatar_id": look, "voice_id": voice, "script": "Scene two."}]}),
            ]
            for n, job in enumerate(jobs):
                status = await finish(client, job["job_id"])
                assert status["status"] == "completed", status
                saved = await ok(client, "download_video", {"job_id": job["job_id"], "filename": f"r{n}.mp4"})
                path = Path(saved["path"])
                assert path.parent == tmp_path / "out"
                assert_mp4(path)


async def test_stdio_legacy_handshake(tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "heygen_studio", "serve"],
                                   env=child_env(tmp_path), cwd=str(tmp_path))
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "heygen-studio" and init.server_info.version
            assert "wait_for_job" in (init.instructions or "")
            tools = await session.list_tools()
            assert "create_studio_video" in {t.name for t in tools.tools}
            result = await session.call_tool("get_account", {})
            assert not result.is_error and result.structured_content["username"]


async def wait_for_port(proc: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, f"nothing listens on port {port}"
            await anyio.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def uvicorn_on(app: Any, port: int | None = None, *, lifespan: str = "on") -> AsyncIterator[str]:
    """``app`` served by uvicorn in this event loop on a loopback port (``port``, else a free one) until the block
    ends; yields its base URL once it listens."""
    import uvicorn

    port = port or free_port()
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(web.serve)
        try:
            with anyio.fail_after(10):
                while not web.started:
                    await anyio.sleep(0.01)
            yield f"http://127.0.0.1:{port}"
        finally:
            web.should_exit = True


async def test_streamable_http_on_a_real_port(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "serve", "--http", "--no-auth", "--port",
                             str(port)], env=child_env(tmp_path), cwd=str(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        await wait_for_port(proc, port)
        seen: list[float] = []

        async def on_progress(p: float, total: float | None, msg: str | None) -> None:
            seen.append(p)

        for mode in ("auto", "legacy"):
            seen.clear()
            async with Client(f"http://127.0.0.1:{port}/mcp", mode=mode) as client:

                voices = await ok(client, "list_voices", {"limit": 2})
                assert len(voices["items"]) == 2
                look = (await ok(client, "list_avatars", {"limit": 1}))["items"][0]["id"]
                job = await ok(client, "create_avatar_video", {"avatar_id": look, "script": f"HTTP {mode}."})
                result = await client.call_tool("wait_for_job", {"job_id": job["job_id"], "max_wait_s": 10},
                                                progress_callback=on_progress)
                assert result.structured_content["done"] and seen and seen[-1] == 100
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_sandbox_command_serves_the_client_over_a_real_socket(tmp_path: Path) -> None:
    from heygen_studio.core.client import HeyGenClient
    from heygen_studio.core.errors import AuthenticationError

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "sandbox", "--port", str(port)],
                            env=child_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_for_port(proc, port)
        base = f"http://127.0.0.1:{port}"
        async with HeyGenClient(api_key="any-key", base_url=base) as hg:
            assert (await hg.account.me()).username
            voices = await hg.voices.list(language="English", limit=3)
            assert len(voices.items) == 3
        async with HeyGenClient(api_key="bad-key", base_url=base, max_retries=0) as hg:
            with pytest.raises(AuthenticationError):
                await hg.account.me()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
