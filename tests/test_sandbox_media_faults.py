"""Sandbox media URLs (presigned, expiring, Range), fault injection, and uploads."""

from __future__ import annotations

import hashlib
import json
import os
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from heygen_studio.sandbox import SANDBOX_BASE_URL, DroppedConnection, ManualClock, create_app
from heygen_studio.sandbox.media import sample

pytestmark = pytest.mark.anyio

LOOK = "Abigail_expressive_2024112501"
MiB = 1024 * 1024


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> Any:
    return create_app(clock=clock)


@pytest.fixture
def state(app: Any) -> Any:
    return app.state.sandbox


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, headers={"x-api-key": "test-key"}
    ) as c:
        yield c


async def finished_video(client: httpx2.AsyncClient, clock: ManualClock) -> dict[str, Any]:
    created = await client.post(
        "/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Media test."}
    )
    clock.advance(10)
    return (await client.get(f"/v3/videos/{created.json()['data']['video_id']}")).json()["data"]


# -- media -----------------------------------------------------------------------------------------
async def test_media_download_and_range_resume(client: httpx2.AsyncClient, clock: ManualClock) -> None:
    video = await finished_video(client, clock)
    url = video["video_url"]
    assert url.startswith(f"{SANDBOX_BASE_URL}/_media/") and {"expires", "signature"} <= set(
        parse_qs(urlsplit(url).query)
    )
    whole = await client.get(url, headers={"x-api-key": ""})  # presigned: no API key needed
    mp4 = whole.content  # the video's render (tests/test_sandbox_render.py checks what it shows)
    assert whole.status_code == 200 and mp4[4:8] == b"ftyp" and len(mp4) > 1000
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["content-length"] == str(len(mp4))
    assert whole.headers["accept-ranges"] == "bytes"
    head = await client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(mp4)) and head.content == b""
    # Resume after 5000 bytes.
    rest = await client.get(url, headers={"Range": "bytes=5000-"})
    assert (
        rest.status_code == 206 and rest.headers["content-range"] == f"bytes 5000-{len(mp4) - 1}/{len(mp4)}"
    )
    assert rest.headers["content-length"] == str(len(mp4) - 5000)
    assert mp4[:5000] + rest.content == mp4
    middle = await client.get(url, headers={"Range": "bytes=10-19"})
    assert middle.status_code == 206 and middle.content == mp4[10:20]
    tail = await client.get(url, headers={"Range": "bytes=-100"})
    assert tail.content == mp4[-100:]
    beyond = await client.get(url, headers={"Range": f"bytes={len(mp4)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(mp4)}"
    for key, kind in (
        ("thumbnail_url", "image/jpeg"),
        ("gif_url", "image/gif"),
        ("subtitle_url", "application/x-subrip"),
    ):
        got = await client.get(video[key])
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind)
    srt = (await client.get(video["subtitle_url"])).text
    assert srt.startswith("1\n00:00:00,000 --> ") and "Media test." in srt


async def test_media_expiry_and_signatures(
    client: httpx2.AsyncClient, clock: ManualClock, state: Any
) -> None:
    video = await finished_video(client, clock)
    url = video["video_url"]
    tampered = url.replace("signature=", "signature=0")
    denied = await client.get(tampered)
    assert denied.status_code == 403 and denied.headers["content-type"].startswith("text/plain")
    other_path = url.replace("/video.mp4", "/captioned.mp4")
    assert (await client.get(other_path)).status_code == 403
    state.expire_media()
    expired = await client.get(url)
    assert expired.status_code == 403 and "expired" in expired.text
    fresh = (await client.get(f"/v3/videos/{video['id']}")).json()["data"]["video_url"]
    assert fresh != url and (await client.get(fresh)).status_code == 200
    clock.advance(7 * 24 * 3600 + 1)  # the 7-day TTL
    assert (await client.get(fresh)).status_code == 403
    await client.delete(f"/v3/videos/{video['id']}")
    newest = (await client.get("/v3/voices", params={"limit": 1})).json()["data"][0]["preview_audio_url"]
    audio = await client.get(newest)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"


async def test_media_urls_follow_the_request_base_url(app: Any, clock: ManualClock) -> None:
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8765", headers={"x-api-key": "k"}
    ) as client:
        looks = (await client.get("/v3/avatars/looks", params={"limit": 1})).json()["data"]
        assert looks[0]["preview_image_url"].startswith("http://127.0.0.1:8765/_media/looks/")
        image = await client.get(looks[0]["preview_image_url"])  # the look as its videos show it
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.content[:3] == b"\xff\xd8\xff"


# -- faults ----------------------------------------------------------------------------------------
async def test_fault_status_with_retry_after(client: httpx2.AsyncClient, state: Any) -> None:
    state.faults.inject("GET", "/v3/users/me", "status", status=429, retry_after=2, times=2)
    for _ in range(2):
        limited = await client.get("/v3/users/me")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert limited.headers["x-sandbox-fault"] == "status"
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert (await client.get("/v3/users/me")).status_code == 200
    assert [r.status for r in state.requests if r.path == "/v3/users/me"] == [429, 429, 200]
    state.faults.inject("POST", "/v2/video/generate", "status", status=503, code="busy", retry_after=1.5)
    v2 = await client.post("/v2/video/generate", json={})
    assert (
        v2.status_code == 503
        and v2.json() == {"error": {"code": "busy", "message": "Injected fault: HTTP 503"}, "data": None}
        and v2.headers["retry-after"] == "1.5"
    )


async def test_fault_drop_and_drop_after(client: httpx2.AsyncClient, state: Any) -> None:
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Hello."}
    state.faults.inject("POST", "/v3/videos", "drop")
    with pytest.raises(httpx2.RemoteProtocolError) as dropped:
        await client.post("/v3/videos", json=body)
    assert isinstance(dropped.value, DroppedConnection) and state.videos == {}
    state.faults.inject("POST", "/v3/videos", "drop_after")
    with pytest.raises(httpx2.RemoteProtocolError):
        await client.post("/v3/videos", json=body)
    assert len(state.videos) == 1  # the job was created before the connection died
    assert [r.fault for r in state.requests if r.path == "/v3/videos"] == ["drop", "drop_after"]
    assert state.requests[-1].status == 200


async def test_fault_body_kinds(client: httpx2.AsyncClient, state: Any) -> None:
    state.faults.inject("GET", "/v3/voices", "malformed")
    malformed = await client.get("/v3/voices")
    assert malformed.status_code == 200 and malformed.headers["x-sandbox-fault"] == "malformed"
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    state.faults.inject("GET", "/v3/voices", "error200", code="quota_exceeded")
    error200 = await client.get("/v3/voices")
    assert error200.status_code == 200 and error200.json()["error"]["code"] == "quota_exceeded"
    state.faults.inject("GET", "/v3/videos/*", "not_found")
    missing = await client.get("/v3/videos/anything")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    state.faults.inject("POST", "/v2/*", "retired", times=-1)
    for _ in range(3):
        retired = await client.post("/v2/video/generate", json={})
        assert retired.status_code == 404 and retired.json() == {
            "error": {
                "code": "endpoint_retired",
                "message": "This v2 endpoint has been removed; use /v3/videos",
            },
            "data": None,
        }
    state.faults.clear()
    assert (await client.post("/v2/video/generate", json={})).status_code == 400


async def test_fault_slow_waits_in_real_time(client: httpx2.AsyncClient, state: Any) -> None:
    state.faults.inject("*", "/v3/users/me", "slow", delay=0.1)
    started = time.perf_counter()
    slow = await client.get("/v3/users/me")
    assert time.perf_counter() - started >= 0.1
    assert slow.status_code == 200 and slow.headers["x-sandbox-fault"] == "slow"
    with pytest.raises(ValueError):
        state.faults.inject("GET", "/v3/users/me", "explode")


async def test_auth_and_request_log(client: httpx2.AsyncClient, state: Any) -> None:
    assert (await client.get("/v3/users/me", headers={"x-api-key": ""})).status_code == 401
    bad = await client.get("/v3/users/me", headers={"x-api-key": "bad-key"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    ok = await client.get(
        "/v3/users/me", params={"x": "1"}, headers={"x-api-key": "", "Authorization": "Bearer tok"}
    )
    assert ok.status_code == 200
    await client.post("/v3/voices", json={"prompt": "deep voice"})
    log = state.requests
    assert [r.status for r in log] == [401, 401, 200, 200]
    assert log[1].headers["x-api-key"] == "***" and log[2].headers["authorization"] == "Bearer ***"
    assert log[2].query == {"x": "1"} and log[3].json == {"prompt": "deep voice"} and log[3].method == "POST"
    assert "test-key" not in repr(log)


# -- uploads ---------------------------------------------------------------------------------------
def png_bytes(size: int) -> bytes:
    head = b"\x89PNG\r\n\x1a\n"
    return head + os.urandom(size - len(head))


async def test_multipart_upload_1mb(client: httpx2.AsyncClient, state: Any) -> None:
    payload = png_bytes(MiB)
    response = await client.post("/v3/assets", files={"file": ("photo.jpg", payload, "image/jpeg")})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["mime_type"] == "image/png" and data["size_bytes"] == MiB
    asset = state.assets[data["asset_id"]]
    assert asset.sha256 == hashlib.sha256(payload).hexdigest() and len(asset.head) == 64
    served = await client.get(data["url"])  # an image is kept (sandbox/kept.py): its URL serves what was sent
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == payload


async def test_multipart_over_32mb_is_413(client: httpx2.AsyncClient, state: Any) -> None:
    boundary = "sandbox-boundary"
    chunk = b"\x00" * MiB

    async def body() -> AsyncIterator[bytes]:  # streamed: no Content-Length, so the server must count
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        yield b"\x00\x00\x00\x20ftypisom"
        for _ in range(33):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        "/v3/assets", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert state.assets == {}


async def test_streamed_put_upload_flat_memory(client: httpx2.AsyncClient, state: Any) -> None:
    size = 64 * MiB
    block = b"\x1a\x45\xdf\xa3" + b"\x00" * (MiB - 4)  # a WebM magic number, then zeros
    zeros = b"\x00" * MiB
    expected = hashlib.sha256()
    expected.update(block)
    for _ in range(size // MiB - 1):
        expected.update(zeros)
    instructions = (
        await client.post(
            "/v3/assets/direct-uploads",
            json={
                "filename": "long.webm",
                "content_type": "video/webm",
                "size_bytes": size,
                "checksum_sha256": expected.hexdigest(),
            },
        )
    ).json()["data"]

    async def body() -> AsyncIterator[bytes]:
        yield block
        for _ in range(size // MiB - 1):
            yield zeros

    tracemalloc.start()
    try:
        put = await client.put(
            instructions["upload_url"], content=body(), headers=instructions["upload_headers"]
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert put.status_code == 200, put.text
    assert peak < 8 * MiB, f"upload peaked at {peak / MiB:.1f} MiB"
    done = (await client.post(f"/v3/assets/{instructions['asset_id']}/complete", json={})).json()["data"]
    assert done["size_bytes"] == size and done["mime_type"] == "video/webm"
    again = await client.post(f"/v3/assets/{instructions['asset_id']}/complete")  # idempotent
    assert again.json()["data"] == {**done, "url": again.json()["data"]["url"]}


async def test_upload_url_signature_expiry_and_checksum(
    client: httpx2.AsyncClient, clock: ManualClock, state: Any
) -> None:
    mp3 = sample("sample.mp3")
    create = {"filename": "a.mp3", "content_type": "audio/mpeg", "size_bytes": len(mp3)}
    first = (await client.post("/v3/assets/direct-uploads", json=create)).json()["data"]
    assert first["status"] == "pending_upload" and first["max_bytes"] == len(mp3)
    forged = first["upload_url"].replace("signature=", "signature=f")
    assert (await client.put(forged, content=mp3)).status_code == 403
    early = await client.post(f"/v3/assets/{first['asset_id']}/complete", json={})
    assert early.status_code == 400
    assert (await client.put(first["upload_url"], content=mp3 + b"extra")).status_code == 400
    assert (await client.put(first["upload_url"], content=mp3)).status_code == 200
    wrong = await client.post(f"/v3/assets/{first['asset_id']}/complete", json={"checksum_sha256": "0" * 64})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "checksum_sha256"
    right = await client.post(
        f"/v3/assets/{first['asset_id']}/complete", json={"checksum_sha256": hashlib.sha256(mp3).hexdigest()}
    )
    assert right.json()["data"]["mime_type"] == "audio/mpeg"
    second = (await client.post("/v3/assets/direct-uploads", json=create)).json()["data"]
    clock.advance(3601)
    late = await client.put(second["upload_url"], content=mp3)
    assert late.status_code == 403 and "expired" in late.text
