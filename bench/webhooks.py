"""Webhooks in (issue #8 §4), printed as figures.

1. Wake-up latency: HTTP mode served by uvicorn on a loopback port, an MCP client over streamable HTTP
   waiting in ``wait_for_job`` (poll interval 30 s, so only the wake-up can end the wait early), HeyGen (the
   sandbox, in process) finishes the render, and a signed delivery is POSTed to ``/webhooks/heygen``. The
   figure is the time from sending the delivery to ``wait_for_job`` returning (budget: < 200 ms).
2. 200 concurrent ``wait_for_job`` calls in one server process (sandbox mode, in process, an in-memory MCP
   client, the default poll pace): whether all complete, the CPU seconds the process used while they
   waited, and upstream polls per job (from the sandbox's request log).

Run: .venv/bin/python bench/webhooks.py [deliveries] [jobs]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from heygen_studio.sandbox import ManualClock, SandboxConfig, create_app
from heygen_studio.server import create_server
from heygen_studio.serving import http_app
from heygen_studio.settings import Settings

SECRET = "whsec_bench_0123456789abcdef"
LOOK = "Abigail_expressive_2024112501"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ok(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    if result.is_error:
        raise SystemExit(f"{name}: {result.content[0].text}")
    return result.structured_content


def polls(sandbox: Any, video_id: str) -> int:
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path == f"/v3/videos/{video_id}")


async def wake_latency(tmp: Path, deliveries: int) -> list[float]:
    clock = ManualClock(start=time.time())
    sandbox_app = create_app(clock=clock)
    sandbox = sandbox_app.state.sandbox
    settings = Settings(_env_file=None, heygen_api_key="bench-key-0123456789", heygen_poll_interval=30,
                        heygen_webhook_secret=SECRET, heygen_output_dir=tmp / "out", heygen_state_dir=tmp / "state1")
    server = create_server(settings, transport=httpx2.ASGITransport(app=sandbox_app))
    port = free_port()
    web = uvicorn.Server(uvicorn.Config(http_app(server, settings, host="127.0.0.1", port=port),
                                       host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    url = f"http://127.0.0.1:{port}"
    figures: list[float] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(web.serve)
        while not web.started:
            await anyio.sleep(0.01)
        async with httpx2.AsyncClient(timeout=60) as http, \
                Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            for n in range(deliveries):
                job = await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": f"Wake-up number {n}."})
                raw = job["video_id"]
                done = anyio.Event()

                async def wait(job_id: str = job["job_id"], finished: anyio.Event = done) -> None:
                    status = await ok(client, "wait_for_job", {"job_id": job_id, "max_wait_s": 120})
                    assert status["done"], status
                    finished.set()

                tasks.start_soon(wait)
                while not (server.live.signals.waiting(raw) and polls(sandbox, raw)):
                    await anyio.sleep(0.002)
                await anyio.sleep(0.05)
                clock.advance(3600)  # the render finished at HeyGen
                body = json.dumps({"event_type": "avatar_video.success",
                                   "event_data": {"video_id": raw, "callback_id": None}}).encode()
                headers = {"Content-Type": "application/json", "Heygen-Event-Id": f"evt_{uuid.uuid4().hex}",
                           "Heygen-Timestamp": str(int(time.time())),
                           "Heygen-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
                started = time.perf_counter()
                answer = await http.post(f"{url}/webhooks/heygen", content=body, headers=headers)
                assert answer.status_code == 200, answer.text
                await done.wait()
                figures.append(time.perf_counter() - started)
                assert polls(sandbox, raw) == 2, "the wait should have polled once before and once on the wake-up"
        web.should_exit = True
    return figures


async def concurrent_waits(tmp: Path, jobs: int) -> dict[str, float]:
    sandbox_app = create_app(SandboxConfig(initial_credits=1e9, render_seconds=6.0))
    sandbox = sandbox_app.state.sandbox
    settings = Settings(_env_file=None, heygen_sandbox=True, heygen_output_dir=tmp / "out",
                        heygen_state_dir=tmp / "state2")  # the default poll pace (sandbox: 1 s, then backing off)
    async with Client(create_server(settings, transport=httpx2.ASGITransport(app=sandbox_app))) as client:
        created = []
        for n in range(jobs):
            created.append(await ok(client, "create_avatar_video", {"avatar_id": LOOK, "script": f"Job {n}."}))
        results: list[dict[str, Any]] = []
        before = sum(1 for r in sandbox.requests if r.method == "GET" and r.path.startswith("/v3/videos/"))
        cpu, wall = time.process_time(), time.perf_counter()

        async def wait(job_id: str) -> None:
            results.append(await ok(client, "wait_for_job", {"job_id": job_id, "max_wait_s": 60}))

        async with anyio.create_task_group() as tasks:
            for job in created:
                tasks.start_soon(wait, job["job_id"])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = sum(1 for r in sandbox.requests if r.method == "GET" and r.path.startswith("/v3/videos/"))
    completed = sum(1 for r in results if r["done"] and r["status"] == "completed")
    return {"jobs": jobs, "completed": completed, "wall_s": wall, "cpu_s": cpu,
            "polls_per_job": (after - before) / jobs}


def describe_waits(f: dict[str, float]) -> str:
    jobs = int(f["jobs"])
    return (f"{jobs} concurrent wait_for_job in one process (sandbox, render 6 s): {int(f['completed'])}/{jobs} "
            f"completed in {f['wall_s']:.1f} s wall; {f['cpu_s']:.2f} CPU s for the process "
            f"({f['cpu_s'] / jobs * 1000:.1f} ms per job); {f['polls_per_job']:.1f} polls per job "
            f"({'PASS' if f['completed'] == jobs else 'FAIL'})")


async def main(deliveries: int, jobs: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        figures = await wake_latency(Path(tmp), deliveries)
        ms = sorted(f * 1000 for f in figures)
        worst = ms[-1]
        print(f"signed delivery → waiting wait_for_job returns, {len(ms)} deliveries: median "
              f"{statistics.median(ms):.1f} ms, max {worst:.1f} ms (budget 200 ms: "
              f"{'PASS' if worst < 200 else 'FAIL'}; without the wake-up the next poll was 30 s away)")
        print(describe_waits(await concurrent_waits(Path(tmp), jobs)))


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(sys.argv[2]) if len(sys.argv) > 2 else 200)
