"""The sandbox's batch endpoints (sandbox/routes/batches.py) over HTTP, every exchange checked against the
contract: POST/GET /v3/videos/batches and /v3/video-translations/batches — per-item state machines whose
items are real videos and translations, the aggregate status, paging inside ``data``, per-item failures,
credits charged per item, Idempotency-Key replay, faults, and the batch kept across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock
from test_sandbox_persist import LOOK, VOICE, sandbox

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def http(app: Any, *, invalid: int = 0) -> AsyncIterator[httpx2.AsyncClient]:
    """A client whose every exchange is checked against the contract; ``invalid``: requests sent invalid on
    purpose (each must be the only violation of its exchange). Without the contract (a user's clone) nothing is
    checked, so nothing is found: the sandbox's answers are still asserted, and the run's summary counts the
    exchanges left unchecked."""
    transport = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
    async with httpx2.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL,
                                  headers={"x-api-key": "test-key"}) as client:
        yield client
    assert all(v.startswith("request") for v in transport.violations), transport.violations
    expected = invalid if transport.contract is not None else 0
    assert len(transport.violations) == expected, transport.violations


def video(script: str, **extra: Any) -> dict[str, Any]:
    return {"type": "avatar", "avatar_id": LOOK, "voice_id": VOICE, "script": script, **extra}


def accepted(response: httpx2.Response) -> str:
    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["batch_id"] == data["id"]
    return str(data["batch_id"])


def detail(response: httpx2.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()["data"]
    return out


async def test_a_video_batch_makes_real_videos_one_bad_item_fails_alone(tmp_path: Path) -> None:
    clock = ManualClock()
    app = sandbox(tmp_path / "sandbox.sqlite3", clock)
    state = app.state.sandbox
    async with http(app) as client:
        credits = state.credits
        body = {"title": "Spring", "videos": [video("One."), video("Two.", avatar_id="no_such_look"),
                                               video("Three.")]}
        batch = accepted(await client.post("/v3/videos/batches", json=body, headers={"Idempotency-Key": "b-1"}))
        assert state.credits == round(credits - 2 * 0.0667, 4)  # two good items (1 s each), each as its single create
        first = detail(await client.get(f"/v3/videos/batches/{batch}"))
        assert first["status"] == "processing" and first["total_items"] == 3 and first["title"] == "Spring"
        assert [i["status"] for i in first["items"]] == ["queued", "failed", "queued"]
        assert first["items"][0]["video_id"] is None  # HeyGen names the video once it exists
        assert first["items"][1]["error"]["param"] == "avatar_id" and first["counts_by_status"]["failed"] == 1

        clock.advance(state.config.render_seconds / 2)
        middle = detail(await client.get(f"/v3/videos/batches/{batch}"))
        assert [i["status"] for i in middle["items"]] == ["processing", "failed", "processing"]
        made = [i["video_id"] for i in middle["items"] if i["video_id"]]
        assert len(made) == 2 and all(m in state.videos for m in made)

        state.fail_job(made[1], "render_error", "The renderer crashed")
        clock.advance(state.config.render_seconds)
        done = detail(await client.get(f"/v3/videos/batches/{batch}"))
        assert done["status"] == "completed"
        assert [i["status"] for i in done["items"]] == ["completed", "failed", "failed"]
        assert done["items"][2]["error"] == {"code": "render_error", "message": "The renderer crashed"}
        assert done["counts_by_status"] == {"queued": 0, "processing": 0, "completed": 1, "failed": 2}
        one = detail(await client.get(f"/v3/videos/{made[0]}"))  # a batch's video is a video like any other
        assert one["status"] == "completed" and one["video_url"]
        bulk = (await client.get("/v3/videos/statuses", params={"batch_ids": f"{batch},nope"})).json()["data"]
        assert [(e["item_index"], e["status"]) for e in bulk[:3]] == [(0, "completed"), (1, "failed"), (2, "failed")]
        assert bulk[0]["video_id"] == made[0] and bulk[3] == {"batch_id": "nope", "video_id": None,
                                                              "status": "not_found", "error": None}

        # paging inside data
        page = detail(await client.get(f"/v3/videos/batches/{batch}", params={"limit": 2}))
        assert [i["item_index"] for i in page["items"]] == [0, 1] and page["has_more"] and page["next_token"]
        rest = detail(await client.get(f"/v3/videos/batches/{batch}",
                                       params={"limit": 2, "token": page["next_token"]}))
        assert [i["item_index"] for i in rest["items"]] == [2] and not rest["has_more"]

        # the same Idempotency-Key: the same batch, nothing charged again
        paid = state.credits
        again = await client.post("/v3/videos/batches", json=body, headers={"Idempotency-Key": "b-1"})
        assert again.headers["idempotent-replayed"] == "true" and accepted(again) == batch
        assert state.credits == paid and len(state.batches) == 1

    restarted = sandbox(tmp_path / "sandbox.sqlite3", clock)
    async with http(restarted) as client:
        kept = detail(await client.get(f"/v3/videos/batches/{batch}"))
        assert [i["status"] for i in kept["items"]] == ["completed", "failed", "failed"]


async def test_a_video_batch_is_refused_whole_or_fails_per_item(tmp_path: Path) -> None:
    app = sandbox(None, ManualClock())
    state = app.state.sandbox
    async with http(app, invalid=2) as client:
        # a body that breaks the schema refuses the batch (nothing made or charged)
        credits = state.credits
        bad = await client.post("/v3/videos/batches", json={"videos": [video("A."), {"type": "nope"}]})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "videos[1].type"
        assert (await client.post("/v3/videos/batches", json={"videos": []})).status_code == 400
        # not enough credits for every good item: 402, nothing made
        state.credits = 0.1  # one 1-second item costs $0.0667: not two
        short = await client.post("/v3/videos/batches", json={"videos": [video("A."), video("B.")]})
        assert short.status_code == 402 and short.json()["error"]["code"] == "insufficient_credit"
        assert state.credits == 0.1 and not state.videos and not state.batches
        state.credits = credits
        # a fault on one item fails that item alone; a fault on the path, the whole request
        state.faults.inject("POST", "/v3/videos/batches/items/1", "status", status=400, code="invalid_parameter")
        batch = accepted(await client.post("/v3/videos/batches", json={"videos": [video("A."), video("B.")]}))
        items = detail(await client.get(f"/v3/videos/batches/{batch}"))["items"]
        assert items[1]["status"] == "failed" and items[1]["error"]["code"] == "invalid_parameter"
        assert items[0]["status"] == "queued" and len(state.videos) == 1
        state.faults.inject("POST", "/v3/videos/batches", "status", status=500)
        assert (await client.post("/v3/videos/batches", json={"videos": [video("C.")]})).status_code == 500
        assert (await client.get("/v3/videos/batches/nope")).status_code == 404
        assert len(state.videos) == 1


async def test_a_translation_batch_expands_per_language(tmp_path: Path) -> None:
    clock = ManualClock()
    app = sandbox(None, clock)
    state = app.state.sandbox
    async with http(app) as client:
        src = "https://example.com/in.mp4"
        body = {"video_translations": [
            {"video": {"type": "url", "url": src}, "output_languages": ["Spanish (Spain)", "German (Germany)"]},
            {"video": {"type": "url", "url": src + "?2"}, "output_languages": ["Klingon"]},
            {"video": {"type": "url", "url": src + "?3"}, "output_languages": ["French (France)"],
             "mode": "precision"}]}
        credits = state.credits
        batch = accepted(await client.post("/v3/video-translations/batches", json=body))
        # 60 s of source a language: $0.0333/s at speed, $0.0667/s in precision
        assert state.credits == round(credits - (1.998 + 1.998 + 4.002), 4)
        first = detail(await client.get(f"/v3/video-translations/batches/{batch}"))
        assert first["total_items"] == 4 and [i["status"] for i in first["items"]] == [
            "queued", "queued", "failed", "queued"]
        assert "Klingon" in first["items"][2]["error"]["message"]
        assert (await client.get(f"/v3/videos/batches/{batch}")).status_code == 404
        clock.advance(state.config.translation_seconds * 3)
        done = detail(await client.get(f"/v3/video-translations/batches/{batch}"))
        assert done["status"] == "completed" and done["counts_by_status"]["completed"] == 3
        for item in done["items"]:
            if item["status"] == "completed":  # the per-item id is a translation's (named video_id)
                got = detail(await client.get(f"/v3/video-translations/{item['video_id']}"))
                assert got["status"] == "completed" and got["video_url"]
        everything_failed = accepted(await client.post("/v3/video-translations/batches", json={
            "video_translations": [{"video": {"type": "url", "url": src}, "output_languages": ["Klingon"]}]}))
        assert detail(await client.get(f"/v3/video-translations/batches/{everything_failed}"))["status"] == "failed"
        over = {"video_translations": [{"video": {"type": "url", "url": src},
                                        "output_languages": ["French (France)"] * 51}] * 2}
        assert (await client.post("/v3/video-translations/batches", json=over)).status_code == 400


async def test_batch_finished_is_sent_once_every_item_is_final() -> None:
    """The batch's callback_url (unsigned) and subscribed endpoints (signed) get ``batch.finished`` once, after
    every item's own event."""
    clock = ManualClock()
    posted: list[httpx2.Request] = []
    hooks = httpx2.MockTransport(lambda request: posted.append(request) or httpx2.Response(200))
    app = sandbox(None, clock, webhook_transport=hooks)
    state = app.state.sandbox
    async with http(app) as client:
        hook = await client.post("/v3/webhooks/endpoints", json={"url": "https://hooks.test/all",
                                                                  "events": ["batch.finished"]})
        assert hook.status_code == 200, hook.text
        body = {"videos": [video("One."), video("Two.", avatar_id="no_such_look")],
                "callback_url": "https://hooks.test/batch"}
        batch = accepted(await client.post("/v3/videos/batches", json=body))
        clock.advance(state.config.render_seconds / 2)
        await client.get(f"/v3/videos/batches/{batch}")
        assert not [e for e in state.events if e.event_type == "batch.finished"]
        clock.advance(state.config.render_seconds)
        await client.get(f"/v3/videos/batches/{batch}")
        await client.get(f"/v3/videos/batches/{batch}")
    finished = [e for e in state.events if e.event_type == "batch.finished"]
    assert len(finished) == 1 and finished[0].entity_id == batch
    assert finished[0].event_data["counts_by_status"]["completed"] == 1
    assert [e.event_type for e in state.events][-2:] == ["avatar_video.success", "batch.finished"]
    kinds = sorted((d.kind, d.url) for d in state.deliveries if d.event_type == "batch.finished")
    assert kinds == [("callback", "https://hooks.test/batch"), ("webhook", "https://hooks.test/all")]
