"""Walk every sandbox endpoint (happy paths and the main error paths) and check each /v2 and /v3
response against the contract; also check that the walk covers every operation the sandbox serves."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from contract import load_contract, require_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app

pytestmark = pytest.mark.anyio

SERVED_OPERATIONS = {
    # video agent
    "createVideoAgentSession",
    "listVideoAgentSessions",
    "listVideoAgentStyles",
    "getVideoAgentSession",
    "sendVideoAgentMessage",
    "stopVideoAgentSession",
    "listVideoAgentSessionVideos",
    "getVideoAgentResource",
    # videos (+ the live v2 Studio endpoint)
    "createVideo",
    "getVideo",
    "listVideos",
    "deleteVideo",
    "listVideoStatuses",
    "generateStudioVideoV2",
    # assets
    "uploadAsset",
    "createAssetUpload",
    "completeAssetUpload",
    "getAsset",
    "listAssets",
    "deleteAsset",
    # avatars
    "listAvatarGroups",
    "getAvatarGroup",
    "deleteAvatarGroup",
    "listAvatarLooks",
    "getAvatarLook",
    "updateAvatarLook",
    "deleteAvatarLook",
    "createAvatar",
    "createAvatarConsent",
    # voices, user
    "listVoices",
    "getVoice",
    "designVoice",
    "createSpeech",
    "cloneVoice",
    "deleteVoice",
    "getCurrentUser",
    # templates
    "listTemplates",
    "getTemplate",
    "generateFromTemplate",
    "listTemplatesV2",
    "getTemplateV2",
    "generateFromTemplateV2",
    # translations
    "createVideoTranslation",
    "getVideoTranslation",
    "listVideoTranslations",
    "listVideoTranslationLanguages",
    # batches (tests/test_sandbox_batches.py walks them in depth)
    "createVideoBatch",
    "getVideoBatch",
    "createVideoTranslationBatch",
    "getVideoTranslationBatch",
    # lipsyncs
    "createLipsync",
    "listLipsyncs",
    "getLipsync",
    "updateLipsync",
    "deleteLipsync",
    # webhooks
    "listWebhookEndpoints",
    "createWebhookEndpoint",
    "updateWebhookEndpoint",
    "deleteWebhookEndpoint",
    "rotateWebhookEndpointSecret",
    "listWebhookEventTypes",
    "listWebhookEvents",
}


class Walker:
    """Sends requests, asserts the status, and checks every /v2 + /v3 exchange against the contract."""

    def __init__(self, client: httpx2.AsyncClient, contract: Any) -> None:
        self.client = client
        self.contract = contract
        self.problems: list[str] = []
        self.exercised: set[str] = set()

    async def __call__(
        self, method: str, path: str, expect: int, *, valid: bool = True, **kwargs: Any
    ) -> Any:
        response = await self.client.request(method, path, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: {response.status_code} {response.text[:400]}"
        )
        url_path = response.request.url.path
        if url_path.startswith(("/v2/", "/v3/")):
            op = self.contract.find(method, url_path)
            assert op is not None, f"{method} {url_path} is not in the contract"
            self.exercised.add(op.operation_id)
            body = response.json()
            self.problems += self.contract.check_response(method, url_path, response.status_code, body)
            if valid and "json" in kwargs:
                query = {k: str(v) for k, v in (kwargs.get("params") or {}).items()}
                self.problems += self.contract.check_request(
                    method, url_path, query=query, body=kwargs["json"], content_type="application/json"
                )
            if response.status_code >= 400:
                error = body["error"]
                assert error["code"] and error["message"]
            return body
        return response


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> Any:
    hooks = httpx2.MockTransport(lambda request: httpx2.Response(200))
    return create_app(SandboxConfig(webhook_transport=hooks), clock)


@pytest.fixture
async def walk(app: Any) -> AsyncIterator[Walker]:
    contract = load_contract()
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(
        transport=transport, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "test-key"}
    ) as client:
        walker = Walker(client, contract)
        yield walker
    assert walker.problems == [], "contract problems:\n" + "\n".join(walker.problems)


def jpeg() -> bytes:
    from importlib import resources

    return resources.files("heygen_studio.sandbox").joinpath("media", "sample.jpg").read_bytes()


async def test_walk_every_endpoint(walk: Walker, app: Any, clock: ManualClock) -> None:
    require_contract()  # skipped here, not in a fixture: the run's summary then gives every such skip one line
    state = app.state.sandbox

    # -- auth + user ---------------------------------------------------------------------------
    me = await walk("GET", "/v3/users/me", 200)
    assert me["data"]["wallet"]["remaining_balance"] == state.credits
    await walk("GET", "/v3/users/me", 401, headers={"x-api-key": ""})
    await walk("GET", "/v3/users/me", 401, headers={"x-api-key": "bad-key"})
    await walk("GET", "/v3/users/me", 200, headers={"x-api-key": "", "Authorization": "Bearer oauth-token"})

    # -- voices --------------------------------------------------------------------------------
    voices = await walk("GET", "/v3/voices", 200, params={"limit": 5})
    assert len(voices["data"]) == 5 and voices["has_more"] is True
    german = await walk(
        "GET", "/v3/voices", 200, params={"language": "German", "gender": "female", "limit": 100}
    )
    assert german["data"] and all(
        v["language"] == "German" and v["gender"] == "female" for v in german["data"]
    )
    starfish = await walk(
        "GET", "/v3/voices", 200, params={"engine": "starfish", "language": "en", "limit": 100}
    )
    private = await walk("GET", "/v3/voices", 200, params={"type": "private"})
    assert private["data"] == [] and private["has_more"] is False
    await walk("GET", "/v3/voices", 400, params={"limit": 0})
    await walk("GET", "/v3/voices", 400, params={"type": "secret"})
    voice_id = starfish["data"][0]["voice_id"]
    await walk("GET", f"/v3/voices/{voice_id}", 200)
    await walk("GET", "/v3/voices/0123456789abcdef0123456789abcdef", 404)
    designed = await walk("POST", "/v3/voices", 200, json={"prompt": "warm, confident female narrator"})
    assert 1 <= len(designed["data"]["voices"]) <= 3
    await walk("POST", "/v3/voices", 400, json={"prompt": "x", "style": "y"}, valid=False)
    speech = await walk("POST", "/v3/voices/speech", 200, json={"text": "Hello there.", "voice_id": voice_id})
    assert speech["data"]["audio_url"].startswith(SANDBOX_BASE_URL)
    await walk("POST", "/v3/voices/speech", 400, json={"text": "Hi", "voice_id": "nope"})
    not_starfish = next(v for v in state.voices.values() if "starfish" not in v.engines)
    await walk("POST", "/v3/voices/speech", 400, json={"text": "Hi", "voice_id": not_starfish.voice_id})

    # -- avatars (catalogue) ---------------------------------------------------------------------
    groups = await walk("GET", "/v3/avatars", 200, params={"ownership": "public", "limit": 3})
    assert len(groups["data"]) == 3 and groups["has_more"]
    group_id = groups["data"][0]["id"]
    await walk("GET", f"/v3/avatars/{group_id}", 200)
    await walk("GET", "/v3/avatars/nope", 404)
    await walk("GET", "/v3/avatars", 400, params={"limit": 51})
    looks = await walk(
        "GET", "/v3/avatars/looks", 200, params={"group_id": group_id, "avatar_type": "studio_avatar"}
    )
    look_id = looks["data"][0]["id"]
    photo_looks = await walk(
        "GET", "/v3/avatars/looks", 200, params={"avatar_type": "photo_avatar", "limit": 50}
    )
    assert photo_looks["data"] and all(x["avatar_type"] == "photo_avatar" for x in photo_looks["data"])
    await walk("GET", "/v3/avatars/looks", 400, params={"avatar_type": "cartoon"})
    await walk("GET", f"/v3/avatars/looks/{look_id}", 200)
    await walk("GET", "/v3/avatars/looks/nope", 404)
    await walk("PATCH", f"/v3/avatars/looks/{look_id}", 403, json={"name": "Mine now"})
    await walk("DELETE", f"/v3/avatars/looks/{look_id}", 403)
    await walk("DELETE", f"/v3/avatars/{group_id}", 403)

    # -- assets ----------------------------------------------------------------------------------
    uploaded = await walk(
        "POST", "/v3/assets", 200, files={"file": ("face.png", io.BytesIO(jpeg()), "image/png")}
    )
    image_asset = uploaded["data"]["asset_id"]
    assert uploaded["data"]["mime_type"] == "image/jpeg"  # sniffed from the bytes, not the name
    await walk("POST", "/v3/assets", 400, files={"file": ("notes.txt", b"just text", "text/plain")})
    await walk("POST", "/v3/assets", 400, files={"other": ("a.jpg", jpeg(), "image/jpeg")})
    direct = await walk(
        "POST",
        "/v3/assets/direct-uploads",
        200,
        json={"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": 20452},
    )
    await walk("POST", "/v3/assets/direct-uploads", 400, json={"filename": "x.mp4"}, valid=False)
    from heygen_studio.sandbox.media import sample

    put = await walk.client.put(
        direct["data"]["upload_url"], content=sample("sample.mp4"), headers=direct["data"]["upload_headers"]
    )
    assert put.status_code == 200
    video_asset = direct["data"]["asset_id"]
    completed = await walk("POST", f"/v3/assets/{video_asset}/complete", 200, json={})
    assert completed["data"]["mime_type"] == "video/mp4" and completed["data"]["size_bytes"] == 20452
    await walk("POST", "/v3/assets/nope/complete", 404, json={})
    await walk("GET", f"/v3/assets/{image_asset}", 200)
    listed = await walk("GET", "/v3/assets", 200, params={"username": "sandbox_user"})
    assert {a["id"] for a in listed["data"]} == {image_asset, video_asset}
    await walk("GET", "/v3/assets", 400)
    spare = await walk("POST", "/v3/assets", 200, files={"file": ("b.jpg", jpeg(), "image/jpeg")})
    await walk("DELETE", f"/v3/assets/{spare['data']['asset_id']}", 200)
    await walk("GET", f"/v3/assets/{spare['data']['asset_id']}", 404)
    await walk("DELETE", f"/v3/assets/{spare['data']['asset_id']}", 404)

    # -- avatars (creation, consent) -------------------------------------------------------------
    photo = await walk(
        "POST",
        "/v3/avatars",
        200,
        json={"type": "photo", "name": "Me", "file": {"type": "asset_id", "asset_id": image_asset}},
    )
    my_group = photo["data"]["avatar_group"]["id"]
    my_look = photo["data"]["avatar_item"]["id"]
    assert photo["data"]["avatar_item"]["status"] == "processing"
    prompt = await walk(
        "POST",
        "/v3/avatars",
        200,
        json={
            "type": "prompt",
            "name": "Astronaut",
            "prompt": "a friendly astronaut",
            "avatar_group_id": my_group,
        },
    )
    assert prompt["data"]["avatar_group"]["id"] == my_group
    twin = await walk(
        "POST",
        "/v3/avatars",
        200,
        json={"type": "digital_twin", "name": "Twin", "file": {"type": "asset_id", "asset_id": video_asset}},
    )
    await walk("POST", "/v3/avatars", 400, json={"type": "clone", "name": "x"}, valid=False)
    await walk(
        "POST",
        "/v3/avatars",
        400,
        json={"type": "photo", "name": "x", "file": {"type": "url", "url": "https://x/y.jpg", "extra": 1}},
        valid=False,
    )
    await walk(
        "POST",
        "/v3/avatars",
        400,
        json={"type": "photo", "name": "x", "file": {"type": "asset_id", "asset_id": "missing"}},
    )
    await walk(
        "POST",
        "/v3/avatars",
        403,
        json={"type": "prompt", "name": "x", "prompt": "y", "avatar_group_id": group_id},
    )
    consent = await walk("POST", f"/v3/avatars/{my_group}/consent", 200, json={})
    assert consent["data"]["url"].startswith(SANDBOX_BASE_URL)
    await walk("POST", "/v3/avatars/nope/consent", 404, json={})
    await walk("POST", f"/v3/avatars/{group_id}/consent", 400, json={})
    renamed = await walk("PATCH", f"/v3/avatars/looks/{my_look}", 200, json={"name": "Me, renamed"})
    assert renamed["data"]["name"] == "Me, renamed"
    await walk("GET", "/v3/avatars", 200, params={"ownership": "private"})
    await walk("GET", "/v3/avatars/looks", 200, params={"ownership": "private", "group_id": my_group})
    await walk("DELETE", f"/v3/avatars/looks/{prompt['data']['avatar_item']['id']}", 200)
    await walk("DELETE", f"/v3/avatars/{twin['data']['avatar_group']['id']}", 200)
    await walk("GET", f"/v3/avatars/{twin['data']['avatar_group']['id']}", 404)

    # -- videos ----------------------------------------------------------------------------------
    avatar_video = await walk(
        "POST",
        "/v3/videos",
        200,
        json={
            "type": "avatar",
            "avatar_id": look_id,
            "script": "Hello from the sandbox.",
            "voice_id": voice_id,
            "title": "Walk avatar",
            "caption": {"style": "default"},
            "callback_url": "https://hooks.test/cb",
            "engine": {"type": "avatar_iv"},
            "voice_settings": {"speed": 1.1},
        },
    )
    assert avatar_video["data"]["status"] == "waiting"
    video_id = avatar_video["data"]["video_id"]
    await walk(
        "POST",
        "/v3/videos",
        200,
        json={
            "type": "image",
            "image": {"type": "asset_id", "asset_id": image_asset},
            "script": "Hi!",
            "voice_id": voice_id,
            "title": "Walk image",
        },
    )
    await walk(
        "POST",
        "/v3/videos",
        200,
        json={
            "type": "studio",
            "title": "Walk studio",
            "scenes": [
                {
                    "type": "avatar_video",
                    "input": {
                        "type": "avatar",
                        "avatar_id": look_id,
                        "script": "Scene one.",
                        "background": {"type": "color", "color": "#112233"},
                    },
                },
                {
                    "type": "image",
                    "source": {"type": "url", "url": "https://example.com/a.png"},
                    "duration": 3,
                },
                {"type": "video", "source": {"type": "asset_id", "asset_id": video_asset}},
                {  # a narrated clip (2026-07-23 contract): the voiceover sets the scene's length
                    "type": "video",
                    "source": {"type": "asset_id", "asset_id": video_asset},
                    "script": "Over the clip.",
                    "voice_id": voice_id,
                    "voice_settings": {"speed": 1.1},
                    "playback": {"volume": 0.2},
                },
            ],
        },
    )
    # Contract 2026-07-23: the image-animating avatar_video input is gone; a video scene takes one voiceover.
    image_input = await walk(
        "POST", "/v3/videos", 400, valid=False,
        json={"type": "studio", "scenes": [{"type": "avatar_video", "input": {
            "type": "image", "image": {"type": "asset_id", "asset_id": image_asset},
            "script": "Hi", "voice_id": voice_id,
        }}]},
    )
    assert image_input["error"]["code"] == "validation_error"
    assert image_input["error"]["param"] == "scenes[0].input.type"
    two_voiceovers = await walk(
        "POST", "/v3/videos", 400,
        json={"type": "studio", "scenes": [{"type": "video", "source": {"type": "asset_id", "asset_id": video_asset},
                                            "script": "Hi", "voice_id": voice_id,
                                            "audio_url": "https://example.com/a.mp3"}]},
    )
    assert two_voiceovers["error"]["param"] == "scenes[0].script"
    unvoiced = await walk(
        "POST", "/v3/videos", 400,
        json={"type": "studio", "scenes": [{"type": "video", "source": {"type": "asset_id", "asset_id": video_asset},
                                            "script": "Hi"}]},
    )
    assert unvoiced["error"]["param"] == "scenes[0].voice_id"
    await walk(
        "POST",
        "/v3/videos",
        200,
        json={
            "type": "cinematic_avatar",
            "prompt": "On a beach at sunset",
            "avatar_id": [look_id],
            "duration": 8,
        },
    )
    await walk("POST", "/v3/videos", 400, json={"type": "avatar", "script": "x"}, valid=False)
    missing = await walk(
        "POST", "/v3/videos", 400, json={"type": "avatar", "avatar_id": "Nobody_2020", "script": "x"}
    )
    assert missing["error"]["code"] == "avatar_not_found" and missing["error"]["param"] == "avatar_id"
    await walk(
        "POST",
        "/v3/videos",
        400,
        json={
            "type": "avatar",
            "avatar_id": look_id,
            "script": "x",
            "voice_id": "ffffffffffffffffffffffffffffffff",
        },
    )
    both = await walk(
        "POST",
        "/v3/videos",
        400,
        json={
            "type": "avatar",
            "avatar_id": look_id,
            "script": "x",
            "audio_url": "https://example.com/a.mp3",
        },
    )
    assert both["error"]["param"] == "script"
    pending = await walk(
        "POST", "/v3/videos", 400, json={"type": "avatar", "avatar_id": my_look, "script": "x"}
    )
    assert "pending" in pending["error"]["message"] or "processing" in pending["error"]["message"]
    first = await walk("GET", f"/v3/videos/{video_id}", 200)
    assert first["data"]["status"] == "pending" and first["data"]["video_url"] is None
    await walk("GET", "/v3/videos/ffffffffffffffffffffffffffffffff", 404)
    clock.advance(state.config.render_seconds + 1)
    done = await walk("GET", f"/v3/videos/{video_id}", 200)
    assert done["data"]["status"] == "completed" and done["data"]["captioned_video_url"]
    page = await walk("GET", "/v3/videos", 200, params={"limit": 2})
    assert len(page["data"]) == 2 and page["has_more"]
    rest = await walk("GET", "/v3/videos", 200, params={"limit": 2, "token": page["next_token"]})
    assert rest["data"] and not set(v["id"] for v in rest["data"]) & set(v["id"] for v in page["data"])
    titled = await walk("GET", "/v3/videos", 200, params={"title": "walk image"})
    assert [v["title"] for v in titled["data"]] == ["Walk image"]
    await walk("GET", "/v3/videos", 400, params={"token": "not-a-token"})
    statuses = await walk("GET", "/v3/videos/statuses", 200, params={"video_ids": f"{video_id},missing"})
    assert [s["status"] for s in statuses["data"]] == ["completed", "not_found"]
    await walk("GET", "/v3/videos/statuses", 400)

    # -- v2 Studio -------------------------------------------------------------------------------
    v2 = await walk(
        "POST",
        "/v2/video/generate",
        200,
        json={
            "title": "Walk v2",
            "dimension": {"width": 1280, "height": 720},
            "video_inputs": [
                {
                    "character": {"type": "avatar", "avatar_id": look_id, "avatar_style": "normal"},
                    "voice": {"type": "text", "voice_id": voice_id, "input_text": "Scene one."},
                    "background": {"type": "color", "value": "#008000"},
                },
                {
                    "character": {"type": "talking_photo", "talking_photo_id": photo_looks["data"][0]["id"]},
                    "voice": {"type": "audio", "audio_url": "https://example.com/a.mp3"},
                    "background": {"type": "image", "url": "https://example.com/bg.jpg"},
                },
                {"voice": {"type": "silence", "duration": 2}},
            ],
        },
    )
    assert v2["error"] is None
    await walk("GET", f"/v3/videos/{v2['data']['video_id']}", 200)
    bad_v2 = await walk("POST", "/v2/video/generate", 400, json={"video_inputs": []}, valid=False)
    assert bad_v2["data"] is None and bad_v2["error"]["code"] == "validation_error"
    await walk(
        "POST",
        "/v2/video/generate",
        400,
        json={
            "video_inputs": [
                {"voice": {"type": "audio", "audio_url": "https://a/b.mp3", "audio_asset_id": "x"}}
            ]
        },
        valid=False,
    )
    await walk(
        "POST",
        "/v2/video/generate",
        401,
        headers={"x-api-key": "bad"},
        json={"video_inputs": []},
        valid=False,
    )

    # -- templates -------------------------------------------------------------------------------
    templates = await walk("GET", "/v3/templates", 200)
    template_id = templates["data"][0]["id"]
    detail = await walk("GET", f"/v3/templates/{template_id}", 200)
    assert detail["data"]["scenes"] and detail["data"]["variables"]
    generated = await walk(
        "POST",
        f"/v3/templates/{template_id}",
        200,
        json={
            "variables": {
                "product_name": {"name": "product_name", "type": "text", "properties": {"content": "Widget"}}
            },
            "title": "From template",
        },
    )
    assert generated["data"]["status"] == "pending"
    await walk("POST", f"/v3/templates/{template_id}", 400, json={"variables": {"nope": "x"}})
    await walk("GET", "/v3/templates/nope", 404)
    await walk("POST", "/v3/templates/nope", 404, json={"variables": {}})
    v2_templates = await walk("GET", "/v2/templates", 200)
    v2_template = v2_templates["data"]["templates"][0]["template_id"]
    v2_detail = await walk("GET", f"/v2/template/{v2_template}", 200)
    assert "first_name" in v2_detail["data"]["variables"]
    v2_generated = await walk(
        "POST",
        f"/v2/template/{v2_template}/generate",
        200,
        json={
            "variables": {
                "first_name": {"name": "first_name", "type": "text", "properties": {"content": "Ada"}}
            }
        },
    )
    await walk("GET", f"/v3/videos/{v2_generated['data']['video_id']}", 200)
    await walk("GET", "/v2/template/nope", 404)
    await walk("POST", "/v2/template/nope/generate", 404, json={"variables": {}})
    await walk(
        "POST",
        f"/v2/template/{v2_template}/generate",
        400,
        json={"variables": {"first_name": {"type": "image", "properties": {"url": "https://a/b.png"}}}},
    )

    # -- video agent -----------------------------------------------------------------------------
    styles = await walk("GET", "/v3/video-agents/styles", 200, params={"tag": "cinematic"})
    assert styles["data"] and all("cinematic" in s["tags"] for s in styles["data"])
    created = await walk(
        "POST",
        "/v3/video-agents",
        200,
        json={
            "prompt": "A 30 second explainer about solar panels",
            "style_id": styles["data"][0]["style_id"],
            "orientation": "landscape",
            "callback_url": "https://hooks.test/agent",
            "callback_id": "a-1",
        },
    )
    session_id = created["data"]["session_id"]
    rejected = await walk(
        "POST", "/v3/video-agents", 400, json={"prompt": "x", "config": {"duration_sec": 30}}, valid=False
    )
    assert rejected["error"]["param"] == "config"
    await walk("POST", "/v3/video-agents", 400, json={"prompt": "x", "style_id": "nope"})
    await walk("GET", "/v3/video-agents", 200)
    thinking = await walk("GET", f"/v3/video-agents/{session_id}", 200)
    assert thinking["data"]["status"] == "thinking"
    await walk("GET", "/v3/video-agents/nope", 404)
    await walk("POST", f"/v3/video-agents/{session_id}", 400, json={"message": "shorter please"})
    chat = await walk(
        "POST", "/v3/video-agents", 200, json={"prompt": "Help me plan a launch video", "mode": "chat"}
    )
    chat_id = chat["data"]["session_id"]
    await walk("POST", f"/v3/video-agents/{chat_id}", 409, json={"message": "make it punchier"})
    await walk("POST", "/v3/video-agents/nope", 404, json={"message": "hello"})
    clock.advance(state.config.agent_thinking_seconds + state.config.agent_generating_seconds + 1)
    finished = await walk("GET", f"/v3/video-agents/{session_id}", 200)
    assert finished["data"]["status"] == "completed" and finished["data"]["progress"] == 100
    await walk("GET", f"/v3/videos/{finished['data']['video_id']}", 200)
    sent = await walk("POST", f"/v3/video-agents/{chat_id}", 200, json={"message": "make it punchier"})
    assert sent["data"]["run_id"]
    await walk("POST", f"/v3/video-agents/{chat_id}/stop", 200, json={})
    await walk("POST", f"/v3/video-agents/{chat_id}/stop", 400, json={"now": True}, valid=False)
    await walk("POST", "/v3/video-agents/nope/stop", 404, json={})
    session_videos = await walk("GET", f"/v3/video-agents/{session_id}/videos", 200)
    assert [v["status"] for v in session_videos["data"]] == ["completed"]
    await walk("GET", "/v3/video-agents/nope/videos", 404)
    resource = next(m for m in finished["data"]["messages"] if m["type"] == "resource")["resource_ids"][0]
    await walk("GET", f"/v3/video-agents/{session_id}/resources/{resource}", 200)
    await walk("GET", f"/v3/video-agents/{session_id}/resources/nope", 404)
    # A chat session asked for a draft pauses in `reviewing` with a draft_* resource, and renders nothing.
    drafted = await walk("POST", "/v3/video-agents", 200, json={"prompt": "Show me a draft first", "mode": "chat"})
    draft_session = drafted["data"]["session_id"]
    clock.advance(state.config.agent_thinking_seconds + 1)
    paused = await walk("GET", f"/v3/video-agents/{draft_session}", 200)
    assert paused["data"]["status"] == "reviewing" and paused["data"]["video_id"] is None
    draft = paused["data"]["messages"][0]["resource_ids"][0]
    shown = await walk("GET", f"/v3/video-agents/{draft_session}/resources/{draft}", 200)
    assert shown["data"]["resource_type"] == "draft"
    await walk("GET", f"/v3/video-agents/{draft_session}/videos", 200)
    await walk("POST", f"/v3/video-agents/{draft_session}", 200, json={"message": "Approved, render it."})

    # -- translations ----------------------------------------------------------------------------
    languages = await walk("GET", "/v3/video-translations/languages", 200)
    assert "Spanish (Spain)" in languages["data"]["languages"]
    translation = await walk(
        "POST",
        "/v3/video-translations",
        200,
        json={
            "video": {"type": "url", "url": done["data"]["video_url"]},
            "output_languages": ["Spanish (Spain)", "German (Germany)"],
            "enable_caption": True,
        },
    )
    ids = translation["data"]["video_translation_ids"]
    assert len(ids) == 2
    await walk(
        "POST",
        "/v3/video-translations",
        400,
        json={"video": {"type": "url", "url": "https://a/b.mp4"}, "output_languages": ["Klingon"]},
    )
    await walk(
        "POST",
        "/v3/video-translations",
        400,
        json={
            "video": {"type": "url", "url": "https://a/b.mp4"},
            "output_languages": ["English"],
            "output_language": "English",
        },
        valid=False,
    )
    await walk("GET", f"/v3/video-translations/{ids[0]}", 200)
    await walk("GET", "/v3/video-translations", 200)
    await walk("GET", "/v3/video-translations/nope", 404)

    # -- batches -----------------------------------------------------------------------------------
    vbatch = await walk("POST", "/v3/videos/batches", 202, json={"videos": [
        {"type": "avatar", "avatar_id": look_id, "voice_id": voice_id, "script": "One of two."},
        {"type": "avatar", "avatar_id": "no_such_look", "voice_id": voice_id, "script": "Two of two."}]})
    vdetail = await walk("GET", f"/v3/videos/batches/{vbatch['data']['batch_id']}", 200, params={"limit": 1})
    assert vdetail["data"]["has_more"] and vdetail["data"]["total_items"] == 2
    await walk("GET", "/v3/videos/batches/nope", 404)
    tbatch = await walk("POST", "/v3/video-translations/batches", 202, json={"video_translations": [
        {"video": {"type": "url", "url": done["data"]["video_url"]}, "output_languages": ["Spanish (Spain)"]}]})
    await walk("GET", f"/v3/video-translations/batches/{tbatch['data']['batch_id']}", 200)
    await walk("POST", "/v3/video-translations/batches", 400, json={"video_translations": []}, valid=False)

    # -- voice clones and lipsyncs --------------------------------------------------------------
    clone = await walk("POST", "/v3/voices/clone", 200, json={
        "audio": {"type": "url", "url": "https://example.com/me.mp3"}, "voice_name": "Me", "language": "de"})
    clone_id = clone["data"]["voice_clone_id"]
    cloning = await walk("GET", f"/v3/voices/{clone_id}", 200)
    assert cloning["data"]["status"] == "processing" and cloning["data"]["language"] == "German"
    await walk("POST", "/v3/voices/speech", 400, json={"text": "Too soon.", "voice_id": clone_id})
    await walk("POST", "/v3/voices/clone", 400, json={"audio": {"type": "url", "url": "https://a/b.mp3"}},
               valid=False)
    await walk("POST", "/v3/voices/clone", 400, json={
        "audio": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}, "voice_name": "X"})
    await walk("POST", "/v3/voices/clone", 400, json={
        "audio": {"type": "asset_id", "asset_id": "nope"}, "voice_name": "X"})
    clock.advance(state.config.voice_clone_seconds)
    cloned = await walk("GET", f"/v3/voices/{clone_id}", 200)
    assert cloned["data"]["status"] == "complete" and cloned["data"]["preview_audio_url"]
    private = await walk("GET", "/v3/voices", 200, params={"type": "private"})
    assert [v["voice_id"] for v in private["data"]] == [clone_id] and private["data"][0]["type"] == "private"
    spoken = await walk("POST", "/v3/voices/speech", 200, json={"text": "In my own voice.", "voice_id": clone_id})
    await walk("DELETE", f"/v3/voices/{voice_id}", 403)
    await walk("DELETE", f"/v3/voices/{clone_id}", 200)
    await walk("DELETE", f"/v3/voices/{clone_id}", 404)
    doomed_clone = await walk("POST", "/v3/voices/clone", 200, json={
        "audio": {"type": "url", "url": "https://example.com/noise.mp3"}, "voice_name": "Noise"})
    state.fail_job(doomed_clone["data"]["voice_clone_id"], message="Too noisy")
    failed_clone = await walk("GET", f"/v3/voices/{doomed_clone['data']['voice_clone_id']}", 200)
    assert failed_clone["data"]["status"] == "failed" and failed_clone["data"]["failure_message"] == "Too noisy"

    lipsync = await walk("POST", "/v3/lipsyncs", 200, json={
        "video": {"type": "url", "url": done["data"]["video_url"]},
        "audio": {"type": "url", "url": spoken["data"]["audio_url"]},
        "title": "Redub", "mode": "precision", "enable_caption": True})
    lipsync_id = lipsync["data"]["lipsync_id"]
    pending = await walk("GET", f"/v3/lipsyncs/{lipsync_id}", 200)
    assert pending["data"]["status"] == "pending" and pending["data"]["video_url"] is None
    await walk("POST", "/v3/lipsyncs", 400, json={"video": {"type": "url", "url": "https://a/b.mp4"}}, valid=False)
    await walk("POST", "/v3/lipsyncs", 400, json={
        "video": {"type": "url", "url": "https://a/b.mp4"}, "audio": {"type": "url", "url": "https://a/b.mp3"},
        "start_time": 5, "end_time": 2})
    await walk("POST", "/v3/lipsyncs", 400, json={
        "video": {"type": "base64", "media_type": "video/mp4", "data": "AAAA"},
        "audio": {"type": "url", "url": "https://a/b.mp3"}}, valid=False)
    await walk("POST", "/v3/lipsyncs", 400, json={
        "video": {"type": "url", "url": "https://a/b.mp4"}, "audio": {"type": "url", "url": "https://a/b.mp3"},
        "speaker_num": 2}, valid=False)
    clock.advance(2 * state.config.lipsync_seconds)
    synced = await walk("GET", f"/v3/lipsyncs/{lipsync_id}", 200)
    assert synced["data"]["status"] == "completed" and synced["data"]["video_url"] and synced["data"]["caption_url"]
    assert synced["data"]["duration"] == spoken["data"]["duration"]  # the new speech sets the length
    renamed = await walk("PATCH", f"/v3/lipsyncs/{lipsync_id}", 200, json={"title": "Renamed"})
    assert renamed["data"]["title"] == "Renamed"
    listed_lipsyncs = await walk("GET", "/v3/lipsyncs", 200, params={"limit": 5})
    assert [item["id"] for item in listed_lipsyncs["data"]] == [lipsync_id]
    await walk("GET", "/v3/lipsyncs/nope", 404)
    await walk("DELETE", f"/v3/lipsyncs/{lipsync_id}", 200)
    await walk("DELETE", f"/v3/lipsyncs/{lipsync_id}", 404)
    doomed_lipsync = await walk("POST", "/v3/lipsyncs", 200, json={
        "video": {"type": "url", "url": "https://a/b.mp4"}, "audio": {"type": "url", "url": "https://a/b.mp3"}})
    state.fail_job(doomed_lipsync["data"]["lipsync_id"], message="No face found")
    failed_lipsync = await walk("GET", f"/v3/lipsyncs/{doomed_lipsync['data']['lipsync_id']}", 200)
    assert failed_lipsync["data"]["status"] == "failed" and failed_lipsync["data"]["failure_message"]

    # -- webhooks --------------------------------------------------------------------------------
    endpoint = await walk(
        "POST",
        "/v3/webhooks/endpoints",
        200,
        json={"url": "https://hooks.test/heygen", "events": ["avatar_video.success"]},
    )
    endpoint_id = endpoint["data"]["endpoint_id"]
    assert endpoint["data"]["secret"].startswith("whsec_")
    await walk(
        "POST",
        "/v3/webhooks/endpoints",
        400,
        json={"url": "https://hooks.test/x", "events": ["nope"]},
        valid=False,
    )
    await walk(
        "POST",
        "/v3/webhooks/endpoints",
        400,
        json={"url": "https://hooks.test/x", "secret": "s"},
        valid=False,
    )
    listed_endpoints = await walk("GET", "/v3/webhooks/endpoints", 200)
    assert listed_endpoints["data"][0]["secret"] is None
    await walk("PATCH", f"/v3/webhooks/endpoints/{endpoint_id}", 200, json={"events": None})
    await walk("PATCH", "/v3/webhooks/endpoints/nope", 404, json={})
    rotated = await walk("POST", f"/v3/webhooks/endpoints/{endpoint_id}/rotate-secret", 200)
    assert rotated["data"]["secret"] != endpoint["data"]["secret"]
    await walk("POST", "/v3/webhooks/endpoints/nope/rotate-secret", 404)
    types = await walk("GET", "/v3/webhooks/event-types", 200)
    assert {"avatar_video.success", "video_agent.success", "video_translate.success"} <= {
        t["event_type"] for t in types["data"]
    }
    events = await walk("GET", "/v3/webhooks/events", 200, params={"event_type": "avatar_video.success"})
    assert events["data"] and all(e["event_type"] == "avatar_video.success" for e in events["data"])
    await walk("GET", "/v3/webhooks/events", 400, params={"event_type": "nope"})
    await walk("DELETE", f"/v3/webhooks/endpoints/{endpoint_id}", 200)
    await walk("DELETE", f"/v3/webhooks/endpoints/{endpoint_id}", 404)

    # -- credits, deletes, unknown routes --------------------------------------------------------
    state.credits = 0
    await walk("POST", "/v3/videos", 402, json={"type": "avatar", "avatar_id": look_id, "script": "Hi."})
    await walk(
        "POST",
        "/v2/video/generate",
        400,
        json={"video_inputs": [{"voice": {"type": "text", "voice_id": voice_id, "input_text": "Hi."}}]},
    )
    await walk("DELETE", f"/v3/videos/{video_id}", 200)
    await walk("GET", f"/v3/videos/{video_id}", 404)
    await walk("DELETE", f"/v3/videos/{video_id}", 404)

    # -- failed states validate too ---------------------------------------------------------------
    state.credits = 100
    doomed = await walk(
        "POST", "/v3/videos", 200, json={"type": "avatar", "avatar_id": look_id, "script": "x"}
    )
    state.fail_job(doomed["data"]["video_id"], "render_error", "boom")
    failed = await walk("GET", f"/v3/videos/{doomed['data']['video_id']}", 200)
    assert failed["data"]["status"] == "failed" and failed["data"]["failure_message"] == "boom"
    await walk("GET", "/v3/videos/statuses", 200, params={"video_ids": doomed["data"]["video_id"]})
    stopped = await walk("POST", "/v3/video-agents", 200, json={"prompt": "never mind"})
    await walk("POST", f"/v3/video-agents/{stopped['data']['session_id']}/stop", 200)
    halted = await walk("GET", f"/v3/video-agents/{stopped['data']['session_id']}", 200)
    assert halted["data"]["status"] == "failed"
    state.fail_job(ids[1], "translation_error", "no speech found")
    await walk("GET", f"/v3/video-translations/{ids[1]}", 200)
    state.fail_job(my_look, "bad_photo", "No face detected")
    broken = await walk("GET", f"/v3/avatars/looks/{my_look}", 200)
    assert broken["data"]["status"] == "failed" and broken["data"]["error"]["code"] == "bad_photo"
    await walk("GET", f"/v3/avatars/{my_group}", 200)
    await walk("GET", "/v3/webhooks/events", 200, params={"limit": 100})

    missing_ops = SERVED_OPERATIONS - walk.exercised
    assert not missing_ops, f"operations never exercised: {sorted(missing_ops)}"


async def test_served_operations_exist_in_contract() -> None:
    contract = require_contract()
    known = {op.operation_id for op in contract.operations}
    assert known >= SERVED_OPERATIONS


async def test_event_types_match_the_contract() -> None:
    contract = require_contract()
    from heygen_studio.sandbox.seed import WEBHOOK_EVENT_NAMES

    enum = contract.doc["components"]["schemas"]["WebhookDelivery"]["properties"]["event_type"]["enum"]
    assert set(enum) == WEBHOOK_EVENT_NAMES
