"""HeyGen's concurrency limit (issue #14 §2), printed as figures.

A series of 30 videos (``produce_videos`` with 30 topics) through an in-memory MCP client on a server whose
HeyGen is the sandbox, in process, on the real clock (renders of ``--render`` seconds), with the sandbox's
concurrency limit at 10 (HeyGen Pay-As-You-Go: more jobs at once get 429 with Retry-After). The client calls
``wait_for_job`` (bounded, 20 s) until the batch is done, as a model would. Printed: items completed and
failed, the peak of jobs in progress at HeyGen (from the sandbox's own count at each admitted create, and
recomputed from the videos' render intervals), 429s, create requests, wait_for_job calls, wall time.

Two runs: the server told the account's real limit (``HEYGEN_CONCURRENCY=10``: the job store's count keeps
every create within it), and told 10 while the account runs only 5 (HeyGen's 429s and their Retry-After do
the work). Figures, not assertions.

Run: .venv/bin/python bench/concurrency.py [items] [render_seconds]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client

from heygen_studio.sandbox import SandboxConfig, create_app
from heygen_studio.server import create_server
from heygen_studio.settings import Settings

CREATES = ("/v3/videos", "/v2/video/generate", "/v3/video-agents", "/v3/videos/batches")


async def ok(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    if result.is_error:
        raise SystemExit(f"{name}: {result.content[0].text}")
    return dict(result.structured_content or {})


def overlap(sandbox: Any) -> int:
    """The most videos rendering at once, from their [created, ended) intervals on the sandbox clock."""
    edges = sorted([(v.created_at, 1) for v in sandbox.videos.values()]
                   + [(v.terminal_at(), -1) for v in sandbox.videos.values()])
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


async def series(items: int, render_s: float, account_limit: int, told: int) -> str:
    app = create_app(SandboxConfig(render_seconds=render_s, concurrency_limit=account_limit))
    sandbox = app.state.sandbox
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, heygen_sandbox=True, heygen_output_dir=Path(tmp) / "out",
                            heygen_state_dir=Path(tmp) / "state", heygen_poll_interval=0.2,
                            heygen_toolsets="all", heygen_concurrency=told)
        started = time.perf_counter()
        async with Client(create_server(settings, transport=httpx2.ASGITransport(app=app))) as client:
            out = await ok(client, "produce_videos", {
                "topics": [f"bread number {n}" for n in range(1, items + 1)],
                "brief_template": "A 10 second tip from our bakery about {topic}", "duration_s": 10})
            first = (out["submitted"], out["queued"])
            waits = 0
            status: dict[str, Any] = {"done": False}
            while not status["done"] and waits < 60:
                status = await ok(client, "wait_for_job", {"job_id": out["job_id"], "max_wait_s": 20})
                waits += 1
        elapsed = time.perf_counter() - started
    message = str(status.get("message", ""))
    done, _, rest = message.partition(" of ")
    failed = rest.split(" done, ")[1].split(" failed")[0] if " done, " in rest else "?"
    creates = [r for r in sandbox.requests if r.method == "POST" and r.path in CREATES]
    refused = sum(1 for r in creates if r.status == 429)
    return (f"{items} items, account limit {account_limit}, HEYGEN_CONCURRENCY={told}: "
            f"{done} completed, {failed} failed ({status.get('status')}); "
            f"peak in flight {sandbox.peak_in_flight} (render intervals: {overlap(sandbox)}); "
            f"first call sent {first[0]}, queued {first[1]}; {len(creates)} create requests, {refused} answered 429; "
            f"{waits} wait_for_job calls; {elapsed:.1f} s wall")


async def main(items: int, render_s: float) -> None:
    logging.getLogger("heygen_studio").setLevel(logging.ERROR)
    print(await series(items, render_s, account_limit=10, told=10))
    print(await series(items, render_s, account_limit=5, told=10))


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 30, float(sys.argv[2]) if len(sys.argv) > 2 else 2.0)
