"""The sandbox's concurrency limit (sandbox/concurrency.py), over HTTP with every exchange checked against the
contract: HeyGen's Pay-As-You-Go accounts run at most 10 video jobs at once (video renders, Video Agent sessions,
translations, a batch's items each count); a create beyond that is refused whole with 429 rate_limit_exceeded and
a Retry-After that says when enough jobs end for it to fit; nothing is made or charged; the refusal is not kept as
the Idempotency-Key's answer, so the same key sent again once a slot frees makes the job."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from heygen_studio.sandbox import ManualClock
from test_sandbox_batches import accepted, http, video
from test_sandbox_persist import sandbox

pytestmark = pytest.mark.anyio


def busy(response: httpx2.Response) -> tuple[int, int]:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    return response.status_code, int(response.headers["retry-after"])


async def test_video_jobs_beyond_the_limit_get_429_with_retry_after(tmp_path: Path) -> None:
    clock = ManualClock()
    app = sandbox(None, clock, concurrency_limit=3, render_seconds=60)
    state = app.state.sandbox
    async with http(app) as client:
        for n in range(2):
            made = await client.post("/v3/videos", json=video(f"Video {n}."))
            assert made.status_code == 200, made.text
            clock.advance(10)
        # a batch of two would make four jobs at once: refused whole, nothing made or charged
        credits, videos = state.credits, len(state.videos)
        _, wait = busy(await client.post("/v3/videos/batches", json={"videos": [video("A."), video("B.")]},
                                         headers={"Idempotency-Key": "two"}))
        assert wait == 40  # the first video ends 40 s from now: then two slots are free
        assert state.credits == credits and len(state.videos) == videos and not state.batches
        # a translation (one job per output language) and a Video Agent session count alike
        translation = {"video": {"type": "url", "url": "https://example.com/a.mp4"},
                       "output_languages": ["German (Germany)", "Spanish (Spain)"]}
        _, wait = busy(await client.post("/v3/video-translations", json=translation))
        assert wait == 40
        agent = await client.post("/v3/video-agents", json={"prompt": "A clip about our ovens"})
        assert agent.status_code == 200, agent.text  # the third slot
        _, wait = busy(await client.post("/v3/videos", json=video("One too many.")))
        assert wait == 8  # the agent's run (2 s thinking, 6 s generating) ends first
        # the same Idempotency-Key once two slots are free: a new attempt (the 429 was not kept), and it fits
        clock.advance(40)
        batch = accepted(await client.post("/v3/videos/batches", json={"videos": [video("A."), video("B.")]},
                                           headers={"Idempotency-Key": "two"}))
        assert batch in state.batches and state.peak_in_flight == 3 and state.refused_busy == 3
        # a batch larger than the limit itself never fits: its 429 says how many may go at once
        clock.advance(3600)
        text = await client.post("/v3/videos/batches", json={"videos": [video(f"{n}.") for n in range(4)]})
        busy(text)
        assert "at most 3" in text.json()["error"]["message"]


async def test_no_limit_when_turned_off(tmp_path: Path) -> None:
    app = sandbox(None, ManualClock(), concurrency_limit=None)
    async with http(app) as client:
        batch = accepted(await client.post("/v3/videos/batches",
                                           json={"videos": [video(f"Video {n}.") for n in range(12)]}))
        assert len(app.state.sandbox.batches[batch].items) == 12
