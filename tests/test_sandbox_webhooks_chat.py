"""Sandbox callbacks and signed webhooks, HeyGen-style validation errors, the DeepSeek stand-in,
and serving on a real port (uvicorn) with real dropped connections."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app, verify_signature

pytestmark = pytest.mark.anyio

LOOK = "Abigail_expressive_2024112501"


class Receiver:
    """A webhook receiver behind an httpx2.MockTransport: records every POST it gets."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.received.append(request)
        return httpx2.Response(self.status)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def app(clock: ManualClock, receiver: Receiver) -> Any:
    return create_app(SandboxConfig(webhook_transport=httpx2.MockTransport(receiver)), clock)


@pytest.fixture
def state(app: Any) -> Any:
    return app.state.sandbox


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, headers={"x-api-key": "test-key"}
    ) as c:
        yield c


# -- callbacks and webhooks ------------------------------------------------------------------------
async def test_callback_url_gets_unsigned_event(
    client: httpx2.AsyncClient, clock: ManualClock, state: Any, receiver: Receiver
) -> None:
    created = await client.post(
        "/v3/videos",
        json={
            "type": "avatar",
            "avatar_id": LOOK,
            "script": "Callback me.",
            "callback_url": "https://hooks.test/cb",
            "callback_id": "job-7",
        },
    )
    video_id = created.json()["data"]["video_id"]
    clock.advance(5)
    await state.tick()
    assert receiver.received == []  # not finished yet
    clock.advance(2)
    await client.get("/v3/users/me")  # any request ticks the sandbox
    (delivery,) = state.deliveries
    assert delivery.kind == "callback" and delivery.url == "https://hooks.test/cb" and delivery.status == 200
    assert "Heygen-Signature" not in delivery.headers
    payload = delivery.payload
    assert payload["event_type"] == "avatar_video.success"
    assert payload["event_data"]["video_id"] == video_id and payload["event_data"]["callback_id"] == "job-7"
    assert payload["event_data"]["url"].startswith(f"{SANDBOX_BASE_URL}/_media/videos/{video_id}/")
    (request,) = receiver.received
    assert json.loads(request.content) == payload and "heygen-signature" not in request.headers
    await state.tick()
    assert len(state.deliveries) == 1  # delivered once


async def test_registered_endpoint_gets_signed_events(
    client: httpx2.AsyncClient, clock: ManualClock, state: Any, receiver: Receiver
) -> None:
    endpoint = (
        await client.post(
            "/v3/webhooks/endpoints",
            json={
                "url": "https://hooks.test/signed",
                "events": ["avatar_video.success", "avatar_video.fail"],
            },
        )
    ).json()["data"]
    agents_only = (
        await client.post(
            "/v3/webhooks/endpoints",
            json={
                "url": "https://hooks.test/agents",
                "events": ["video_agent.success"],
            },
        )
    ).json()["data"]
    ok_video = (
        await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Yes."})
    ).json()
    bad_video = (
        await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "No."})
    ).json()
    state.fail_job(bad_video["data"]["video_id"], "render_error", "The renderer crashed")
    await client.post("/v3/video-agents", json={"prompt": "bees"})
    clock.advance(10)
    await client.get("/v3/users/me")
    by_url: dict[str, list[Any]] = {}
    for delivery in state.deliveries:
        by_url.setdefault(delivery.url, []).append(delivery)
    signed = by_url["https://hooks.test/signed"]
    assert [d.event_type for d in signed] == ["avatar_video.fail", "avatar_video.success"]
    assert [d.event_type for d in by_url["https://hooks.test/agents"]] == ["video_agent.success"]
    # The failure was noticed on the very next request (t=0), the success once rendered (t=10).
    assert [d.headers["Heygen-Timestamp"] for d in signed] == [
        str(int(clock.now()) - 10),
        str(int(clock.now())),
    ]
    for delivery in signed:
        timestamp = delivery.headers["Heygen-Timestamp"]
        # The body form the public verifiers check: lowercase hex HMAC-SHA256(secret, raw body).
        digest = hmac.new(endpoint["secret"].encode(), delivery.body.encode(), hashlib.sha256).hexdigest()
        assert delivery.headers["Heygen-Signature"] == digest
        assert delivery.headers["Heygen-Event-Id"].startswith("evt_")
        assert verify_signature(
            endpoint["secret"], timestamp, delivery.body, delivery.headers["Heygen-Signature"]
        )
    wire = next(
        r
        for r in receiver.received
        if str(r.url) == "https://hooks.test/signed" and b"avatar_video.success" in r.content
    )
    assert verify_signature(
        endpoint["secret"], wire.headers["heygen-timestamp"], wire.content, wire.headers["heygen-signature"]
    )
    failed = next(d for d in signed if d.event_type == "avatar_video.fail").payload["event_data"]
    assert failed["msg"] == "The renderer crashed"
    assert (await client.get(f"/v3/videos/{bad_video['data']['video_id']}")).json()["data"][
        "failure_code"
    ] == ("render_error")
    history = (
        await client.get("/v3/webhooks/events", params={"entity_id": ok_video["data"]["video_id"]})
    ).json()
    assert [e["event_type"] for e in history["data"]] == ["avatar_video.success"]
    # A rotated secret signs the next events; the old one no longer verifies.
    rotated = (await client.post(f"/v3/webhooks/endpoints/{endpoint['endpoint_id']}/rotate-secret")).json()[
        "data"
    ]
    await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Again."})
    clock.advance(10)
    await client.get("/v3/users/me")
    latest = [d for d in state.deliveries if d.url == "https://hooks.test/signed"][-1]
    args = (latest.headers["Heygen-Timestamp"], latest.body, latest.headers["Heygen-Signature"])
    assert verify_signature(rotated["secret"], *args) and not verify_signature(endpoint["secret"], *args)
    assert agents_only["secret"] != endpoint["secret"]


async def test_other_job_events(client: httpx2.AsyncClient, clock: ManualClock, state: Any) -> None:
    await client.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/all"})
    translation = await client.post(
        "/v3/video-translations",
        json={
            "video": {"type": "url", "url": "https://example.com/v.mp4"},
            "output_languages": ["Japanese (Japan)"],
            "callback_url": "https://hooks.test/translation",
            "callback_id": "t-1",
        },
    )
    assert translation.status_code == 200
    photo = await client.post("/v3/avatars", json={"type": "prompt", "name": "P", "prompt": "a painter"})
    assert photo.status_code == 200
    agent = await client.post(
        "/v3/video-agents", json={"prompt": "x", "callback_url": "https://hooks.test/agent"}
    )
    await client.post(f"/v3/video-agents/{agent.json()['data']['session_id']}/stop")
    clock.advance(10)
    await client.get("/v3/users/me")
    kinds = {(d.kind, d.event_type) for d in state.deliveries}
    assert ("callback", "video_translate.success") in kinds and (
        "webhook",
        "video_translate.success",
    ) in kinds
    assert ("webhook", "photo_avatar_generation.success") in kinds
    assert ("callback", "video_agent.fail") in kinds
    callback = next(d for d in state.deliveries if d.event_type == "video_translate.success")
    assert callback.payload["event_data"]["callback_id"] == "t-1"


async def test_unreachable_receiver_is_recorded(clock: ManualClock) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    app = create_app(SandboxConfig(webhook_transport=httpx2.MockTransport(refuse)), clock)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"}
    ) as client:
        await client.post(
            "/v3/videos",
            json={"type": "avatar", "avatar_id": LOOK, "script": "x", "callback_url": "https://down.test/"},
        )
        clock.advance(10)
        assert (await client.get("/v3/users/me")).status_code == 200
    (delivery,) = app.state.sandbox.deliveries
    assert delivery.status is None and "ConnectError" in (delivery.error or "")


# -- validation errors -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v3/video-agents", {"prompt": "x", "duration_sec": 30}, "duration_sec"),
        ("/v3/video-agents", {"prompt": ""}, "prompt"),
        (
            "/v3/video-agents",
            {"prompt": "x", "files": [{"type": "asset_id", "asset_id": "a", "name": "n"}]},
            "files[0].name",
        ),
        ("/v3/voices/speech", {"text": "hi", "voice_id": "v", "pitch": 3}, "pitch"),
        ("/v3/voices/speech", {"text": "hi", "voice_id": "v", "speed": 3}, "speed"),
        ("/v3/voices", {"prompt": "x", "seed": -1}, "seed"),
        (
            "/v3/video-translations",
            {
                "video": {"type": "base64", "media_type": "video/mp4", "data": "AA=="},
                "output_languages": ["English"],
            },
            "video.type",
        ),
        ("/v3/webhooks/endpoints", {"url": 5}, "url"),
        ("/v3/videos", {"type": "studio", "scenes": []}, "scenes"),
        (
            "/v3/videos",
            {"type": "studio", "scenes": [{"type": "avatar_video", "input": {"type": "avatar"}}]},
            "scenes[0].input.avatar_id",
        ),
        (
            "/v3/videos",
            {"type": "avatar", "avatar_id": LOOK, "script": "x", "engine": {"type": "avatar_ix"}},
            "engine.type",
        ),
        ("/v3/videos", {"avatar_id": LOOK}, "type"),
        ("/v3/avatars", {"type": "prompt", "name": "n", "prompt": "p" * 1001}, "prompt"),
    ],
)
async def test_validation_error_format(client: httpx2.AsyncClient, path: str, body: Any, param: str) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["param"] == param and error["message"]
    assert error["doc_url"].endswith("#validation_error")


async def test_non_json_bodies(client: httpx2.AsyncClient) -> None:
    for content in (b"not json", b"[1, 2]", b""):
        response = await client.post(
            "/v3/video-agents", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    v2 = await client.post("/v2/video/generate", content=b"{", headers={"Content-Type": "application/json"})
    assert v2.status_code == 400 and v2.json()["data"] is None
    unknown = await client.get("/v3/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


# -- DeepSeek stand-in -----------------------------------------------------------------------------
def chat_body(content: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "deepseek-chat",
        "messages": [
            {"role": "system", "content": "You write video scripts."},
            {"role": "user", "content": content},
        ],
        **extra,
    }


async def chat(client: httpx2.AsyncClient, body: dict[str, Any], path: str = "/chat/completions") -> Any:
    response = await client.post(path, json=body, headers={"Authorization": "Bearer sk-test"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_chat_json_script_is_deterministic(client: httpx2.AsyncClient) -> None:
    brief = json.dumps({"topic": "urban beekeeping", "duration_s": 60, "tone": "friendly"})
    body = chat_body(brief, response_format={"type": "json_object"})
    first = await chat(client, body)
    second = await chat(client, body, "/v1/chat/completions")
    assert first["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"]
    assert first["model"] == "deepseek-chat" and first["object"] == "chat.completion"
    script = json.loads(first["choices"][0]["message"]["content"])
    assert script["language"] == "en" and "Urban beekeeping" in script["title"]
    assert len(script["scenes"]) == 4 and all(s["text"] and s["visual"] for s in script["scenes"])
    words = sum(len(s["text"].split()) for s in script["scenes"])
    assert words == 150
    usage = first["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert (
        usage["prompt_cache_hit_tokens"] == 0 and usage["prompt_cache_miss_tokens"] == usage["prompt_tokens"]
    )
    repeat = second["usage"]
    assert (
        repeat["prompt_cache_hit_tokens"] == repeat["prompt_tokens"]
        and repeat["prompt_cache_miss_tokens"] == 0
    )
    other = await chat(
        client,
        chat_body(
            json.dumps({"topic": "tea", "duration_s": 20, "format": "single", "language": "de"}),
            response_format={"type": "json_object"},
        ),
    )
    other_script = json.loads(other["choices"][0]["message"]["content"])
    assert len(other_script["scenes"]) == 1 and other_script["language"] == "de"
    assert len(other_script["scenes"][0]["text"].split()) == 50


async def test_chat_plain_topic_and_formats(client: httpx2.AsyncClient) -> None:
    asked = await chat(client, chat_body("Reply in JSON. Why sleep matters"))
    script = json.loads(asked["choices"][0]["message"]["content"])
    assert "Reply in json. why sleep matters".lower() in script["title"].lower()
    assert len(script["scenes"]) == math.ceil(30 / 15)
    prose = await chat(client, chat_body("Why sleep matters"))
    text = prose["choices"][0]["message"]["content"]
    assert not text.startswith("{") and "Why sleep matters" in text
    brief = await chat(
        client,
        chat_body(
            json.dumps({"topic": "robots", "format": "agent-brief"}), response_format={"type": "json_object"}
        ),
    )
    brief_script = json.loads(brief["choices"][0]["message"]["content"])
    assert len(brief_script["scenes"]) == 1 and brief_script["scenes"][0]["text"].startswith(
        "Create a 30-second"
    )
    reasoner = await chat(client, {**chat_body("volcanoes"), "model": "deepseek-reasoner"})
    assert reasoner["model"] == "deepseek-reasoner" and reasoner["choices"][0]["message"]["reasoning_content"]


async def test_chat_auth_errors_and_stream(client: httpx2.AsyncClient) -> None:
    body = chat_body("hello")
    assert (await client.post("/chat/completions", json=body)).status_code == 401  # x-api-key is not enough
    denied = await client.post("/chat/completions", json=body, headers={"Authorization": "Bearer bad-key"})
    assert denied.status_code == 401 and denied.json()["error"]["type"] == "authentication_error"
    missing = await client.post(
        "/chat/completions",
        json={"model": "deepseek-chat", "messages": []},
        headers={"Authorization": "Bearer sk"},
    )
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "messages"
    stream = await client.post(
        "/chat/completions",
        json={**body, "stream": True, "stream_options": {"include_usage": True}},
        headers={"Authorization": "Bearer sk"},
    )
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in stream.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    whole = await chat(client, body)
    assert streamed == whole["choices"][0]["message"]["content"] and chunks[-1]["usage"]["total_tokens"] > 0


# -- on a real port --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_served_with_uvicorn_drops_for_real() -> None:
    import uvicorn

    from heygen_studio.sandbox.server import CloseOnDrop

    app = create_app()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            CloseOnDrop(app), host="127.0.0.1", port=port, http="h11", log_level="critical", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.01)
        base = f"http://127.0.0.1:{port}"
        async with httpx2.AsyncClient(base_url=base, headers={"x-api-key": "k"}) as client:
            looks = (await client.get("/v3/avatars/looks", params={"limit": 1})).json()["data"]
            assert looks[0]["preview_image_url"].startswith(f"{base}/_media/")
            assert (await client.get(looks[0]["preview_image_url"])).status_code == 200
            app.state.sandbox.faults.inject("GET", "/v3/users/me", "drop")
            with pytest.raises(httpx2.RemoteProtocolError):
                await client.get("/v3/users/me")
            assert (await client.get("/v3/users/me")).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=5)
