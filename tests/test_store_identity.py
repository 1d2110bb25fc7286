"""The job store deleted or replaced while a server runs (issue #14 §3): the server must not go on writing
into a file nobody will read again, so that after a restart the same v2 create is found, not paid again.

Through an in-memory MCP client on the real server, on the sandbox, whose request log and credits prove what
was sent and charged. "Restart" is a second server on the same state folder and the same HeyGen.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.server import create_server
from test_mcp_tools import call, error, look_and_voice, upstream

pytestmark = pytest.mark.anyio
V2 = "/v2/video/generate"


def studio(look: str, voice: str, title: str) -> dict[str, Any]:
    return {"scenes": [{"avatar_id": look, "voice_id": voice, "script": f"{title}: the one scene."}],
            "title": title}


def remove_store(store: Path) -> None:
    """What a user does to 'reset' it: the database and its WAL companions gone."""
    for name in (store.name, store.name + "-wal", store.name + "-shm"):
        (store.parent / name).unlink(missing_ok=True)


def replace_store(store: Path) -> None:
    """Another valid store moved into place (a restored backup, a sync tool): a different file at that name."""
    other = store.with_name("restored.sqlite3")
    sqlite3.connect(other).close()
    remove_store(store)
    os.replace(other, store)


@pytest.mark.parametrize("swap", [remove_store, replace_store], ids=["deleted", "replaced"])
async def test_a_store_swapped_mid_run_is_reopened_so_a_restart_pays_nothing_twice(
        tmp_path: Path, wire: Any, sandbox: Any, swap: Any) -> None:
    settings = make_settings(tmp_path)
    store = settings.store_path
    async with Client(create_server(settings, transport=wire)) as first:
        look, voice = await look_and_voice(first)
        await call(first, "create_studio_video", studio(look, voice, "Before"))  # A: paid, in the old file
        assert store.is_file()
        swap(store)
        paid = await call(first, "create_studio_video", studio(look, voice, "After"))  # B: paid once
        assert not paid["replayed"]
        assert len(upstream(sandbox, "POST", V2)) == 2
    assert store.is_file()  # B was written where a restart looks for it
    credits = sandbox.credits
    async with Client(create_server(settings, transport=wire)) as restarted:
        again = await call(restarted, "create_studio_video", studio(look, voice, "After"))
        assert again["replayed"] and again["job_id"] == paid["job_id"]
        listed = [row["job_id"] for row in (await call(restarted, "list_jobs", {}))["items"]]
        assert paid["job_id"] in listed
    assert len(upstream(sandbox, "POST", V2)) == 2 and sandbox.credits == credits  # B was not paid again


async def test_a_store_replaced_by_a_link_mid_run_refuses_to_pay_naming_it(
        tmp_path: Path, wire: Any, sandbox: Any) -> None:
    settings = make_settings(tmp_path)
    store = settings.store_path
    elsewhere = tmp_path / "elsewhere.sqlite3"
    elsewhere.write_bytes(b"")
    async with Client(create_server(settings, transport=wire)) as client:
        look, voice = await look_and_voice(client)
        await call(client, "create_studio_video", studio(look, voice, "Before"))
        remove_store(store)
        store.symlink_to(elsewhere)
        text = await error(client, "create_studio_video", studio(look, voice, "After"))
        assert str(store) in text and "symbolic link" in text and "Nothing was sent or charged" in text
    assert len(upstream(sandbox, "POST", V2)) == 1 and elsewhere.read_bytes() == b""
