"""A team server at the wire (issue #16 "Must show"): two people at once over HTTP with OAuth, each with their own
HeyGen key on the sandbox, run the whole workflow (create → wait → download → play), and neither reaches the
other's jobs in any tool that takes a job id.

The server is ``serve --http``'s app (``serving.http_app``) on a loopback port; each person is a real MCP client
signed in by the SDK's own OAuth client (``mcp.client.auth``) through the login page, as a person would. The
sandbox keeps one account per key (``HEYGEN_SANDBOX_ACCOUNTS=per-key``), so the keys are isolated upstream as
well; the job store is what isolates two people who share the server's key (the last test). Every test runs with
the store on SQLite and on PostgreSQL (``store_backend``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
from mcp.shared.exceptions import MCPError

from conftest import make_settings
from heygen_studio.core.backends import open_store
from test_oauth import CALLBACK, Memory, callback, served, sign_in
from test_transports import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("store_backend")]  # on SQLite and on PostgreSQL

# Every tool that takes a job id (or a HeyGen id a job made), with the arguments that name the job.
JOB_ID_TOOLS: dict[str, Any] = {
    "wait_for_job": lambda job: {"job_id": job, "max_wait_s": 1},
    "download_video": lambda job: {"job_id": job},
    "get_video": lambda job: {"job_id": job},
    "delete_video": lambda job: {"video_id": job},
    "create_lipsync": lambda job: {"video": job, "script": "Hello there.", "dry_run": True},
    "translate_video": lambda job: {"video": job, "languages": ["Spanish (Spain)"], "dry_run": True},
}
SESSION_TOOLS: dict[str, Any] = {
    "get_agent_session": lambda sid: {"session_id": sid},
    "reply_to_agent": lambda sid: {"session_id": sid, "message": "Make it shorter.", "dry_run": True},
    "stop_agent_session": lambda sid: {"session_id": sid},
    "wait_for_job": lambda sid: {"job_id": sid, "max_wait_s": 1},
}


def team(tmp_path: Path, *, own_keys: bool = True) -> tuple[Any, dict[str, str]]:
    """A sandbox team server's settings, and its people's personal tokens (each with a HeyGen key of their own)."""
    secret = Fernet.generate_key().decode()
    settings = make_settings(tmp_path, heygen_secret_key=secret, heygen_sandbox_accounts="per-key",
                             heygen_api_key="sandbox-server-key")
    people = open_store(settings).people(secret)
    tokens = {name: people.add(name, heygen_key=f"sandbox-key-{name}" if own_keys else None)[1]
              for name in ("ana", "ben")}
    people.close()
    return settings, tokens


@asynccontextmanager
async def signed_in(url: str, token: str) -> AsyncIterator[Client]:
    """A real MCP client for the person whose personal token is ``token``, signed in through OAuth."""
    codes: list[AuthorizationCodeResult] = []
    async with httpx2.AsyncClient(timeout=30) as browser:

        async def open_browser(authorization_url: str) -> None:
            codes.append(callback(await sign_in(browser, authorization_url, token)))

        async def wait_for_callback() -> AuthorizationCodeResult:
            return codes.pop()

        oauth = OAuthClientProvider(f"{url}/mcp", OAuthClientMetadata(
            redirect_uris=[CALLBACK.format(port=free_port())], client_name="A team member's assistant"),
            Memory(), redirect_handler=open_browser, callback_handler=wait_for_callback)
        async with httpx2.AsyncClient(auth=oauth, timeout=60) as http, \
                Client(streamable_http_client(f"{url}/mcp", http_client=http)) as mcp:
            yield mcp


async def ok(mcp: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await mcp.call_tool(tool, arguments)
    assert not result.is_error, (tool, result.content)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def refusal(mcp: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await mcp.call_tool(tool, arguments)
    assert result.is_error, (tool, result.structured_content)
    return str(result.content[0].text)


async def whole_workflow(mcp: Client, name: str, http: httpx2.AsyncClient) -> dict[str, Any]:
    """create → wait → download → play, as one person: what they made and saw."""
    look = (await ok(mcp, "list_avatars", {"limit": 1}))["items"][0]["id"]
    made = await ok(mcp, "create_avatar_video", {"script": f"Hello from {name}.", "avatar_id": look})
    job = made["job_id"]
    status: dict[str, Any] = {}
    with anyio.fail_after(60):
        while status.get("status") != "completed":
            status = await ok(mcp, "wait_for_job", {"job_id": job, "max_wait_s": 20})
    result = await mcp.call_tool("download_video", {"job_id": job})
    assert not result.is_error, result.content
    saved = dict(result.structured_content or {})
    # Not a path on the server's disk: a path in their folder, a resource, and a signed link of this server.
    assert not Path(saved["path"]).is_absolute() and saved["uri"].startswith("heygen://files/"), saved
    assert saved["download_url"] and "/files/" in saved["download_url"], saved
    links = [c for c in result.content if getattr(c, "type", "") == "resource_link"]
    assert links and str(links[0].uri) == saved["resource_uri"] == saved["uri"]
    played = await mcp.read_resource(saved["uri"])  # what the inline player reads
    blob = played.contents[0]
    fetched = await http.get(saved["download_url"])
    assert fetched.status_code == 200 and fetched.content[4:8] == b"ftyp", fetched.status_code
    assert getattr(blob, "mime_type", "").startswith("video/")
    listed = await ok(mcp, "list_jobs", {})
    assert [row["job_id"] for row in listed["items"]] == [job]
    assert listed["items"][0]["path"] == saved["path"]
    return {"job": job, "video_id": made["video_id"], "saved": saved, "bytes": fetched.content}


def same_refusal(theirs: str, made_up: str, job: str, fake: str) -> bool:
    """Two refusals that differ only in the id they quote (and the raw id inside it)."""
    def plain(text: str, *ids: str) -> str:
        for value in ids:
            text = text.replace(value, "<id>")
        return re.sub(r"\s+", " ", text)

    raw_job, raw_fake = job.partition(":")[2] or job, fake.partition(":")[2] or fake
    assert not re.search(r"Unknown argument|Invalid input|validation", theirs), theirs  # refused for the id itself
    return plain(theirs, job, raw_job) == plain(made_up, fake, raw_fake)


async def test_two_people_at_once_each_on_their_own_key_and_neither_reaches_the_others_jobs(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path)
    async with served(settings) as url, signed_in(url, tokens["ana"]) as ana, \
            signed_in(url, tokens["ben"]) as ben, httpx2.AsyncClient(timeout=30) as http:
        done: dict[str, dict[str, Any]] = {}

        async def run(name: str, mcp: Client) -> None:
            done[name] = await whole_workflow(mcp, name, http)

        async with anyio.create_task_group() as both:  # at once
            both.start_soon(run, "ana", ana)
            both.start_soon(run, "ben", ben)

        # Each one's file is in their own folder, and only there.
        people = open_store(settings).people()
        for name in ("ana", "ben"):
            person = people.by_token(tokens[name])
            assert person is not None
            folder = settings.heygen_output_dir / "people" / person.id
            assert (folder / done[name]["saved"]["path"]).read_bytes() == done[name]["bytes"]
        people.close()

        # Every tool that takes a job id: ana's job is, to ben, exactly a job that does not exist.
        job, fake = done["ana"]["job"], "video:v_0000nothere"
        for tool, arguments in JOB_ID_TOOLS.items():
            forms = [(job, fake)]
            if tool not in ("create_lipsync", "translate_video"):  # there a bare id is an asset id, not a job's
                forms.append((done["ana"]["video_id"], fake.partition(":")[2]))
            for given, made_up in forms:
                theirs = await refusal(ben, tool, arguments(given))
                nobody = await refusal(ben, tool, arguments(made_up))
                assert same_refusal(theirs, nobody, given, made_up), (tool, theirs, nobody)
        session = (await ok(ana, "create_agent_video", {"prompt": "A 20 second welcome to our bakery."}))["job_id"]
        for tool, arguments in SESSION_TOOLS.items():
            theirs = await refusal(ben, tool, arguments(session))
            nobody = await refusal(ben, tool, arguments("agent:s_0000nothere"))
            assert same_refusal(theirs, nobody, session, "agent:s_0000nothere"), (tool, theirs, nobody)
        with pytest.raises(MCPError):  # ana's file, named exactly: his folder has no such file
            await ben.read_resource(done["ana"]["saved"]["uri"])
        assert (await ok(ana, "get_video", {"job_id": done["ana"]["job"]}))["status"] == "completed"  # untouched
        assert [r["job_id"] for r in (await ok(ben, "list_jobs", {}))["items"]] == [done["ben"]["job"]]
        assert [r["video_id"] for r in (await ok(ben, "list_videos", {}))["items"]] == [done["ben"]["video_id"]]


async def test_two_people_on_the_servers_key_are_kept_apart_by_the_job_store(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path, own_keys=False)
    async with served(settings) as url, signed_in(url, tokens["ana"]) as ana, \
            signed_in(url, tokens["ben"]) as ben:
        look = (await ok(ana, "list_avatars", {"limit": 1}))["items"][0]["id"]
        made = await ok(ana, "create_avatar_video", {"script": "Hello from ana.", "avatar_id": look})
        fake = "video:v_0000nothere"
        for tool in ("wait_for_job", "get_video", "download_video", "delete_video"):
            theirs = await refusal(ben, tool, JOB_ID_TOOLS[tool](made["job_id"]))
            nobody = await refusal(ben, tool, JOB_ID_TOOLS[tool](fake))
            assert same_refusal(theirs, nobody, made["job_id"], fake), (tool, theirs, nobody)
        assert (await ok(ben, "list_videos", {}))["items"] == []  # the account's videos are ana's, not his
        assert [r["video_id"] for r in (await ok(ana, "list_videos", {}))["items"]] == [made["video_id"]]


async def test_a_signed_link_opens_only_its_own_file_until_it_expires(tmp_path: Path) -> None:
    settings, tokens = team(tmp_path)
    async with served(settings) as url, signed_in(url, tokens["ana"]) as ana, \
            httpx2.AsyncClient(timeout=30) as http:
        done = await whole_workflow(ana, "ana", http)
        link = done["saved"]["download_url"]
        token = link.rpartition("/files/")[2]
        body, _, mac = token.partition(".")
        forged = f"{url}/files/{body[:-2]}AA.{mac}"
        for bad in (forged, f"{url}/files/{body}.{mac[::-1]}", f"{url}/files/nothing", f"{url}/files/"):
            answer = await http.get(bad)
            assert answer.status_code == 404 and "download_video again" in answer.json()["error"], bad
        people = open_store(settings).people()
        people.revoke("ana")
        people.close()
        assert (await http.get(link)).status_code == 404  # a revoked person's links close with them


async def test_each_persons_daily_credits_hold_and_tokens_list_shows_what_each_spent(tmp_path: Path) -> None:
    """ana may reserve $2.50 a day: her second $1.93 video is refused before anything is sent, in words that name
    her limit; ben (the server's limit: none) goes on; `tokens list --json` shows what each one spent."""
    settings, tokens = team(tmp_path)
    people = open_store(settings).people(settings.heygen_secret_key.get_secret_value())
    tokens["cy"] = people.add("cy", daily_credits=2.5, heygen_key=None)[1]
    people.close()
    thirty = "Welcome to the team. " * 18  # 72 words: 29 s at $0.0667 = $1.93
    async with served(settings) as url, signed_in(url, tokens["cy"]) as cy, signed_in(url, tokens["ben"]) as ben:
        look = (await ok(cy, "list_avatars", {"limit": 1}))["items"][0]["id"]
        first = await ok(cy, "create_avatar_video", {"script": thirty, "avatar_id": look, "title": "one"})
        assert first["estimated_usd"] == pytest.approx(1.9343)
        text = await refusal(cy, "create_avatar_video", {"script": thirty, "avatar_id": look, "title": "two"})
        assert "only $0.57 of the daily limit of $2.50 (your daily limit) is left" in text, text
        assert "tokens add --daily-credits" in text and "Nothing was sent or charged" in text
        assert (await ok(cy, "get_account", {}))["daily_left_usd"] == pytest.approx(0.5657)
        for n in range(2):  # ben is not held to cy's limit
            await ok(ben, "create_avatar_video", {"script": thirty, "avatar_id": look, "title": f"ben {n}"})
    env = {**os.environ, "HEYGEN_STATE_DIR": str(settings.heygen_state_dir), "HEYGEN_SANDBOX": "1",
           "HEYGEN_SANDBOX_ACCOUNTS": "per-key", "HEYGEN_API_KEY": "sandbox-server-key",
           "HEYGEN_SECRET_KEY": settings.heygen_secret_key.get_secret_value(),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}
    listed = subprocess.run([sys.executable, "-m", "heygen_studio", "tokens", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    spent = {row["name"]: row["spent_24h_usd"] for row in json.loads(listed.stdout)["people"]}
    assert spent == {"ana": 0.0, "ben": pytest.approx(3.8686), "cy": pytest.approx(1.9343)}, spent
