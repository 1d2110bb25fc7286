"""The client under faults the sandbox injects: retries, Retry-After, dropped connections,
malformed bodies, 200-with-error, expired URLs; and the errors a model sees."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import pytest

from heygen_studio.core.client import HeyGenClient
from heygen_studio.core.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    InputError,
    InsufficientCreditError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
)
from heygen_studio.core.models import CreateAvatarVideo, CreateStudioVideoV2, V2Scene, V2TextVoice
from heygen_studio.core.transfer import download
from heygen_studio.sandbox import SANDBOX_BASE_URL

pytestmark = pytest.mark.anyio
KEY = "test-key-0123456789"


def posts(sandbox, path: str) -> list:
    return [r for r in sandbox.requests if r.method == "POST" and r.path == path]


async def ids(hg) -> tuple[str, str]:
    look = (await hg.avatars.list_looks(ownership="public", limit=1)).items[0]
    voice = (await hg.voices.list(limit=1)).items[0]
    return look.id, voice.voice_id


async def test_get_retries_honour_retry_after(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/users/me", "status", status=429, code="rate_limit_exceeded", retry_after=2)
    me = await hg.account.me()
    assert me.username
    assert sleeps.calls == [2.0]
    assert [r.status for r in sandbox.requests if r.path == "/v3/users/me"] == [429, 200]


async def test_get_retries_5xx_with_backoff_then_gives_up(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/users/me", "status", status=503, times=10)
    with pytest.raises(InternalServerError) as info:
        await hg.account.me()
    attempts = [r for r in sandbox.requests if r.path == "/v3/users/me"]
    assert len(attempts) == hg.http.max_retries + 1
    assert len(sleeps.calls) == hg.http.max_retries
    assert sleeps.calls == sorted(sleeps.calls) and all(0 < s <= 8 for s in sleeps.calls)
    assert "try again" in info.value.describe()


async def test_retry_after_beyond_budget_is_raised_not_waited(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/voices", "status", status=429, code="rate_limit_exceeded", retry_after=600)
    with pytest.raises(RateLimitError) as info:
        await hg.voices.list()
    assert sleeps.calls == [] and info.value.retry_after == 600
    assert "retry after 600 s" in info.value.describe()


async def test_post_retried_after_dropped_connection_creates_one_job(hg, sandbox, sleeps) -> None:
    look, voice = await ids(hg)
    sandbox.faults.inject("POST", "/v3/videos", "drop_after")  # HeyGen acts, then the socket dies
    created = await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="Only once.", voice_id=voice))
    attempts = posts(sandbox, "/v3/videos")
    assert len(attempts) == 2
    keys = {r.headers.get("idempotency-key") for r in attempts}
    assert len(keys) == 1 and None not in keys
    listed = await hg.videos.list(limit=50)
    assert [v.id for v in listed.items].count(created.video_id) == 1
    assert len(listed.items) == 1  # one job, not two


async def test_post_waits_out_request_in_progress(hg, sandbox, sleeps) -> None:
    look, voice = await ids(hg)
    sandbox.faults.inject("POST", "/v3/videos", "status", status=409, code="request_in_progress")
    created = await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="In flight.", voice_id=voice))
    assert created.video_id and len(sleeps.calls) == 1


async def test_keyless_v2_post_is_not_retried_when_it_may_have_landed(hg, sandbox, sleeps) -> None:
    _, voice = await ids(hg)
    sandbox.faults.inject("POST", "/v2/video/generate", "drop_after")
    req = CreateStudioVideoV2(video_inputs=[V2Scene(voice=V2TextVoice(voice_id=voice, input_text="Hi."))])
    with pytest.raises(APIConnectionError) as info:
        await hg.videos.create_studio_v2(req)
    assert info.value.maybe_received and "list_videos" in info.value.describe()
    assert len(posts(sandbox, "/v2/video/generate")) == 1 and sleeps.calls == []


async def test_keyless_v2_post_retries_a_429(hg, sandbox, sleeps) -> None:
    _, voice = await ids(hg)
    sandbox.faults.inject("POST", "/v2/video/generate", "status", status=429, retry_after=1)
    req = CreateStudioVideoV2(video_inputs=[V2Scene(voice=V2TextVoice(voice_id=voice, input_text="Hi."))])
    created = await hg.videos.create_studio_v2(req)
    assert created.video_id and sleeps.calls == [1.0]


async def test_keyless_v2_post_does_not_retry_a_500(hg, sandbox) -> None:
    _, voice = await ids(hg)
    sandbox.faults.inject("POST", "/v2/video/generate", "status", status=500)
    req = CreateStudioVideoV2(video_inputs=[V2Scene(voice=V2TextVoice(voice_id=voice, input_text="Hi."))])
    with pytest.raises(InternalServerError):
        await hg.videos.create_studio_v2(req)
    assert len(posts(sandbox, "/v2/video/generate")) == 1


async def test_http_200_carrying_an_error_is_an_error(hg, sandbox) -> None:
    sandbox.faults.inject("GET", "/v3/video-agents/styles", "error200")
    with pytest.raises(BadRequestError):
        await hg.video_agents.styles()


async def test_malformed_json_is_retried_then_reported(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/users/me", "malformed", times=10)
    with pytest.raises(ResponseFormatError, match="not JSON"):
        await hg.account.me()
    sandbox.faults.clear()
    sandbox.faults.inject("GET", "/v3/users/me", "malformed")
    assert (await hg.account.me()).username


async def test_dropped_get_is_retried(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/voices", "drop")
    assert (await hg.voices.list()).items
    assert len(sleeps.calls) == 1


async def test_typed_errors_carry_code_param_and_next_step(hg, sandbox) -> None:
    with pytest.raises(NotFoundError) as nf:
        await hg.videos.get("0123456789abcdef0123456789abcdef")
    assert nf.value.status_code == 404 and nf.value.code
    look, voice = await ids(hg)
    with pytest.raises(NotFoundError) as bad_voice:
        await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="x", voice_id="no-such-voice"))
    assert bad_voice.value.param == "voice_id"
    sandbox.credits = 0
    with pytest.raises(InsufficientCreditError) as credit:
        await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="x", voice_id=voice))
    assert "get_account" in credit.value.describe()


async def test_bad_key_names_the_setting_and_never_the_key(wire, sandbox, caplog) -> None:
    secret = "bad-key-SUPERSECRET-123"
    caplog.set_level(logging.DEBUG)
    async with HeyGenClient(api_key=secret, base_url=SANDBOX_BASE_URL, transport=wire) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.account.me()
    text = info.value.describe()
    assert "HEYGEN_API_KEY" in text and secret not in text and secret not in repr(info.value)
    assert secret not in caplog.text


async def test_bad_input_is_rejected_before_any_request(sandbox) -> None:
    with pytest.raises(ValueError, match="exactly one of script"):
        CreateAvatarVideo(avatar_id="a", script="hi", audio_url="https://example.com/a.mp3", voice_id="v")
    with pytest.raises(ValueError):
        CreateAvatarVideo(avatar_id="a", script="x" * 5001, voice_id="v")
    assert sandbox.requests == []
    assert issubclass(InputError, ValueError)


async def test_unknown_fields_tolerated_missing_required_named(sleeps) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/v3/videos/a":
            return httpx2.Response(200, json={"data": {"id": "a", "status": "processing", "brand_new_field": 1}})
        return httpx2.Response(200, json={"data": {"id": "b"}})

    async with HeyGenClient(api_key=KEY, base_url="https://api.test", transport=httpx2.MockTransport(handler),
                            sleep=sleeps) as client:
        video = await client.videos.get("a")
        assert video.status == "processing"
        with pytest.raises(ResponseFormatError, match="status"):
            await client.videos.get("b")


async def test_download_refreshes_expired_url_and_resumes(hg, sandbox, clock, tmp_path: Path) -> None:
    look, voice = await ids(hg)
    created = await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="Download me.", voice_id=voice))
    clock.advance(3600)
    video = await hg.videos.get(created.video_id)
    full = (await hg.http.client.get(video.video_url)).content
    dest = tmp_path / "v.mp4"
    (tmp_path / "v.mp4.part").write_bytes(full[:5000])  # an earlier, interrupted download
    sandbox.expire_media()

    async def fresh() -> str:
        return (await hg.videos.get(created.video_id)).video_url

    result = await download(hg.http.client, video.video_url, dest, refresh_url=fresh)
    assert result.refreshed_url and result.resumed_from == 5000
    assert dest.read_bytes() == full and not (tmp_path / "v.mp4.part").exists()
    ranged = [r for r in sandbox.requests if r.headers.get("range")]
    assert ranged and ranged[-1].headers["range"] == "bytes=5000-"


async def test_a_delete_retried_after_a_dropped_connection_succeeds(hg, sandbox, clock, sleeps) -> None:
    look, voice = await ids(hg)
    created = await hg.videos.create(CreateAvatarVideo(avatar_id=look, script="Delete me.", voice_id=voice))
    sandbox.faults.inject("DELETE", f"/v3/videos/{created.video_id}", "drop_after")  # deleted, then the socket dies
    await hg.videos.delete(created.video_id)  # the retry finds it gone: that is success, not a 404
    attempts = [r.status for r in sandbox.requests if r.method == "DELETE"]
    assert len(attempts) == 2 and attempts[1] == 404 and len(sleeps.calls) == 1
    with pytest.raises(NotFoundError):
        await hg.videos.get(created.video_id)


async def test_retry_waits_share_one_budget_per_request(hg, sandbox, sleeps) -> None:
    sandbox.faults.inject("GET", "/v3/users/me", "status", status=429, code="rate_limit_exceeded",
                          retry_after=20, times=3)
    with pytest.raises(RateLimitError) as info:
        await hg.account.me()
    assert sleeps.calls == [20.0]  # a second 20 s wait would pass 30 s in one call: raised instead
    assert "retry after 20 s" in info.value.describe()


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry-after": "2"}, 2.0),
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after-ms": "abc", "retry-after": "3"}, 3.0),  # an unreadable ms hint falls back to Retry-After
    ({"retry-after": "soon"}, None),  # unreadable: no hint, not a crash
    ({"retry-after": "Mon, 99 Foo"}, None),
])
async def test_retry_after_hints_are_read_or_ignored_never_a_crash(sleeps, headers, expected) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(429, headers=headers, json={"error": {"code": "rate_limit_exceeded", "message": "x"}})

    async with HeyGenClient(api_key=KEY, base_url="https://api.test", transport=httpx2.MockTransport(handler),
                            sleep=sleeps, max_retries=1) as client:
        with pytest.raises(RateLimitError) as info:
            await client.account.me()
    assert info.value.retry_after == expected
    assert len(sleeps.calls) == 1 and (expected is None or sleeps.calls == [expected])
