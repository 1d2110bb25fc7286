"""HeyGen's concurrency limit (issue 14 §2) through a real MCP client: Pay-As-You-Go accounts run at most 10 video
jobs at once and answer more with 429 + Retry-After (the sandbox does the same, sandbox/concurrency.py).
produce_videos sends what the free slots take and queues the rest; wait_for_job sends queued items as slots free
(the job store knows what is in flight, across server processes); every 429 is honoured (nothing is sent again
before its Retry-After, and nothing is slept inside a call). Every exchange is checked against the contract."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from mcp import Client

from test_batches import batch_posts, creates
from test_mcp_tools import call

pytestmark = pytest.mark.anyio


def series(n: int, what: str = "bread") -> dict[str, Any]:
    return {"topics": [f"{what} number {k}" for k in range(1, n + 1)],
            "brief_template": "A 10 second tip from our bakery about {topic}", "duration_s": 10}


async def until_done(mcp: Client, clock: Any, job_id: str, rounds: int = 6) -> dict[str, Any]:
    """Renders end (the sandbox clock moves on), then one bounded wait_for_job; again until the batch is done."""
    for _ in range(rounds):
        clock.advance(3600)
        status = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 1})
        if status["done"]:
            return status
    raise AssertionError(f"not done after {rounds} rounds: {status}")


async def test_a_30_item_series_under_a_10_job_limit_completes(mcp: Client, sandbox: Any, clock: Any) -> None:
    assert sandbox.config.concurrency_limit == 10  # HeyGen's Pay-As-You-Go limit; the server assumes the same
    credits = sandbox.credits
    first = await call(mcp, "produce_videos", series(30))
    job_id = first["job_id"]
    assert first["submitted"] == 10 and first["queued"] == 20
    assert [i["state"] for i in first["items"]] == ["submitted"] * 10 + ["queued"] * 20
    assert "20 item(s) queued" in first["note"] and "sends the 20 queued" in first["next_step"]
    assert [len(p.json["videos"]) for p in batch_posts(sandbox)] == [10]

    # every slot is taken: waiting sends nothing more
    waiting = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 1})
    assert not waiting["done"] and "0 of 30 done, 0 failed, 10 rendering, 20 queued" in waiting["message"]
    assert len(batch_posts(sandbox)) == 1

    status = await until_done(mcp, clock, job_id)
    assert status["status"] == "completed" and status["message"].startswith("30 of 30 done, 0 failed"), status
    assert [len(p.json["videos"]) for p in batch_posts(sandbox)] == [10, 10, 10]
    assert not [r for r in sandbox.requests if r.status == 429]  # the store's count kept every create in the limit
    assert sandbox.peak_in_flight == 10 and sandbox.refused_busy == 0 and len(sandbox.videos) == 30
    paid = credits - sandbox.credits

    again = await call(mcp, "produce_videos", series(30))  # every item made: nothing sent or paid again
    assert again["submitted"] == 0 and again["queued"] == 0 and again["estimated_usd"] == 0
    assert len(creates(sandbox)) == 3 and credits - sandbox.credits == paid


async def test_every_429_honours_retry_after(mcp: Client, sandbox: Any, clock: Any) -> None:
    """HeyGen busy for another reason (jobs made elsewhere): its 429 is not waited out inside the call, the items
    stay queued, and nothing is sent again before Retry-After; then they go, and complete."""
    sandbox.faults.inject("POST", "/v3/videos/batches", "status", status=429, retry_after=3)
    started = time.monotonic()
    out = await call(mcp, "produce_videos", series(3))
    assert time.monotonic() - started < 3  # not slept inside the call
    assert out["submitted"] == 0 and out["queued"] == 3 and "429" in out["note"]
    assert [r.status for r in creates(sandbox)] == [429] and not sandbox.videos and "wait_for_job" in out["next_step"]
    early = await call(mcp, "wait_for_job", {"job_id": out["job_id"], "max_wait_s": 1})
    assert not early["done"] and "3 queued" in early["message"] and "next try in" in early["message"]
    assert len(creates(sandbox)) == 1  # nothing sent before Retry-After
    await anyio.sleep(max(0.0, 3.05 - (time.monotonic() - started)))
    status = await until_done(mcp, clock, out["job_id"])
    assert status["status"] == "completed" and status["message"].startswith("3 of 3 done, 0 failed")
    sent = creates(sandbox)
    assert len(sandbox.videos) == 3 and sent[0].status == 429 and all(r.status != 429 for r in sent[1:])


async def test_an_account_with_fewer_slots_than_configured_converges(mcp: Client, sandbox: Any,
                                                                     clock: Any) -> None:
    """The account runs 4 jobs at once, the server was told 10 (HEYGEN_CONCURRENCY): HeyGen's 429s (with
    Retry-After) make it send fewer at once; every item is made once, none fails."""
    sandbox.config.concurrency_limit = 4
    sandbox.config.render_seconds = 1.0  # Retry-After: 1 s
    out = await call(mcp, "produce_videos", series(6))
    assert out["submitted"] == 0 and out["queued"] == 6 and sandbox.refused_busy == 1
    job_id = out["job_id"]
    for _ in range(8):  # each round: Retry-After (1 s) passes, renders end, one bounded wait
        await anyio.sleep(1.05)
        clock.advance(3600)
        status = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 1})
        if status["done"]:
            break
    assert status["status"] == "completed" and status["message"].startswith("6 of 6 done, 0 failed"), status
    assert len(sandbox.videos) == 6 and sandbox.peak_in_flight <= 4


async def test_two_server_processes_share_the_slots(mcp: Client, sandbox: Any, clock: Any, settings: Any,
                                                    wire: Any) -> None:
    """Two servers on one job store (as two processes of the user): the second counts the first's jobs in flight
    and sends only what the free slots take; HeyGen never refuses one."""
    from heygen_studio.server import create_server

    first = await call(mcp, "produce_videos", series(8, "rye"))
    assert first["submitted"] == 8
    async with Client(create_server(settings, transport=wire), raise_exceptions=True) as other:
        second = await call(other, "produce_videos", series(5, "spelt"))
        assert second["submitted"] == 2 and second["queued"] == 3
        assert not [r for r in sandbox.requests if r.status == 429] and sandbox.peak_in_flight == 10
        status = await until_done(other, clock, second["job_id"])
        assert status["status"] == "completed" and status["message"].startswith("5 of 5 done, 0 failed")
    assert (await until_done(mcp, clock, first["job_id"]))["status"] == "completed"
    assert sandbox.refused_busy == 0 and len(sandbox.videos) == 13
