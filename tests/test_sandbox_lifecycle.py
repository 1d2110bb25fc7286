"""Sandbox state machines on a manual clock, credits, idempotency and pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest

from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app

pytestmark = pytest.mark.anyio

LOOK = "Abigail_expressive_2024112501"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
def app(clock: ManualClock, config: SandboxConfig) -> Any:
    return create_app(config, clock)


@pytest.fixture
def state(app: Any) -> Any:
    return app.state.sandbox


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, headers={"x-api-key": "test-key"}
    ) as c:
        yield c


async def data(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


async def test_video_pending_processing_completed(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    created = await data(
        await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."})
    )
    assert created["status"] == "waiting"
    video_id = created["video_id"]
    seen = []
    for step in (0.0, 0.5, 0.5, 2.0, 2.0, 1.0):  # render_seconds = 6: pending until 0.9 s, then processing
        clock.advance(step)
        seen.append((await data(await client.get(f"/v3/videos/{video_id}")))["status"])
    assert seen == ["pending", "pending", "processing", "processing", "processing", "completed"]
    detail = await data(await client.get(f"/v3/videos/{video_id}"))
    assert detail["completed_at"] == detail["created_at"] + 6
    assert detail["duration"] == 1.0 and detail["video_url"].startswith(f"{SANDBOX_BASE_URL}/_media/")
    assert "waiting" not in seen
    statuses = await data(await client.get("/v3/videos/statuses", params={"video_ids": video_id}))
    assert statuses[0]["status"] == "completed"


async def test_agent_thinking_generating_completed(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    created = await data(
        await client.post("/v3/video-agents", json={"prompt": "A 45 second video about bees"})
    )
    session_id = created["session_id"]
    assert created["status"] == "thinking" and created["video_id"] is None
    timeline = []
    for step in (0.0, 1.0, 1.5, 3.0, 3.0):  # thinking 2 s, generating 6 s
        clock.advance(step)
        timeline.append(await data(await client.get(f"/v3/video-agents/{session_id}")))
    assert [t["status"] for t in timeline] == [
        "thinking",
        "thinking",
        "generating",
        "generating",
        "completed",
    ]
    progress = [t["progress"] for t in timeline]
    assert progress == sorted(progress) and progress[0] == 0 and progress[-1] == 100 and 0 < progress[2] < 100
    assert timeline[1]["video_id"] is None and timeline[2]["video_id"] == timeline[-1]["video_id"]
    video = await data(await client.get(f"/v3/videos/{timeline[-1]['video_id']}"))
    assert video["status"] == "completed" and video["duration"] == 45.0
    messages = timeline[-1]["messages"]
    assert messages[0]["type"] == "resource" and messages[-1]["role"] == "user"
    assert [m["created_at"] for m in messages] == sorted((m["created_at"] for m in messages), reverse=True)


async def test_agent_chat_runs_and_stop(client: httpx2.AsyncClient, clock: ManualClock, state: Any) -> None:
    created = await data(
        await client.post("/v3/video-agents", json={"prompt": "Plan a teaser", "mode": "chat"})
    )
    session_id = created["session_id"]
    clock.advance(9)
    follow_up = await data(
        await client.post(f"/v3/video-agents/{session_id}", json={"message": "Now a 15s cut"})
    )
    assert follow_up["session_id"] == session_id
    clock.advance(3)  # second run is generating
    assert (await data(await client.get(f"/v3/video-agents/{session_id}")))["status"] == "generating"
    await data(await client.post(f"/v3/video-agents/{session_id}/stop"))
    stopped = await data(await client.get(f"/v3/video-agents/{session_id}"))
    assert stopped["status"] == "waiting_for_input"
    videos = await data(await client.get(f"/v3/video-agents/{session_id}/videos"))
    assert [v["status"] for v in videos] == ["failed", "completed"]
    assert videos[0]["failure_code"] == "cancelled"


async def test_avatar_consent_flow(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    body = {"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.jpg"}}
    created = await data(await client.post("/v3/avatars", json=body))
    group_id, look_id = created["avatar_group"]["id"], created["avatar_item"]["id"]
    assert created["avatar_item"]["status"] == "processing"
    clock.advance(3)
    look = await data(await client.get(f"/v3/avatars/looks/{look_id}"))
    assert look["status"] == "pending_consent"
    # Visiting the consent page before starting the flow does nothing.
    consent = await data(await client.post(f"/v3/avatars/{group_id}/consent", json={}))
    assert (await data(await client.get(f"/v3/avatars/looks/{look_id}")))["status"] == "pending_consent"
    assert consent["avatar_group"]["consent_status"] == "pending"
    page = await client.get(consent["url"])
    assert page.status_code == 200
    assert (await data(await client.get(f"/v3/avatars/looks/{look_id}")))["status"] == "completed"
    group = await data(await client.get(f"/v3/avatars/{group_id}"))
    assert group["status"] == "completed" and group["consent_status"] == "approved"
    made = await client.post(
        "/v3/videos",
        json={
            "type": "avatar",
            "avatar_id": look_id,
            "script": "Hi",
            "voice_id": "c8e06465fc702bb97b559226db46b7da",
        },
    )
    assert made.status_code == 200
    forged = await client.get(consent["url"].split("?")[0] + "?token=forged")
    assert forged.status_code == 403


async def test_prompt_avatar_needs_no_consent(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    created = await data(
        await client.post("/v3/avatars", json={"type": "prompt", "name": "Bot", "prompt": "a robot"})
    )
    clock.advance(3)
    look = await data(await client.get(f"/v3/avatars/looks/{created['avatar_item']['id']}"))
    assert look["status"] == "completed"
    assert created["avatar_group"]["consent_status"] is None


async def test_consent_can_be_disabled(clock: ManualClock) -> None:
    app = create_app(SandboxConfig(photo_consent_required=False), clock)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}
    ) as client:
        body = {
            "type": "digital_twin",
            "name": "Twin",
            "file": {"type": "url", "url": "https://example.com/t.mp4"},
        }
        created = await data(await client.post("/v3/avatars", json=body))
        clock.advance(3)
        look = await data(await client.get(f"/v3/avatars/looks/{created['avatar_item']['id']}"))
        assert look["status"] == "completed" and look["avatar_type"] == "digital_twin"


async def test_translation_pending_running_completed(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    body = {
        "video": {"type": "url", "url": "https://example.com/in.mp4"},
        "output_languages": ["french (france)"],
    }
    (translation_id,) = (await data(await client.post("/v3/video-translations", json=body)))[
        "video_translation_ids"
    ]
    seen = []
    for step in (0.0, 1.0, 4.0, 1.0):
        clock.advance(step)
        seen.append(await data(await client.get(f"/v3/video-translations/{translation_id}")))
    assert [s["status"] for s in seen] == ["pending", "running", "running", "completed"]
    assert seen[-1]["output_language"] == "French (France)" and seen[-1]["video_url"]
    assert seen[0]["video_url"] is None and seen[-1]["srt_caption_url"] is None


async def test_credits_are_charged_and_402(client: httpx2.AsyncClient, state: Any) -> None:
    """The wallet holds dollars, charged from the server's price table (HeyGen's pay-as-you-go prices)."""
    script = " ".join(["word"] * 100)  # 40 s at 150 words a minute, × $0.0667 (Avatar IV studio avatar)
    before = state.credits
    await data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": script}))
    assert round(before - state.credits, 4) == 2.668
    me = await data(await client.get("/v3/users/me"))
    assert me["wallet"] == {"currency": "usd", "remaining_balance": state.credits,
                            "auto_reload": {"enabled": False, "amount_usd": None, "threshold_usd": None}}
    state.credits = 1.0
    refused = await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": script})
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "insufficient_credit"
    assert "$1.00" in refused.json()["error"]["message"] and state.credits == 1.0
    agent = await client.post("/v3/video-agents", json={"prompt": "anything"})  # 60 s assumed × $0.0333
    assert agent.status_code == 402 and state.credits == 1.0
    await data(
        await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Short."})
    )
    assert state.credits == 0.9333  # one second
    v2 = await client.post(  # Avatar III: 60 s × $0.0167 = $1.002
        "/v2/video/generate", json={"video_inputs": [{"voice": {"type": "silence", "duration": 60}}]}
    )
    assert v2.status_code == 400 and v2.json()["error"]["code"] == "insufficient_credit"
    assert v2.json()["data"] is None


async def test_idempotency_replays_byte_for_byte(
    client: httpx2.AsyncClient, state: Any, clock: ManualClock
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Once only."}
    first = await client.post("/v3/videos", json=body, headers=headers)
    credits = state.credits
    again = await client.post("/v3/videos", json={**body, "title": "slightly different"}, headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert state.credits == credits and len(state.videos) == 1
    # Another endpoint with the same key is a different scope.
    other = await client.post("/v3/video-agents", json={"prompt": "x"}, headers=headers)
    assert other.status_code == 200 and "idempotent-replayed" not in other.headers
    # Errors (4xx) are replayed too; after 24 h the key is forgotten.
    bad = await client.post("/v3/videos", json={"type": "avatar"}, headers={"Idempotency-Key": "k2"})
    bad_again = await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "k2"})
    assert bad.status_code == bad_again.status_code == 400 and bad_again.content == bad.content
    clock.advance(24 * 3600 + 1)
    fresh = await client.post("/v3/videos", json=body, headers=headers)
    assert fresh.status_code == 200 and fresh.content != first.content
    invalid = await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "has space"})
    assert invalid.status_code == 400 and invalid.json()["error"]["param"] == "Idempotency-Key"


async def test_idempotency_in_flight_409(client: httpx2.AsyncClient, state: Any) -> None:
    state.faults.inject("POST", "/v3/videos", "slow", delay=0.2)
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Slow one."}
    results: dict[str, httpx2.Response] = {}

    async def send(name: str, wait: float) -> None:
        await anyio.sleep(wait)
        results[name] = await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "same"})

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(send, "first", 0)
        tasks.start_soon(send, "second", 0.05)
    assert results["first"].status_code == 200 and results["first"].headers["x-sandbox-fault"] == "slow"
    assert results["second"].status_code == 409
    assert results["second"].json()["error"]["code"] == "request_in_progress"
    assert len(state.videos) == 1
    replay = await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "same"})
    assert replay.content == results["first"].content


async def test_drop_after_then_retry_with_key_replays(client: httpx2.AsyncClient, state: Any) -> None:
    state.faults.inject("POST", "/v3/videos", "drop_after")
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Do not double submit."}
    with pytest.raises(httpx2.RemoteProtocolError):
        await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "retry-me"})
    assert len(state.videos) == 1
    retry = await client.post("/v3/videos", json=body, headers={"Idempotency-Key": "retry-me"})
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["data"]["video_id"] in state.videos and len(state.videos) == 1


async def test_pagination_walks_every_voice(client: httpx2.AsyncClient, state: Any) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7}
        if token:
            params["token"] = token
        response = await client.get("/v3/voices", params=params)
        body = response.json()
        seen += [v["voice_id"] for v in body["data"]]
        pages += 1
        if not body["has_more"]:
            assert body["next_token"] is None
            break
        token = body["next_token"]
    assert len(seen) == len(set(seen)) == len(state.voices) >= 60 and pages == 9
    assert (await client.get("/v3/voices", params={"limit": 101})).status_code == 400
    assert (await client.get("/v3/avatars/looks", params={"limit": 50})).status_code == 200
    assert (await client.get("/v3/avatars/looks", params={"limit": 51})).status_code == 400
    assert (await client.get("/v3/voices", params={"limit": "ten"})).json()["error"]["param"] == "limit"


async def test_catalogue_is_deterministic(clock: ManualClock) -> None:
    first, second = create_app(clock=clock).state.sandbox, create_app(clock=clock).state.sandbox
    assert list(first.voices) == list(second.voices) and list(first.looks) == list(second.looks)
    assert len(first.groups) == 8 and all(1 <= len(first.group_looks(g)) <= 3 for g in first.groups)
    languages = {v.language for v in first.voices.values()}
    assert {
        "English",
        "German",
        "Spanish",
        "French",
        "Japanese",
        "Chinese",
        "Portuguese",
        "Hindi",
        "Arabic",
        "Italian",
    } <= languages
    assert all(len(v) == 32 and int(v, 16) >= 0 for v in first.voices)
    assert {look.avatar_type for look in first.looks.values()} == {"studio_avatar", "photo_avatar"}
    assert len(first.styles) == 10 and len(first.templates) == 2 and len(first.v2_templates) == 3
