"""wait_for_job under a misbehaving upstream (issue #8: "a 503 burst longer than about 3 s ends wait_for_job with an
error instead of polling on"). Transient failures (5xx, 429, dropped connections, malformed answers) during a wait
are polled through until the wait's own bound, and the answer says what happened; a job is never resubmitted.

The server runs with HEYGEN_MAX_RETRIES=0 so that each poll is one request: every injected fault is then one failed
poll, as a burst outlasting the HTTP layer's own retries would be, without waiting out real backoff."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from conftest import make_settings

pytestmark = pytest.mark.anyio


async def created_video(client: Client) -> str:
    look = (await client.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]
    voice = (await client.call_tool("list_voices", {"language": "en", "limit": 1})).structured_content
    job = await client.call_tool("create_avatar_video", {"avatar_id": look, "voice_id": voice["items"][0]["voice_id"],
                                                         "script": "Hello there."})
    assert not job.is_error, job.content[0].text
    return str(job.structured_content["job_id"])


def polls(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "GET" and r.path.startswith("/v3/videos/")]


@pytest.fixture
def settings(tmp_path: Any) -> Any:
    return make_settings(tmp_path, heygen_max_retries=0)


@pytest.mark.parametrize(("kind", "extra", "says"), [
    ("status", {"status": 503}, "503 service_unavailable"),
    ("status", {"status": 502}, "502 bad_gateway"),
    ("status", {"status": 429, "code": "rate_limit_exceeded"}, "429 rate_limit_exceeded"),
    ("drop", {}, "dropped connection"),
    ("malformed", {}, "malformed answer"),
], ids=["503", "502", "429", "drop", "malformed"])
async def test_a_burst_of_transient_failures_is_polled_through(mcp: Client, sandbox: Any, clock: Any, kind: str,
                                                               extra: dict[str, Any], says: str) -> None:
    job_id = await created_video(mcp)
    clock.advance(3600)
    sandbox.faults.inject("GET", "/v3/videos/*", kind, times=6, **extra)
    result = await mcp.call_tool("wait_for_job", {"job_id": job_id, "max_wait_s": 20})
    assert not result.is_error, result.content[0].text
    status = result.structured_content
    assert status["done"] and status["status"] == "completed"
    assert status["note"] and "6 of 7 polls" in status["note"] and says in status["note"], status["note"]
    assert len(polls(sandbox)) == 7
    assert [r for r in sandbox.requests if r.method == "POST"][1:] == []  # the create only: nothing resubmitted


async def test_a_burst_through_the_whole_wait_is_said_plainly(mcp: Client, sandbox: Any) -> None:
    job_id = await created_video(mcp)
    sandbox.faults.inject("GET", "/v3/videos/*", "status", status=503, times=-1)
    result = await mcp.call_tool("wait_for_job", {"job_id": job_id, "max_wait_s": 1})
    text = result.content[0].text
    assert result.is_error and text.startswith("Error executing tool wait_for_job: "), text
    assert "503 service_unavailable" in text and "the job is not affected" in text, text
    assert f"wait_for_job('{job_id}') again" in text and "Do not create it again" in text, text
    assert len(polls(sandbox)) >= 2  # it kept polling until its own bound


async def test_a_burst_then_a_job_still_rendering_reports_both(mcp: Client, sandbox: Any) -> None:
    job_id = await created_video(mcp)  # the clock stands still: the render is not done within the wait
    sandbox.faults.inject("GET", "/v3/videos/*", "drop", times=3)
    result = await mcp.call_tool("wait_for_job", {"job_id": job_id, "max_wait_s": 1})
    assert not result.is_error, result.content[0].text
    status = result.structured_content
    assert not status["done"] and "wait_for_job" in status["next_step"]
    assert "3 of" in status["note"] and "dropped connection" in status["note"], status["note"]


async def test_a_permanent_error_still_ends_the_wait_at_once(mcp: Client, sandbox: Any) -> None:
    job_id = await created_video(mcp)
    sandbox.faults.inject("GET", "/v3/videos/*", "status", status=401, times=-1)
    result = await mcp.call_tool("wait_for_job", {"job_id": job_id, "max_wait_s": 20})
    assert result.is_error and "HEYGEN_API_KEY" in result.content[0].text
    assert len(polls(sandbox)) == 1
