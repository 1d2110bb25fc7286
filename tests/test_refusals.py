"""Refusals people actually hit (issue #14 §2), each one sentence with the next step, through an MCP client
against the sandbox answering them; the ``mcp`` fixture fails on any contract violation.

HeyGen bills two pools: an API key spends the API wallet (pay-as-you-go USD), OAuth spends the web plan. So a
402 ``insufficient_credit`` points at the API wallet's top-up page, not the plan; ``plan_upgrade_required``
(402, seen on ``/v3/voices/speech``) at the plan, since credit does not help; ``api_key_required`` says the
endpoint refuses OAuth tokens. None of them is retried: a refused paid call is sent once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from test_mcp_tools import MEDIA, call, error, look_and_voice, upstream

pytestmark = pytest.mark.anyio
KEY = "test-key-0123456789"  # what the conftest sandbox settings use
TOP_UP = "https://app.heygen.com/settings?nav=API"


async def test_insufficient_credit_points_at_the_api_wallet(mcp: Client, sandbox: Any) -> None:
    sandbox.credits = 0  # the sandbox itself refuses the create with 402 insufficient_credit
    look, voice = await look_and_voice(mcp)
    text = await error(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi"})
    assert "402 insufficient_credit" in text
    assert f"top it up at {TOP_UP}" in text and "API wallet" in text and "not the web plan" in text
    assert "nothing was charged" in text and KEY not in text
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1  # refused once, never retried


async def test_api_key_required_says_the_endpoint_refuses_oauth(mcp: Client, sandbox: Any) -> None:
    sandbox.faults.inject("GET", "/v3/users/me", "status", status=403, code="api_key_required")
    text = await error(mcp, "get_account")
    assert "403 api_key_required" in text
    assert "takes an API key, not an OAuth token" in text and f"set HEYGEN_API_KEY to a key from {TOP_UP}" in text
    assert KEY not in text


async def test_plan_upgrade_required_points_at_the_plan_not_at_credit(mcp: Client, sandbox: Any) -> None:
    voice = (await call(mcp, "list_voices", {"engine": "starfish", "limit": 1}))["items"][0]["voice_id"]
    sandbox.faults.inject("POST", "/v3/voices/speech", "status", status=402, code="plan_upgrade_required")
    text = await error(mcp, "create_speech", {"text": "Hello there.", "voice_id": voice})
    assert "402 plan_upgrade_required" in text
    assert "plan does not include this feature" in text and "settings?nav=Subscriptions" in text
    assert "topping up credit does not help" in text and "nothing was charged" in text
    assert "API wallet" not in text and KEY not in text
    assert len(upstream(sandbox, "POST", "/v3/voices/speech")) == 1


# -- who is calling: X-HeyGen-Client-Source on API requests only --------------------------------------------------
async def test_every_api_request_names_heygen_studio_and_no_other_host_gets_it(
        mcp: Client, sandbox: Any, clock: Any, tmp_path: Path) -> None:
    """HeyGen's own tools identify themselves with ``X-HeyGen-Client-Source``; this server sends
    ``heygen-studio/<version>`` on every API request, never ``X-HeyGen-Source: cli`` (the CLI's OAuth marker),
    and neither header nor the key to a presigned upload or a media download (their signatures may cover them)."""
    from heygen_studio import __version__

    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Who is calling?"})
    clock.advance(3600)
    await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    await call(mcp, "download_video", {"job_id": job["job_id"]})
    big = tmp_path / "out" / "big.mp4"  # over the 32 MB multipart limit: a presigned direct upload
    big.parent.mkdir(parents=True, exist_ok=True)
    with big.open("wb") as fh:
        fh.write((MEDIA / "sample.mp4").read_bytes())
        fh.truncate(40 * 1024 * 1024)
    await call(mcp, "upload_asset", {"path": str(big)})

    api = [r for r in sandbox.requests if r.path.startswith(("/v3/", "/v2/", "/v1/"))]
    other = [r for r in sandbox.requests if r not in api]
    assert len(api) >= 6 and {r.path.split("/")[1] for r in other} >= {"_uploads", "_media"}, \
        [r.path for r in sandbox.requests]
    for r in api:
        assert r.headers.get("x-heygen-client-source") == f"heygen-studio/{__version__}", (r.method, r.path)
    for r in other:
        assert "x-heygen-client-source" not in r.headers and "x-api-key" not in r.headers, (r.method, r.path)
    assert not [r for r in sandbox.requests if "x-heygen-source" in r.headers]


# -- Video Agent quirks: a failure with no reason, a session gone once its video exists ---------------------------
async def test_an_agent_run_that_fails_with_no_reason_says_why_it_likely_did_and_is_never_resubmitted(
        mcp: Client, sandbox: Any, clock: Any) -> None:
    """HeyGen's agent may mark a session failed with progress 0 and no message at all, mostly for long prompts
    (heygen-cli #321): the answer says so, suggests a shorter brief, and leaves paying again to the user."""
    sandbox.config.agent_fail_silently_over = 2500
    brief = "A product tour of our accounting app for small-business owners, scene by scene. " * 40
    assert len(brief) > 2500
    job = await call(mcp, "create_agent_video", {"prompt": brief})
    clock.advance(sandbox.config.agent_thinking_seconds)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 30})
    assert status["done"] and status["status"] == "failed" and status["waited_s"] < 5
    assert status["failure"] == "HeyGen's Video Agent failed without giving a reason"
    step = status["next_step"]
    assert f"this one had {len(brief):,} characters" in step and "shorten the brief" in step
    assert "only if the user agrees" in step and "charged again" in step and "Nothing was resubmitted" in step
    session = await call(mcp, "get_agent_session", {"session_id": job["job_id"]})
    assert session["status"] == "failed" and session["progress"] == 0 and session["next_step"] == step
    assert not [m for m in session["messages"] if m["type"] == "error"]  # HeyGen gave no reason indeed
    assert len(upstream(sandbox, "POST", "/v3/video-agents")) == 1  # the paid call was never repeated


async def test_an_agent_session_gone_once_its_video_exists_is_followed_through_the_video(
        mcp: Client, sandbox: Any, clock: Any, tmp_path: Path) -> None:
    """HeyGen may answer 404 "Session not found" for a session once its video was assigned (vm0 #33077): with the
    video id known (an earlier poll saw it; the job store keeps it), the wait follows GET /v3/videos/{id}."""
    sandbox.config.agent_session_gone_after_video = True
    job = await call(mcp, "create_agent_video", {"prompt": "A 20 second hello from our team."})
    clock.advance(sandbox.config.agent_thinking_seconds + 0.5)  # the video is assigned and rendering
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 1})
    assert not status["done"] and status["video_id"]
    video_id = status["video_id"]
    assert any(r.status == 404 for r in upstream(sandbox, "GET", f"/v3/video-agents/{job['session_id']}"))
    assert "no longer shows session" in (status["note"] or "") and "Do not create it again" in status["next_step"]

    clock.advance(3600)  # a new call: the video id comes from the job store, the session is still gone
    done = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert done["done"] and done["status"] == "completed" and done["video_id"] == video_id
    assert f"following video {video_id}" in done["note"]
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    assert Path(saved["path"]).read_bytes()[4:8] == b"ftyp"
    text = await error(mcp, "get_agent_session", {"session_id": job["job_id"]})
    assert f"following video {video_id}" in text and f"wait_for_job('{job['job_id']}')" in text
    assert len(upstream(sandbox, "POST", "/v3/video-agents")) == 1


async def test_a_render_accepted_then_failed_for_credit_points_at_the_api_wallet(mcp: Client, sandbox: Any) -> None:
    """HeyGen may accept a create and fail the render later with MOVIO_PAYMENT_INSUFFICIENT_CREDIT."""
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "On credit."})
    sandbox.fail_job(job["video_id"], "MOVIO_PAYMENT_INSUFFICIENT_CREDIT",
                     "Insufficient credit. This operation requires 'api' credits.")
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 30})
    assert status["done"] and status["failure"].startswith("MOVIO_PAYMENT_INSUFFICIENT_CREDIT")
    assert f"top it up at {TOP_UP}" in status["next_step"] and "if the user agrees" in status["next_step"]
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1
