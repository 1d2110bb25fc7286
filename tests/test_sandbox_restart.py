"""The embedded sandbox survives restarts (issue #8 §1 "sandbox state", issue #10 §4 bullet 2).

Real stdio server processes with HEYGEN_SANDBOX=1 on one HEYGEN_STATE_DIR: a job made in one process
is listed, waited for and downloaded in the next; an identical create there is answered from the
store (not paid again); two processes at once share one account without corrupting its file.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from test_transports import assert_mp4, child_env, finish, ok, stdio_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def serve(tmp_path: Path) -> AbstractAsyncContextManager[Client]:
    return stdio_server(child_env(tmp_path), tmp_path)


async def ids(client: Client) -> tuple[str, str]:
    look = (await ok(client, "list_avatars", {"limit": 1}))["items"][0]["id"]
    voice = (await ok(client, "list_voices", {"language": "en", "limit": 1}))["items"][0]["voice_id"]
    return look, voice


async def credits(client: Client) -> float:
    value = (await ok(client, "get_account", {}))["balance"]
    assert isinstance(value, float)
    return value


async def test_a_job_made_before_a_restart_is_listed_waited_for_and_downloaded_after_it(tmp_path: Path) -> None:
    async with serve(tmp_path) as first:
        look, voice = await ids(first)
        avatar_args = {"avatar_id": look, "voice_id": voice, "script": "Made before the restart."}
        studio_args = {"scenes": [{"avatar_id": look, "voice_id": voice, "script": "A v2 Studio scene."}],
                       "title": "before the restart"}
        avatar = await ok(first, "create_avatar_video", avatar_args)
        studio = await ok(first, "create_studio_video", studio_args)
        assert studio["api"] == "v2" and not studio["replayed"]
        paid = await credits(first)
    # the first process has exited: everything below is a new process on the same state folder
    async with serve(tmp_path) as second:
        listed = {item["job_id"] for item in (await ok(second, "list_jobs", {}))["items"]}
        assert {avatar["job_id"], studio["job_id"]} <= listed
        for n, job in enumerate((avatar, studio)):
            first_wait = await second.call_tool("wait_for_job", {"job_id": job["job_id"], "max_wait_s": 1})
            said = " ".join(getattr(c, "text", "") for c in first_wait.content)
            assert not first_wait.is_error and "not found" not in said.lower(), said  # the sandbox remembers it
            status = await finish(second, job["job_id"])
            assert status["status"] == "completed", status
            saved = await ok(second, "download_video", {"job_id": job["job_id"], "filename": f"after{n}.mp4"})
            assert_mp4(Path(saved["path"]))
        again = await ok(second, "create_studio_video", studio_args)  # identical v2 create: not paid again
        assert again["replayed"] and again["video_id"] == studio["video_id"]
        again = await ok(second, "create_avatar_video", avatar_args)
        assert again["replayed"] and again["video_id"] == avatar["video_id"]
        assert await credits(second) == paid


async def test_two_processes_at_once_share_one_sandbox_file_without_corrupting_it(tmp_path: Path) -> None:
    made: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    async with serve(tmp_path) as a, serve(tmp_path) as b:
        look, voice = await ids(a)
        start = await credits(a)

        async def create(name: str, client: Client) -> None:
            for n in range(4):  # distinct scripts: four paid jobs from each process, interleaved
                script = f"Process {name}, video {n}: words enough to be priced."
                made[name].append(await ok(client, "create_avatar_video",
                                           {"avatar_id": look, "voice_id": voice, "script": script}))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(create, "a", a)
                tg.start_soon(create, "b", b)
        video_ids = {job["video_id"] for jobs in made.values() for job in jobs}
        assert len(video_ids) == 8  # no id minted twice
        # each process sees the other's jobs, and the account was charged for all eight
        for client, other in ((a, "b"), (b, "a")):
            listed = {item["job_id"] for item in (await ok(client, "list_jobs", {"limit": 20}))["items"]}
            assert {job["job_id"] for job in made[other]} <= listed
            status = await finish(client, made[other][-1]["job_id"])
            assert status["status"] == "completed"
        paid = round(sum(job["estimated_usd"] for jobs in made.values() for job in jobs), 4)
        assert paid > 0 and await credits(a) == await credits(b) == round(start - paid, 4)
    conn = sqlite3.connect(tmp_path / "state" / "sandbox.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT id FROM resources WHERE kind = 'video' AND data IS NOT NULL").fetchall()
        assert {row[0] for row in rows} == video_ids
    finally:
        conn.close()
