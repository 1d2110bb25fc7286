"""The sandbox's state file (``SandboxConfig.state_path``, sandbox/persist.py), in process and fast.

Two sandbox apps on one file stand for two server processes (or one process before and after a
restart): every request goes through HTTP (ASGI) and is checked against the HeyGen contract.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app

pytestmark = pytest.mark.anyio
LOOK = "Abigail_expressive_2024112501"
VOICE = "c8e06465fc702bb97b559226db46b7da"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def sandbox(path: Path | None, clock: ManualClock, **config: Any) -> Any:
    return create_app(SandboxConfig(state_path=path, **config), clock)


@asynccontextmanager
async def http(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    transport = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    async with httpx2.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL,
                                  headers={"x-api-key": "test-key"}) as client:
        yield client


def data(response: httpx2.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_everything_a_restart_needs_is_there_after_it(tmp_path: Path) -> None:
    path, clock = tmp_path / "sandbox.sqlite3", ManualClock()
    first = sandbox(path, clock)
    async with http(first) as client:
        video = data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."},
                                       headers={"Idempotency-Key": "restart-1"}))["video_id"]
        v2 = data(await client.post("/v2/video/generate", json={"video_inputs": [{
            "character": {"type": "avatar", "avatar_id": LOOK},
            "voice": {"type": "text", "voice_id": VOICE, "input_text": "Hello."}}]}))["video_id"]
        session = data(await client.post("/v3/video-agents", json={"prompt": "Bees."}))["session_id"]
        chat = data(await client.post("/v3/video-agents", json={  # pauses for a question, then for a draft
            "prompt": "Wasps. Ask me questions, then show me a draft.", "mode": "chat"}))["session_id"]
        translation = data(await client.post("/v3/video-translations", json={
            "video": {"type": "url", "url": "https://example.com/in.mp4"},
            "output_languages": ["french (france)"]}))["video_translation_ids"][0]
        avatar = data(await client.post("/v3/avatars", json={"type": "prompt", "name": "Bot", "prompt": "a robot"}))
        asset = data(await client.post("/v3/assets", files={"file": ("p.png", PNG, "image/png")}))["asset_id"]
        hook = data(await client.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/all"}))
        gone = data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Bye."}))
        assert (await client.delete(f"/v3/videos/{gone['video_id']}")).status_code == 200
        credits = first.state.sandbox.credits
        assert credits < 1000
    clock.advance(60)  # every job finishes while the server is down
    second = sandbox(path, clock)  # the restart
    state = second.state.sandbox
    assert state.credits == credits
    async with http(second) as client:
        got = data(await client.get(f"/v3/videos/{video}"))
        assert got["status"] == "completed" and got["video_url"]
        media = await client.get(got["video_url"])
        assert media.status_code == 200 and media.content[4:8] == b"ftyp"
        assert data(await client.get(f"/v3/videos/{v2}"))["status"] == "completed"
        assert data(await client.get(f"/v3/video-agents/{session}"))["status"] == "completed"
        assert data(await client.get(f"/v3/video-agents/{chat}"))["status"] == "waiting_for_input"
        assert data(await client.get(f"/v3/video-translations/{translation}"))["status"] == "completed"
        look = data(await client.get(f"/v3/avatars/looks/{avatar['avatar_item']['id']}"))
        assert look["status"] == "completed" and look["name"] == "Bot"
        assert data(await client.get(f"/v3/assets/{asset}"))["type"] == "image"
        assert state.assets[asset].head == first.state.sandbox.assets[asset].head
        endpoints = data(await client.get("/v3/webhooks/endpoints"))
        assert [e["endpoint_id"] for e in endpoints] == [hook["endpoint_id"]]
        assert (await client.get(f"/v3/videos/{gone['video_id']}")).status_code == 404
        # the same Idempotency-Key is replayed after the restart, and not charged again
        again = await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."},
                                  headers={"Idempotency-Key": "restart-1"})
        assert again.headers["idempotent-replayed"] == "true" and again.json()["data"]["video_id"] == video
        assert state.credits == credits
        # the events of the jobs that finished while it was down are emitted once, and kept
        assert {"avatar_video.success", "video_agent.success"} <= {e.event_type for e in state.events}
        # a paused chat session carries on after the restart: the answer leads to the draft it promised
        assert data(await client.post(f"/v3/video-agents/{chat}", json={"message": "Kids; 30 s."}))["run_id"]
        clock.advance(60)
        asks = data(await client.get(f"/v3/video-agents/{chat}"))
        assert asks["status"] == "reviewing" and asks["messages"][0]["resource_ids"][0].startswith("draft_")
    third = sandbox(path, clock)
    assert {e.event_id for e in third.state.sandbox.events} == {e.event_id for e in state.events}


async def test_two_sandboxes_on_one_file_see_each_other_and_share_credits(tmp_path: Path) -> None:
    path, clock = tmp_path / "sandbox.sqlite3", ManualClock()
    a, b = sandbox(path, clock), sandbox(path, clock)
    script = " ".join(["word"] * 100)  # with its number, 101 words: 41 s × $0.0667 = $2.7347 each
    async with http(a) as one, http(b) as two:
        made = []
        for n in range(3):  # interleaved creates: neither overwrites the other's
            for client in (one, two):
                body = {"type": "avatar", "avatar_id": LOOK, "script": f"{script} {n}"}
                made.append(data(await client.post("/v3/videos", json=body))["video_id"])
        assert len(set(made)) == 6  # ids carry a per-process salt: none minted twice
        for client in (one, two):
            listed = {v["id"] for v in data(await client.get("/v3/videos", params={"limit": 50}))}
            assert set(made) <= listed
            me = data(await client.get("/v3/users/me"))
            assert me["wallet"]["remaining_balance"] == round(1000 - 6 * 2.7347, 4)
        # a rename in one is seen by the other; a deletion too
        body = {"type": "prompt", "name": "Bot", "prompt": "a robot"}
        look = data(await one.post("/v3/avatars", json=body))["avatar_item"]["id"]
        data(await two.patch(f"/v3/avatars/looks/{look}", json={"name": "Renamed"}))
        assert data(await one.get(f"/v3/avatars/looks/{look}"))["name"] == "Renamed"
        data(await one.delete(f"/v3/avatars/looks/{look}"))
        assert (await two.get(f"/v3/avatars/looks/{look}")).status_code == 404


async def test_in_memory_sandboxes_touch_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = sandbox(None, ManualClock())
    assert not app.state.sandbox.persistent
    async with http(app) as client:
        data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
    assert list(tmp_path.iterdir()) == []


async def test_a_symlinked_or_unusable_file_is_refused_and_the_sandbox_runs_in_memory(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outside = tmp_path / "outside.sqlite3"
    outside.write_bytes(b"")
    link = tmp_path / "state" / "sandbox.sqlite3"
    link.parent.mkdir()
    link.symlink_to(outside)
    with caplog.at_level(logging.WARNING):
        app = sandbox(link, ManualClock())
    assert not app.state.sandbox.persistent and "symbolic link" in caplog.text
    async with http(app) as client:
        data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
    assert outside.read_bytes() == b""
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert not sandbox(garbage, ManualClock()).state.sandbox.persistent
    assert "memory only" in caplog.text


async def test_malformed_rows_are_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, clock = tmp_path / "sandbox.sqlite3", ManualClock()
    async with http(sandbox(path, clock)) as client:
        kept = data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
    conn = sqlite3.connect(path)
    with conn:
        rows = [("video", "v-not-json", "{"), ("video", "v-wrong-type", '{"id": 5}'),
                ("video", "v-list", "[]"), ("look", "l-nan", '{"created_at": NaN}'),
                ("idempotency", "not-a-key", '{"created_at": 1}'), ("future-kind", "x", "{}")]
        conn.executemany("INSERT INTO resources VALUES (?, ?, 1000, ?, 0)", rows)
        conn.execute("UPDATE meta SET value = 1000 WHERE key = 'seq'")
    conn.close()
    with caplog.at_level(logging.WARNING):
        app = sandbox(path, clock)
    skipped = [r for r in caplog.records if "skips a malformed" in r.getMessage()]
    assert app.state.sandbox.persistent and len(skipped) == 5  # the unknown kind is a newer version's
    async with http(app) as client:
        assert data(await client.get(f"/v3/videos/{kept['video_id']}"))["id"] == kept["video_id"]
        assert (await client.get("/v3/videos/v-wrong-type")).status_code == 404


async def test_a_read_only_file_keeps_the_sandbox_answering(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, clock = tmp_path / "state" / "sandbox.sqlite3", ManualClock()
    app = sandbox(path, clock)
    assert app.state.sandbox.persistent
    app.state.sandbox.disk._conn.execute("PRAGMA query_only = ON")  # as a full or read-only disk would
    with caplog.at_level(logging.WARNING):
        async with http(app) as client:
            for _ in range(2):
                data(await client.post("/v3/videos", json={"type": "avatar", "avatar_id": LOOK, "script": "Hi."}))
    warned = [r for r in caplog.records if "could not write" in r.getMessage()]
    assert len(warned) == 1  # said once, not on every request
