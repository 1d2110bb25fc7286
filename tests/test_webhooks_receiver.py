"""Webhooks in (issue #8 §4), at the wire: HTTP mode served by uvicorn on a loopback port, an MCP client
over streamable HTTP, and HeyGen's deliveries POSTed to ``/webhooks/heygen``.

A signed delivery updates the job's row in the store and wakes a waiting ``wait_for_job`` at once (the
poll interval is 30 s, so only the wake-up can explain a fast return); unsigned, wrongly signed, stale,
replayed, empty-secret and giant-timestamp deliveries get a 4xx and change nothing. ``add_webhook()``
registers this server's own URL and keeps the secret for the receiver; the sandbox's own signed delivery
then gets through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import make_settings
from contract import ContractTransport, load_contract
from heygen_studio.sandbox import ManualClock, SandboxConfig, create_app
from heygen_studio.server import StudioServer, create_server
from heygen_studio.serving import http_app
from test_transports import free_port, uvicorn_on

pytestmark = pytest.mark.anyio
SECRET = "whsec_receiver_test_0123456789"
TOKEN = "t0ken-for-webhook-tests-0123456789"
LOOK = "Abigail_expressive_2024112501"


@asynccontextmanager
async def served(settings: Any, wire: Any, *, token: str | None = None
                 ) -> AsyncIterator[tuple[str, StudioServer, Client]]:
    """The HTTP-mode app on a real loopback port (lifespan running), and an MCP client connected to it."""
    server = create_server(settings, transport=wire)
    port = free_port()
    app = http_app(server, settings, host="127.0.0.1", port=port, token=token)
    async with uvicorn_on(app, port) as url:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http, \
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield url, server, client


async def ok(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


def event(video_id: str, event_type: str = "avatar_video.success") -> bytes:
    data = {"video_id": video_id, "url": "https://files.example-cdn.com/v.mp4", "callback_id": None}
    return json.dumps({"event_type": event_type, "event_data": data}, separators=(",", ":")).encode()


def signed(body: bytes, *, secret: str = SECRET, stamp: int | str | None = None,
           event_id: str | None = None) -> dict[str, str]:
    """Headers as HeyGen's public verifiers read them: hex HMAC-SHA256(secret, raw body)."""
    return {"Content-Type": "application/json", "Heygen-Event-Id": event_id or f"evt_{uuid.uuid4().hex}",
            "Heygen-Timestamp": str(int(time.time()) if stamp is None else stamp),
            "Heygen-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def video_polls(sandbox: Any, video_id: str) -> int:
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path == f"/v3/videos/{video_id}")


def api_settings(tmp_path: Path, **overrides: Any) -> Any:
    """A server on the 'real' API settings (no sandbox clamp on the poll interval: 30 s between polls)."""
    values: dict[str, Any] = {"heygen_sandbox": False, "heygen_api_key": "test-key-0123456789",
                              "heygen_poll_interval": 30.0, "heygen_webhook_secret": SECRET}
    return make_settings(tmp_path, **{**values, **overrides})


async def returned(results: list[Any], within_s: float = 5.0) -> None:
    """Until the wait started beside the test (``start_waiting``) has answered, within ``within_s``."""
    with anyio.fail_after(within_s):
        while not results:
            await anyio.sleep(0.001)


async def start_waiting(client: Client, server: StudioServer, sandbox: Any, job_id: str,
                        tasks: Any, results: list[dict[str, Any]]) -> None:
    """Start wait_for_job(job_id) and return once it listens and made its first poll."""
    raw = job_id.partition(":")[2]

    async def waiter() -> None:
        results.append(await ok(client, "wait_for_job", {"job_id": job_id, "max_wait_s": 60}))

    tasks.start_soon(waiter)
    with anyio.fail_after(10):
        while not (server.live.signals.waiting(raw) and video_polls(sandbox, raw) >= 1):
            await anyio.sleep(0.005)


async def test_a_signed_delivery_updates_the_store_and_wakes_wait_for_job_at_once(
        tmp_path: Path, wire: ContractTransport, sandbox: Any, clock: Any) -> None:
    async with served(api_settings(tmp_path), wire, token=TOKEN) as (url, server, client):
        job = await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": "Wake me when done."})
        raw = job["video_id"]
        results: list[dict[str, Any]] = []
        async with anyio.create_task_group() as tasks:
            await start_waiting(client, server, sandbox, job["job_id"], tasks, results)
            await anyio.sleep(0.3)
            assert results == [] and video_polls(sandbox, raw) == 1  # waiting, not polling (30 s interval)
            clock.advance(3600)  # HeyGen finished the render
            body = event(raw)
            started = time.perf_counter()
            async with httpx2.AsyncClient(timeout=10) as http:  # no bearer token: the signature is the auth
                answer = await http.post(f"{url}/webhooks/heygen", content=body, headers=signed(body))
            assert answer.status_code == 200, answer.text
            assert answer.json()["job_id"] == job["job_id"]
            await returned(results)
            woke_in = time.perf_counter() - started
        (status,) = results
        assert status["done"] and status["status"] == "completed"
        assert woke_in < 0.2, f"wait_for_job returned {woke_in * 1000:.0f} ms after the delivery"
        assert video_polls(sandbox, raw) == 2  # one poll before, one on the wake-up: the poll stays the truth
        row = server.live.state.jobs.get(raw) if server.live.state else None
        assert row is not None and row.get("status") == "completed"
        assert row.get("webhook_event") == "avatar_video.success"
        assert row.get("webhook_event_id") == answer.json()["event_id"]


async def test_unsigned_wrong_stale_replayed_blank_and_giant_deliveries_are_refused(
        tmp_path: Path, wire: ContractTransport, sandbox: Any, clock: Any) -> None:
    async with served(api_settings(tmp_path), wire, token=TOKEN) as (url, server, client):
        job = await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": "Refuse the forgeries."})
        raw = job["video_id"]
        body = event(raw)
        replay = signed(event(raw, "avatar_video.fail"))
        fresh = signed(body)
        cases: dict[str, tuple[bytes, dict[str, str]]] = {
            "unsigned": (body, {k: v for k, v in fresh.items() if k != "Heygen-Signature"}),
            "wrong secret": (body, signed(body, secret="whsec_someone_else_0123456789")),
            "tampered body": (body.replace(b"success", b"fail"), fresh),
            "empty secret": (body, signed(body, secret="")),
            # Far past the ±300 s tolerance: a stamp only 301 s ahead came within it while a loaded machine sent it.
            "stale": (body, signed(body, stamp=int(time.time()) - 900)),
            "future": (body, signed(body, stamp=int(time.time()) + 900)),
            "giant timestamp": (body, signed(body, stamp="9" * 5000)),
            "no event id": (body, {k: v for k, v in fresh.items() if k != "Heygen-Event-Id"}),
            "bearer token instead": (body, {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}),
        }
        results: list[dict[str, Any]] = []
        async with anyio.create_task_group() as tasks, httpx2.AsyncClient(timeout=10) as http:
            await start_waiting(client, server, sandbox, job["job_id"], tasks, results)
            for name, (content, headers) in cases.items():
                answer = await http.post(f"{url}/webhooks/heygen", content=content, headers=headers)
                assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
                assert SECRET not in answer.text
            first = await http.post(f"{url}/webhooks/heygen", content=event(raw, "avatar_video.fail"), headers=replay)
            assert first.status_code == 200, first.text
            await anyio.sleep(0.05)
            polls = video_polls(sandbox, raw)
            again = await http.post(f"{url}/webhooks/heygen", content=event(raw, "avatar_video.fail"), headers=replay)
            assert again.status_code == 409 and "replayed" in again.json()["error"]
            new_id = {**replay, "Heygen-Event-Id": "evt_new", "Heygen-Timestamp": str(int(time.time()))}
            resent = await http.post(f"{url}/webhooks/heygen", content=event(raw, "avatar_video.fail"), headers=new_id)
            assert resent.status_code == 409  # the body form signs only the body: same bytes, same event
            assert (await http.get(f"{url}/webhooks/heygen")).status_code == 405
            await anyio.sleep(0.1)
            assert video_polls(sandbox, raw) == polls  # refused replays woke nobody
            assert results == []  # the genuine 'fail' woke it; the poll said 'processing', so it waits on
            tasks.cancel_scope.cancel()
        row = server.live.state.jobs.get(raw) if server.live.state else None
        assert row is not None and row.get("webhook_event") == "avatar_video.fail"  # only the genuine one
        assert row.get("webhook_event_id") == replay["Heygen-Event-Id"]


async def test_without_a_secret_every_delivery_is_refused(tmp_path: Path, wire: ContractTransport) -> None:
    settings = api_settings(tmp_path, heygen_webhook_secret=None)
    async with served(settings, wire) as (url, _, _client), httpx2.AsyncClient(timeout=10) as http:
        body = event("v_1")
        for secret in ("", " "):  # what a blank HEYGEN_WEBHOOK_SECRET would have accepted in 0.1
            answer = await http.post(f"{url}/webhooks/heygen", content=body, headers=signed(body, secret=secret))
            assert answer.status_code == 401 and "HEYGEN_WEBHOOK_SECRET" in answer.json()["error"]


class Tunnel(httpx2.AsyncBaseTransport):
    """What a TLS tunnel does for HEYGEN_PUBLIC_URL: https://studio.example.test → this loopback port, by TCP."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.host == "studio.example.test"
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        request.headers["host"] = f"127.0.0.1:{self.port}"
        return await self.inner.handle_async_request(request)


async def test_add_webhook_registers_this_server_and_its_sandbox_deliveries_get_through(tmp_path: Path) -> None:
    """The whole loop: add_webhook() with HEYGEN_PUBLIC_URL, the secret kept (0600), the sandbox's own signed
    delivery (body form) POSTed over loopback to /webhooks/heygen, the store updated, the waiter woken."""
    port = free_port()
    clock = ManualClock(start=time.time())
    sandbox_app = create_app(SandboxConfig(webhook_transport=Tunnel(port)), clock=clock)
    sandbox = sandbox_app.state.sandbox
    wire = ContractTransport(httpx2.ASGITransport(app=sandbox_app), load_contract())
    settings = make_settings(tmp_path, heygen_public_url="https://studio.example.test")
    book = settings.webhook_secrets_path
    server = create_server(settings, transport=wire)
    app = http_app(server, settings, host="127.0.0.1", port=port)
    async with uvicorn_on(app, port) as url, httpx2.AsyncClient(timeout=60) as http, \
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
        added = await ok(client, "add_webhook", {"events": ["avatar_video.success", "avatar_video.fail"]})
        assert added["url"] == "https://studio.example.test/webhooks/heygen"
        assert added["secret"] is None and str(book) in added["next_step"]
        assert stat.S_IMODE(os.stat(book).st_mode) == 0o600
        assert json.loads(book.read_text())[0]["endpoint_id"] == added["endpoint_id"]
        job = await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": "Tell me yourself."})
        results: list[dict[str, Any]] = []
        async with anyio.create_task_group() as waiting:
            await start_waiting(client, server, sandbox, job["job_id"], waiting, results)
            clock.advance(30)
            async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app),
                                          base_url="http://sandbox.heygen.test",
                                          headers={"x-api-key": "k"}) as other:
                await other.get("/v3/users/me")  # any request ticks the sandbox: it delivers the event
            await returned(results)
        (delivery,) = [d for d in sandbox.deliveries if d.kind == "webhook"]
        assert delivery.status == 200 and delivery.event_type == "avatar_video.success"
        assert results[0]["done"]
        row = server.live.state.jobs.get(job["video_id"]) if server.live.state else None
        assert row is not None and row.get("webhook_event") == "avatar_video.success"
        await ok(client, "delete_webhook", {"endpoint_id": added["endpoint_id"]})
        assert json.loads(book.read_text()) == []  # its secret is forgotten with it


async def test_add_webhook_self_without_a_public_url_says_how_and_sends_nothing(mcp: Client, sandbox: Any) -> None:
    result = await mcp.call_tool("add_webhook", {})
    assert result.is_error and "HEYGEN_PUBLIC_URL" in result.content[0].text
    assert "serve --http" in result.content[0].text
    assert not [r for r in sandbox.requests if r.path.startswith("/v3/webhooks")]


async def test_add_webhook_self_refuses_a_plain_http_public_url(
        tmp_path: Path, wire: ContractTransport, sandbox: Any) -> None:
    settings = api_settings(tmp_path, heygen_public_url="http://studio.example.com")
    async with Client(create_server(settings, transport=wire)) as client:
        result = await client.call_tool("add_webhook", {"url": "self"})
        assert result.is_error and "https://" in result.content[0].text
    assert not [r for r in sandbox.requests if r.path.startswith("/v3/webhooks")]
