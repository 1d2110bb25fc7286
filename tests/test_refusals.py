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
