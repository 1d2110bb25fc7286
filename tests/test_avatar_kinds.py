"""Every avatar kind v3 offers (issue 9 §4): photo, digital twin, prompt; and managing your looks.

Through an MCP client against the sandbox (contract-checked wire). A repeated create pays nothing: the
sandbox's request log and credit balance prove it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from test_mcp_tools import MEDIA, call, error, look_and_voice, upstream

pytestmark = pytest.mark.anyio


def media(tmp_path: Path, sample: str, name: str) -> str:
    path = tmp_path / name
    shutil.copy(MEDIA / sample, path)
    return str(path)


async def approve(sandbox_app: Any, consent_url: str) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app)) as browser:
        assert (await browser.get(consent_url)).status_code < 400  # the person in the footage approves


async def test_digital_twin_from_footage_consent_and_no_double_charge(mcp: Client, sandbox: Any, sandbox_app: Any,
                                                                      clock: Any, tmp_path: Path) -> None:
    footage = media(tmp_path, "sample.mp4", "me-talking.mp4")
    credits = sandbox.credits
    job = await call(mcp, "create_avatar", {"kind": "digital_twin", "name": "Me on camera", "file": footage})
    assert job["job_id"] == f"look:{job['look_id']}" and not job["replayed"]
    body = upstream(sandbox, "POST", "/v3/avatars")[0].json
    assert body["type"] == "digital_twin" and body["file"]["type"] == "asset_id"
    clock.advance(3600)
    again = await call(mcp, "create_avatar", {"kind": "digital_twin", "name": "Me on camera", "file": footage})
    assert again["replayed"] and again["look_id"] == job["look_id"]
    assert again["status"] == "pending_consent" and again["consent_url"]
    assert "repeat the create" in again["next_step"] or "consent_url" in again["next_step"]
    assert len(upstream(sandbox, "POST", "/v3/avatars")) == 1 and len(upstream(sandbox, "POST", "/v3/assets")) == 1
    assert sandbox.credits == credits - 1  # one avatar, paid once
    stalled = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 2})
    assert stalled["status"] == "pending_consent" and not stalled["done"]
    await approve(sandbox_app, again["consent_url"])
    clock.advance(3600)
    done = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert done["status"] == "completed" and f"avatar_id='{job['look_id']}'" in done["next_step"]
    info = await call(mcp, "get_avatar", {"avatar_id": job["look_id"]})
    assert info["type"] == "digital_twin" and "avatar_v" in info["engines"]


async def test_a_photo_is_not_footage(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    photo = media(tmp_path, "sample.jpg", "me.jpg")
    text = await error(mcp, "create_avatar", {"kind": "digital_twin", "name": "Me", "file": photo})
    assert "image/jpeg" in text and "video" in text
    assert upstream(sandbox, "POST", "/v3/avatars") == []


async def test_prompt_avatar_from_a_description_is_paid_once(mcp: Client, sandbox: Any, clock: Any,
                                                             tmp_path: Path) -> None:
    reference = media(tmp_path, "sample.jpg", "mood.jpg")
    args = {"kind": "prompt", "name": "Ada", "prompt": "A chemist in her forties, lab coat, warm smile",
            "reference_images": [reference, "https://example.com/lab.jpg"]}
    credits = sandbox.credits
    job = await call(mcp, "create_avatar", args)
    body = upstream(sandbox, "POST", "/v3/avatars")[0].json
    assert body["type"] == "prompt" and body["reference_images"][1] == {"type": "url", "url": "https://example.com/lab.jpg"}
    again = await call(mcp, "create_avatar", args)
    assert again["replayed"] and again["look_id"] == job["look_id"]
    assert sandbox.credits == credits - 1 and len(upstream(sandbox, "POST", "/v3/assets")) == 1
    clock.advance(3600)
    done = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert done["status"] == "completed"  # a prompt avatar needs no consent
    _, voice = await look_and_voice(mcp)
    video = await call(mcp, "create_avatar_video", {"avatar_id": job["look_id"], "voice_id": voice, "script": "Hi."})
    assert video["job_id"].startswith("video:")


async def test_create_avatar_photo_is_create_photo_avatar(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    photo = media(tmp_path, "sample.jpg", "me.jpg")
    first = await call(mcp, "create_photo_avatar", {"photo": photo, "name": "Me"})
    same = await call(mcp, "create_avatar", {"kind": "photo", "name": "Me", "file": photo})
    assert same["replayed"] and same["look_id"] == first["look_id"]
    assert len(upstream(sandbox, "POST", "/v3/avatars")) == 1


async def test_manage_looks_list_rename_delete(mcp: Client, sandbox: Any, clock: Any) -> None:
    job = await call(mcp, "create_avatar", {"kind": "prompt", "name": "Ada", "prompt": "A chemist, lab coat"})
    mine = await call(mcp, "list_avatars", {"ownership": "private"})
    assert [r["id"] for r in mine["items"]] == [job["look_id"]]
    renamed = await call(mcp, "manage_avatar", {"avatar_id": job["look_id"], "action": "rename", "name": "Dr Ada"})
    assert renamed == {"id": job["look_id"], "kind": "look", "action": "renamed", "name": "Dr Ada",
                       "next_step": renamed["next_step"]}
    assert upstream(sandbox, "PATCH", f"/v3/avatars/looks/{job['look_id']}")[0].json == {"name": "Dr Ada"}
    listed = await call(mcp, "list_avatars", {"ownership": "private"})
    assert [r["name"] for r in listed["items"]] == ["Dr Ada"]  # not a stale cached page
    public = (await call(mcp, "list_avatars", {"ownership": "public", "limit": 1}))["items"][0]["id"]
    text = await error(mcp, "manage_avatar", {"avatar_id": public, "action": "delete"})
    assert "403" in text or "cannot" in text.lower()
    deleted = await call(mcp, "manage_avatar", {"avatar_id": job["look_id"], "action": "delete"})
    assert deleted["action"] == "deleted" and deleted["kind"] == "look"
    assert "No avatar look or group" in await error(mcp, "get_avatar", {"avatar_id": job["look_id"]})
    assert (await call(mcp, "list_avatars", {"ownership": "private"}))["items"] == []
    gone = await call(mcp, "manage_avatar", {"avatar_id": job["group_id"], "action": "delete"})
    assert gone["kind"] == "group"
    assert "already deleted" in await error(mcp, "manage_avatar", {"avatar_id": job["group_id"], "action": "delete"})
