"""The sandbox's accounts (issue #16, a team server whose people each use their own HeyGen key):
``SandboxConfig(accounts="per-key")`` gives every API key an account of its own, ``"shared"`` (the default) one
account for every key; ``heygen-studio sandbox --accounts per-key`` and ``HEYGEN_SANDBOX_ACCOUNTS=per-key`` turn it on.

Every request goes through the sandbox's HTTP app (in process over ASGI, or a real port) and every /v2 and /v3
exchange is checked against the HeyGen contract.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app
from heygen_studio.sandbox.accounts import ACCOUNTS_FOLDER, account_name
from test_transports import child_env, free_port, wait_for_port

pytestmark = pytest.mark.anyio
LOOK = "Abigail_expressive_2024112501"
VOICE = "c8e06465fc702bb97b559226db46b7da"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
KEY_A, KEY_B = "team-key-alice-0123456789", "team-key-bob-9876543210"
UNKNOWN = "0123456789abcdef0123456789abcdef"


@asynccontextmanager
async def clients(app: Any, *keys: str) -> AsyncIterator[list[httpx2.AsyncClient]]:
    """One client per key on ``app`` (``""``: one that sends no key), every exchange checked against the contract."""
    wire = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    made = [httpx2.AsyncClient(transport=wire, base_url=SANDBOX_BASE_URL, headers={"x-api-key": key} if key else {})
            for key in keys]
    try:
        yield made
    finally:
        for client in made:
            await client.aclose()
    assert wire.violations == [], "contract violations:\n" + "\n".join(wire.violations)


def data(response: httpx2.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def make_things(client: httpx2.AsyncClient) -> dict[str, str]:
    """A video, an asset, a prompt avatar, a Video Agent session and a webhook endpoint, made by ``client``'s key."""
    video = data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Mine."}))
    asset = data(await client.post("/v3/assets", files={"file": ("p.png", PNG, "image/png")}))
    avatar = data(await client.post("/v3/avatars", json={"type": "prompt", "name": "Bot", "prompt": "a robot"}))
    session = data(await client.post("/v3/video-agents", json={"prompt": "Bees."}))
    hook = data(await client.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/mine"}))
    return {"video": video["video_id"], "asset": asset["asset_id"], "look": avatar["avatar_item"]["id"],
            "group": avatar["avatar_group"]["id"], "session": session["session_id"], "endpoint": hook["endpoint_id"]}


GETS = {"video": "/v3/videos/{}", "asset": "/v3/assets/{}", "look": "/v3/avatars/looks/{}",
        "group": "/v3/avatars/{}", "session": "/v3/video-agents/{}"}


async def assert_unknown_to(client: httpx2.AsyncClient, things: dict[str, str]) -> None:
    """Each of another account's objects answers ``client`` exactly as an id nobody made."""
    for kind, path in GETS.items():
        theirs = await client.get(path.format(things[kind]))
        unknown = await client.get(path.format(UNKNOWN))
        assert theirs.status_code == unknown.status_code == 404, (kind, theirs.text)
        assert theirs.text.replace(things[kind], UNKNOWN) == unknown.text, kind
    gone = await client.delete(f"/v3/webhooks/endpoints/{things['endpoint']}")
    nobody = await client.delete(f"/v3/webhooks/endpoints/{UNKNOWN}")
    assert gone.status_code == nobody.status_code == 404
    assert gone.text.replace(things["endpoint"], UNKNOWN) == nobody.text


async def listed(client: httpx2.AsyncClient) -> dict[str, list[str]]:
    """What ``client``'s account lists of its own: videos, assets, created looks, sessions, webhook endpoints."""
    videos = data(await client.get("/v3/videos"))
    assets = data(await client.get("/v3/assets", params={"username": "sandbox_user"}))
    looks = data(await client.get("/v3/avatars/looks", params={"ownership": "private"}))
    sessions = data(await client.get("/v3/video-agents"))
    hooks = data(await client.get("/v3/webhooks/endpoints"))
    return {"videos": [v["id"] for v in videos], "assets": [a["id"] for a in assets],
            "looks": [look["id"] for look in looks], "sessions": [s["session_id"] for s in sessions],
            "endpoints": [h["endpoint_id"] for h in hooks]}


async def balance(client: httpx2.AsyncClient) -> float:
    value = data(await client.get("/v3/users/me"))["wallet"]["remaining_balance"]
    assert isinstance(value, float)
    return value


# -- per-key: each key its own account -----------------------------------------------------------------------
async def test_per_key_accounts_see_nothing_of_each_other() -> None:
    app = create_app(SandboxConfig(accounts="per-key"), ManualClock())
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        before = await balance(bob)
        mine = await make_things(alice)
        assert await balance(alice) < before  # Alice paid for her video and her agent session...
        assert await balance(bob) == before  # ...from her wallet, not Bob's
        seen_by_alice = await listed(alice)
        assert mine["video"] in seen_by_alice["videos"] and mine["asset"] in seen_by_alice["assets"]
        assert mine["look"] in seen_by_alice["looks"] and mine["session"] in seen_by_alice["sessions"]
        assert seen_by_alice["endpoints"] == [mine["endpoint"]]
        assert await listed(bob) == {"videos": [], "assets": [], "looks": [], "sessions": [], "endpoints": []}
        await assert_unknown_to(bob, mine)
        # the public catalogue is everyone's
        assert data(await bob.get(f"/v3/avatars/looks/{LOOK}"))["id"] == LOOK
        assert data(await bob.get(f"/v3/voices/{VOICE}"))["voice_id"] == VOICE
        templates = [data(await client.get("/v3/templates")) for client in (alice, bob)]
        assert [t["id"] for t in templates[0]] == [t["id"] for t in templates[1]] != []
        # Bob's own things are his: made under ids of their own, unknown to Alice in turn
        his = await make_things(bob)
        assert not set(his.values()) & set(mine.values())
        await assert_unknown_to(alice, his)
        assert data(await alice.get(f"/v3/videos/{mine['video']}"))["id"] == mine["video"]


async def test_per_key_idempotency_keys_and_concurrency_slots_are_an_accounts_own() -> None:
    app = create_app(SandboxConfig(accounts="per-key", concurrency_limit=1), ManualClock())
    body = {"type": "avatar", "avatar_id": LOOK, "script": "Once."}
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        first = await alice.post("/v3/videos", json=body, headers={"Idempotency-Key": "same-key"})
        again = await alice.post("/v3/videos", json=body, headers={"Idempotency-Key": "same-key"})
        assert again.headers.get("idempotent-replayed") == "true"
        assert data(again)["video_id"] == data(first)["video_id"]
        # Alice's one slot is taken; Bob's is free, and his use of the same Idempotency-Key is a create of his own
        assert (await alice.post("/v3/videos", json=body)).status_code == 429
        bobs = await bob.post("/v3/videos", json=body, headers={"Idempotency-Key": "same-key"})
        assert "idempotent-replayed" not in bobs.headers
        assert data(bobs)["video_id"] != data(first)["video_id"]


async def test_per_key_media_upload_and_consent_urls_reach_the_account_that_issued_them() -> None:
    clock = ManualClock()
    app = create_app(SandboxConfig(accounts="per-key"), clock)
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        asset = data(await alice.post("/v3/assets", files={"file": ("p.png", PNG, "image/png")}))
        url = data(await alice.get(f"/v3/assets/{asset['asset_id']}"))["url"]
        got = await bob.get(url)  # a presigned URL needs no key: whoever holds it gets the file
        assert got.status_code == 200 and got.content == PNG
        other = account_name(KEY_B)
        moved = await bob.get(url.replace(f"account={account_name(KEY_A)}", f"account={other}"))
        assert moved.status_code == 403  # another account's name on it: its signature is not that account's
        unnamed = await bob.get(url.replace(f"account={account_name(KEY_A)}&", ""))
        assert unnamed.status_code == 403
        upload = data(await alice.post("/v3/assets/direct-uploads", json={
            "filename": "b.png", "content_type": "image/png", "size_bytes": len(PNG)}))
        assert (await bob.put(upload["upload_url"], content=PNG)).status_code == 200
        assert data(await alice.post(f"/v3/assets/{upload['asset_id']}/complete", json={}))["size_bytes"] == len(PNG)
        photo = {"type": "photo", "name": "Me", "file": {"type": "asset_id", "asset_id": asset["asset_id"]}}
        avatar = data(await alice.post("/v3/avatars", json=photo))
        clock.advance(5)
        consent = data(await alice.post(f"/v3/avatars/{avatar['avatar_group']['id']}/consent", json={}))
        assert (await bob.get(consent["url"])).status_code == 200  # the person visiting it has no key either
        look = data(await alice.get(f"/v3/avatars/looks/{avatar['avatar_item']['id']}"))
        assert look["status"] == "completed"


async def test_per_key_webhooks_go_to_the_accounts_own_endpoints() -> None:
    received: list[httpx2.Request] = []

    def receiver(request: httpx2.Request) -> httpx2.Response:
        received.append(request)
        return httpx2.Response(200)

    clock = ManualClock()
    app = create_app(SandboxConfig(accounts="per-key", webhook_transport=httpx2.MockTransport(receiver)), clock)
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        data(await alice.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/alice"}))
        data(await bob.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/bob"}))
        video = data(await bob.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
        clock.advance(60)
        assert data(await bob.get(f"/v3/videos/{video['video_id']}"))["status"] == "completed"
        data(await bob.get("/v3/users/me"))  # the tick after the one that queued the delivery has sent it
        assert {str(r.url) for r in received} == {"https://hooks.test/bob"}
        assert [e["event_type"] for e in data(await alice.get("/v3/webhooks/events"))] == []
        assert "avatar_video.success" in [e["event_type"] for e in data(await bob.get("/v3/webhooks/events"))]


# -- shared (the default): one account for every key ---------------------------------------------------------
async def test_shared_mode_is_one_account_for_every_key() -> None:
    app = create_app(SandboxConfig(), ManualClock())
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        before = await balance(bob)
        mine = await make_things(alice)
        assert await balance(bob) == await balance(alice) < before
        assert data(await bob.get(f"/v3/videos/{mine['video']}"))["id"] == mine["video"]
        seen_by_bob = await listed(bob)
        assert mine["video"] in seen_by_bob["videos"] and mine["asset"] in seen_by_bob["assets"]
        assert seen_by_bob["endpoints"] == [mine["endpoint"]]
    assert app.state.accounts.for_key(KEY_B) is app.state.sandbox


def test_an_unknown_accounts_mode_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="shared, per-key"):
        SandboxConfig(accounts="per-person")  # type: ignore[arg-type]


# -- persistence: each account in its own folder, named by a hash of its key ----------------------------------
async def test_per_key_accounts_survive_a_restart_each_in_its_own_folder(tmp_path: Path) -> None:
    path, clock = tmp_path / "sandbox.sqlite3", ManualClock()
    first = create_app(SandboxConfig(state_path=path, accounts="per-key"), clock)
    elsewhere = create_app(SandboxConfig(state_path=path, accounts="per-key"), clock)  # another process, from before
    async with clients(first, KEY_A, KEY_B) as (alice, bob):
        mine = await make_things(alice)
        bobs_hook = data(await bob.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/bob"}))
        alice_paid, bob_has = await balance(alice), await balance(bob)
    first.state.accounts.close()
    clock.advance(60)
    second = create_app(SandboxConfig(state_path=path, accounts="per-key"), clock)  # the restart
    async with clients(second, KEY_A, KEY_B) as (alice, bob):
        video = data(await alice.get(f"/v3/videos/{mine['video']}"))
        assert video["status"] == "completed"
        # its media URL works in a process that started before the account was made and never saw its key
        async with clients(elsewhere, "") as (nobody,):
            media = await nobody.get(video["video_url"])
            assert media.status_code == 200 and media.content[4:8] == b"ftyp"
        elsewhere.state.accounts.close()
        assert (await listed(alice))["assets"] == [mine["asset"]]
        assert await balance(alice) == alice_paid and await balance(bob) == bob_has
        assert (await listed(bob))["endpoints"] == [bobs_hook["endpoint_id"]]
        await assert_unknown_to(bob, mine)
    second.state.accounts.close()
    folders = sorted(p.name for p in (tmp_path / ACCOUNTS_FOLDER).iterdir())
    assert folders == sorted([account_name(KEY_A), account_name(KEY_B)])
    for file in tmp_path.rglob("*"):  # the keys are kept nowhere in clear
        if file.is_file():
            raw = file.read_bytes()
            assert KEY_A.encode() not in raw and KEY_B.encode() not in raw, file


async def test_a_linked_accounts_folder_is_not_followed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / ACCOUNTS_FOLDER).symlink_to(elsewhere)
    app = create_app(SandboxConfig(state_path=tmp_path / "sandbox.sqlite3", accounts="per-key"), ManualClock())
    async with clients(app, KEY_A, KEY_B) as (alice, bob):
        data(await alice.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
        assert data(await bob.get("/v3/videos")) == []  # still an account each, in memory
    app.state.accounts.close()
    assert list(elsewhere.iterdir()) == []
    assert "per-key accounts in memory only" in caplog.text and "symbolic link" in caplog.text


# -- switched on from the command line and from the environment ----------------------------------------------
async def test_heygen_studio_sandbox_accounts_per_key_on_a_real_port(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "heygen_studio", "sandbox", "--accounts", "per-key", "--port",
                             str(port)], env=child_env(tmp_path), cwd=str(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        await wait_for_port(proc, port)
        base = f"http://127.0.0.1:{port}"
        async with httpx2.AsyncClient(base_url=base, headers={"x-api-key": KEY_A}) as alice, \
                httpx2.AsyncClient(base_url=base, headers={"x-api-key": KEY_B}) as bob:
            video = data(await alice.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
            assert (await bob.get(f"/v3/videos/{video['video_id']}")).status_code == 404
            assert data(await bob.get("/v3/videos")) == []
            assert [v["id"] for v in data(await alice.get("/v3/videos"))] == [video["video_id"]]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "each key is an account of its own" in err and KEY_A not in err


async def test_heygen_sandbox_accounts_per_key_makes_the_embedded_sandbox_per_key(tmp_path: Path) -> None:
    from conftest import make_settings
    from heygen_studio.house import make_wiring

    wiring = make_wiring(make_settings(tmp_path, heygen_sandbox_accounts="per-key"), None)()
    try:
        async with httpx2.AsyncClient(transport=wiring.transport, base_url=wiring.base_url) as client:
            made = await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."},
                                     headers={"x-api-key": KEY_A})
            assert made.status_code == 200
            assert data(await client.get("/v3/videos", headers={"x-api-key": KEY_B})) == []
    finally:
        wiring.sandbox.state.accounts.close()
    assert (tmp_path / "state" / ACCOUNTS_FOLDER / account_name(KEY_A) / "sandbox.sqlite3").is_file()
