"""Refusals people actually hit (issue #14 §2), each one sentence with the next step, through an MCP client
against the sandbox answering them; the ``mcp`` fixture fails on any contract violation.

HeyGen bills two pools: an API key spends the API wallet (pay-as-you-go USD), OAuth spends the web plan. So a
402 ``insufficient_credit`` points at the API wallet's top-up page, not the plan; ``plan_upgrade_required``
(402, seen on ``/v3/voices/speech``) at the plan, since credit does not help; ``api_key_required`` says the
endpoint refuses OAuth tokens. None of them is retried: a refused paid call is sent once.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from test_mcp_tools import call, error, look_and_voice, upstream

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
