"""The job store keeps the money promise in one process (issue #8 §1): a submitted job is never lost and
never paid twice, and when that cannot be guaranteed nothing is paid. Through an MCP client, on the
sandbox, whose request log and credits prove what was sent and charged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.server import create_server
from test_mcp_tools import call, error, look_and_voice, scenes, upstream

pytestmark = pytest.mark.anyio
V2 = "/v2/video/generate"


async def studio_args(mcp: Client) -> dict[str, Any]:
    look, voice = await look_and_voice(mcp)
    return {"scenes": scenes(look, voice), "title": "once only"}


async def test_concurrent_identical_v2_creates_pay_once(mcp: Client, sandbox: Any) -> None:
    args = await studio_args(mcp)
    credits = sandbox.credits
    results: list[dict[str, Any]] = []

    async def create() -> None:
        results.append(await call(mcp, "create_studio_video", args))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(create)
    assert len(upstream(sandbox, "POST", V2)) == 1
    assert len({r["job_id"] for r in results}) == 1 and sum(r["replayed"] for r in results) == 3
    charged = credits - sandbox.credits
    assert charged > 0 and len(sandbox.videos) == 1
    body = upstream(sandbox, "POST", V2)[0].json
    assert body["callback_id"].startswith("hs-") and body["title"] == "once only"  # the reconcile marker


async def test_concurrent_identical_v2_template_creates_pay_once(mcp: Client, sandbox: Any) -> None:
    template = (await call(mcp, "list_templates", {"api": "v2", "limit": 1}))["items"][0]
    assert template["name"] == "Welcome Message"  # the sandbox's: every variable has a default, so {} is enough
    args = {"template_id": template["template_id"], "api": "v2", "variables": {}, "title": "template once"}
    outcomes: list[Any] = []

    async def create() -> None:
        outcomes.append(await mcp.call_tool("create_template_video", args))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(create)
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path.startswith("/v2/template/")]
    assert len(posts) == 1, [o.content[0].text for o in outcomes if o.is_error]  # one paid job
    ok = [o.structured_content["job_id"] for o in outcomes if not o.is_error]
    assert len(ok) == 3 and len(set(ok)) == 1, ok  # and all three calls are that job
    assert sum(bool(o.structured_content["replayed"]) for o in outcomes) == 2


async def test_a_lost_v2_answer_is_listed_and_the_repeat_finds_the_job(mcp: Client, sandbox: Any) -> None:
    """A v2 create whose answer is lost to a dropped connection used to be missing from list_jobs, and
    repeating it paid again. Now it is listed as unknown, and the repeat asks HeyGen (listVideos by the
    request's title) before sending anything."""
    args = await studio_args(mcp)
    sandbox.faults.inject("POST", V2, "drop_after")  # HeyGen makes the job; the answer never arrives
    text = await error(mcp, "create_studio_video", args)
    assert "list_videos" in text or "list_jobs" in text
    rows = (await call(mcp, "list_jobs", {}))["items"]
    assert rows[0]["state"].startswith("unknown") and rows[0]["title"] == "once only"
    again = await call(mcp, "create_studio_video", args)
    assert again["replayed"] and len(upstream(sandbox, "POST", V2)) == 1 and len(sandbox.videos) == 1
    assert again["video_id"] == next(iter(sandbox.videos))
    assert (await call(mcp, "list_jobs", {}))["items"][0]["job_id"] == again["job_id"]


async def test_a_lost_v3_answer_replays_the_same_key(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    async with Client(create_server(make_settings(tmp_path, heygen_max_retries=0), transport=wire)) as mcp:
        look, voice = await look_and_voice(mcp)
        args = {"avatar_id": look, "voice_id": voice, "script": "Lost answer."}
        sandbox.faults.inject("POST", "/v3/videos", "drop_after")  # HeyGen makes the job; the answer is lost
        await error(mcp, "create_avatar_video", args)
        assert (await call(mcp, "list_jobs", {}))["items"][0]["state"].startswith("unknown")
        again = await call(mcp, "create_avatar_video", args)
    keys = {r.headers.get("idempotency-key") for r in upstream(sandbox, "POST", "/v3/videos")}
    assert len(keys) == 1 and len(sandbox.videos) == 1 and again["replayed"]


async def test_an_unwritable_store_refuses_to_pay(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = make_settings(tmp_path, heygen_state_dir=blocker / "state")
    async with Client(create_server(settings, transport=wire)) as client:
        look, voice = await look_and_voice(client)
        text = await error(client, "create_studio_video", {"scenes": scenes(look, voice)})
        assert "job store" in text and "cannot be opened" in text and "Nothing was sent or charged" in text
        text = await error(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi"})
        assert "HEYGEN_STATE_DIR" in text
        assert not [r for r in sandbox.requests if r.method == "POST"] and not sandbox.videos  # look-ups only


async def test_a_symlinked_store_is_refused_not_written_through(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    outside = tmp_path / "outside.db"
    outside.write_bytes(b"")
    state = tmp_path / "state"
    state.mkdir()
    os.symlink(outside, state / "jobs.sqlite3")
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state), transport=wire)) as client:
        look, voice = await look_and_voice(client)
        text = await error(client, "create_studio_video", {"scenes": scenes(look, voice)})
        assert "symbolic link" in text
    assert outside.read_bytes() == b"" and not sandbox.videos


async def test_sandbox_jobs_never_answer_for_another_api(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    """Scope: after trying the embedded sandbox, the same state folder pointed at another HeyGen must not
    answer an identical v2 create with 'already submitted' and the sandbox's video id."""
    state = tmp_path / "state"
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state))) as embedded:
        args = await studio_args(embedded)
        first = await call(embedded, "create_studio_video", args)
    async with Client(create_server(make_settings(tmp_path, heygen_state_dir=state), transport=wire)) as other:
        second = await call(other, "create_studio_video", args)
    assert not second["replayed"] and second["video_id"] != first["video_id"]
    assert len(upstream(sandbox, "POST", V2)) == 1


async def test_an_old_journal_is_imported_once_and_junk_lines_are_skipped(tmp_path: Path, wire: Any,
                                                                         sandbox: Any) -> None:
    settings = make_settings(tmp_path)
    legacy = settings.legacy_journal
    legacy.parent.mkdir(parents=True)
    lines = [json.dumps({"job_id": "v-old", "kind": "video", "key": "k", "title": "from 0.1", "created_at": 1.0}),
             "\x00\x00\x00", json.dumps({"job_id": "a-old", "kind": "agent_session", "title": "no time"}),
             '{"job_id": "torn']
    legacy.write_text("\n".join(lines))
    for _ in range(2):  # imported once: a restart does not list them twice
        async with Client(create_server(settings, transport=wire)) as client:
            rows = (await call(client, "list_jobs", {}))["items"]
    assert sorted(r["job_id"] for r in rows) == ["agent:a-old", "video:v-old"]
    async with Client(create_server(settings, transport=wire)) as client:  # listed, never trusted to skip a payment
        look, voice = await look_and_voice(client)
        await call(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "New."})
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1
