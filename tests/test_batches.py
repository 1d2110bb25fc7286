"""produce_videos (issue 9 §1) over an in-memory MCP client against the sandbox: a series, one message in three
languages and a list each end with every MP4 on disk; a repeat creates and pays for nothing (the sandbox's request
log and credits prove it); one failed item leaves the others complete; the cost guard prices the whole batch.
Every exchange is checked against the HeyGen contract by the ``mcp`` fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from test_mcp_tools import call, error, upstream

pytestmark = pytest.mark.anyio

SERIES = {"topics": ["sourdough", "croissants", "rye bread"],
          "brief_template": "A friendly 20 second tip from our bakery about {topic}", "duration_s": 20}
LANGUAGES = {"brief": "Our bakery opens a second shop on Main Street this May.", "languages": ["en", "de", "es"],
             "duration_s": 15}
ITEMS = {"items": [{"brief": "Welcome to the spring menu"}, {"brief": "How we bake at dawn"},
                   {"brief": "Meet our head baker", "language": "fr"}], "duration_s": 15}
CREATES = ("/v3/videos", "/v2/video/generate", "/v3/video-agents")


def creates(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path in CREATES]


def mp4s(out: dict[str, Any]) -> list[Path]:
    return [Path(f["path"]) for f in out["files"]]


async def finish(mcp: Client, clock: Any, job_id: str) -> dict[str, Any]:
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 5})
    assert status["done"] and status["kind"] == "batch", status
    return status


@pytest.mark.parametrize("args", [SERIES, LANGUAGES, ITEMS], ids=["series", "languages", "items"])
async def test_every_mp4_on_disk_and_a_repeat_pays_nothing(mcp: Client, sandbox: Any, clock: Any, settings: Any,
                                                           args: dict[str, Any]) -> None:
    credits = sandbox.credits
    first = await call(mcp, "produce_videos", args)
    job_id = first["job_id"]
    assert job_id.startswith("batch:") and first["submitted"] == 3 and not first["resumed"]
    assert [i["state"] for i in first["items"]] == ["submitted"] * 3 and first["estimated_credits"] > 0
    assert len(creates(sandbox)) == 3
    paid = credits - sandbox.credits
    assert paid > 0

    waiting = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 1})
    assert not waiting["done"] and "of 3 done" in waiting["message"] and "wait_for_job" in waiting["next_step"]
    status = await finish(mcp, clock, job_id)
    assert status["status"] == "completed" and status["message"].startswith("3 of 3 done")
    assert "download_video" in status["next_step"]

    saved = await call(mcp, "download_video", {"job_id": job_id})
    folder = Path(saved["path"])
    assert folder.parent == settings.heygen_output_dir and folder.is_dir() and len(saved["files"]) == 3
    for path in mp4s(saved):
        assert path.parent == folder and path.read_bytes()[4:8] == b"ftyp"
    assert saved["size_bytes"] == sum(p.stat().st_size for p in mp4s(saved))

    # The same call again: nothing created, nothing paid, the same jobs; and the files are not fetched again.
    chats = len([r for r in sandbox.requests if r.path.endswith("/chat/completions")])
    again = await call(mcp, "produce_videos", args)
    assert again["job_id"] == job_id and again["resumed"] and again["submitted"] == 0
    assert [i["job_id"] for i in again["items"]] == [i["job_id"] for i in first["items"]]
    assert again["estimated_credits"] == 0
    assert len(creates(sandbox)) == 3 and credits - sandbox.credits == paid
    assert len([r for r in sandbox.requests if r.path.endswith("/chat/completions")]) == chats
    before = len(sandbox.requests)
    assert mp4s(await call(mcp, "download_video", {"job_id": job_id})) == mp4s(saved)
    assert not [r for r in sandbox.requests[before:] if "/media/" in r.path or r.method != "GET"]


async def test_one_language_one_native_voice(mcp: Client, sandbox: Any) -> None:
    out = await call(mcp, "produce_videos", LANGUAGES)
    bodies = [r.json for r in upstream(sandbox, "POST", "/v3/videos")]
    voices = {b["voice_id"] for b in bodies}
    assert len(voices) == 3  # one voice per language
    for lang, voice in zip(["english", "german", "spanish"], [b["voice_id"] for b in bodies], strict=True):
        assert lang in sandbox.voices[voice].language.lower(), (voice, sandbox.voices[voice].language)
    assert [i["label"] for i in out["items"]] == ["en", "de", "es"]


async def test_one_failed_item_leaves_the_others_complete(mcp: Client, sandbox: Any, clock: Any) -> None:
    out = await call(mcp, "produce_videos", SERIES)
    doomed = out["items"][1]["job_id"].removeprefix("video:")
    sandbox.fail_job(doomed, "render_error", "The renderer crashed")
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed_with_failures" and status["message"].startswith("2 of 3 done, 1 failed")
    assert "item 2 (croissants" in status["failure"] and "The renderer crashed" in status["failure"]
    saved = await call(mcp, "download_video", {"job_id": out["job_id"]})
    assert [f["item"] for f in saved["files"]] == [1, 3] and all(p.is_file() for p in mp4s(saved))
    assert "item 2" in saved["missing"][0] and "The renderer crashed" in saved["missing"][0]


async def test_a_refused_item_does_not_stop_the_others(mcp: Client, sandbox: Any, clock: Any) -> None:
    """One create refused upstream (a 400 on its request): the other two are made, the reason is in the result,
    and a repeat sends only the refused one."""
    credits = sandbox.credits
    sandbox.faults.inject("POST", "/v3/videos", "status", status=400, code="invalid_parameter")
    out = await call(mcp, "produce_videos", ITEMS)
    states = [i["state"] for i in out["items"]]
    assert sorted(states) == ["failed", "submitted", "submitted"] and out["submitted"] == 2
    failed = next(i for i in out["items"] if i["state"] == "failed")
    assert failed["failure"] and failed["job_id"] is None and "produce_videos again" in out["next_step"]
    assert len(sandbox.videos) == 2
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed_with_failures" and "not submitted" in status["failure"]
    paid = credits - sandbox.credits
    again = await call(mcp, "produce_videos", ITEMS)
    assert again["submitted"] == 1 and [i["state"] for i in again["items"]].count("resumed") == 2
    assert len(sandbox.videos) == 3 and credits - sandbox.credits == pytest.approx(paid * 3 / 2, rel=0.5)
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed"
    assert len((await call(mcp, "download_video", {"job_id": out["job_id"]}))["files"]) == 3


async def test_dry_run_and_limit_send_nothing(mcp: Client, sandbox: Any) -> None:
    credits = sandbox.credits
    dry = await call(mcp, "produce_videos", {**SERIES, "dry_run": True})
    assert dry["dry_run"]["request"]["path"] == "/v3/videos"
    assert len(dry["dry_run"]["request"]["body"]["items"]) == 3 and dry["estimated_credits"] > 0
    assert [line[:6] for line in dry["dry_run"]["estimate"]] == ["item 1", "item 2", "item 3"]
    assert creates(sandbox) == [] and sandbox.credits == credits
    text = await error(mcp, "produce_videos", {**SERIES, "max_credits": dry["estimated_credits"] - 0.5})
    assert "limit" in text and "Nothing was sent" in text
    assert creates(sandbox) == [] and sandbox.credits == credits
    done = await call(mcp, "produce_videos", {**SERIES, "max_credits": dry["estimated_credits"]})
    assert done["submitted"] == 3 and done["estimated_credits"] == dry["estimated_credits"]
    again = await call(mcp, "produce_videos", {**SERIES, "dry_run": True})
    assert again["dry_run"]["request"] is None and again["estimated_credits"] == 0


async def test_a_batch_is_in_list_jobs_and_an_unknown_one_is_refused(mcp: Client) -> None:
    out = await call(mcp, "produce_videos", ITEMS)
    jobs = await call(mcp, "list_jobs", {"limit": 10})
    assert out["job_id"] in [row["job_id"] for row in jobs["items"]]
    text = await error(mcp, "wait_for_job", {"job_id": "batch:0123456789abcdef01234567"})
    assert "not a batch made from this machine" in text


# -- a real MCP client over stdio: a `heygen-studio serve` process with its embedded sandbox ----------------------
async def test_stdio_three_forms_every_mp4_and_a_repeat_pays_nothing(tmp_path: Path) -> None:
    from test_transports import child_env, ok, stdio_server
    from test_transports import finish as finish_stdio

    async def left(client: Any) -> float:
        account = await ok(client, "get_account", {})
        value = account["credits_remaining"] if account.get("credits_remaining") is not None else account["balance"]
        return float(value)

    async with stdio_server(child_env(tmp_path, HEYGEN_TOOLSETS="batch,videos"), tmp_path) as client:
        start = await left(client)
        batches = []
        for args in (SERIES, LANGUAGES, ITEMS):
            batch = await ok(client, "produce_videos", args)
            assert batch["submitted"] == 3
            status = await finish_stdio(client, batch["job_id"])
            assert status["status"] == "completed" and status["message"].startswith("3 of 3 done"), status
            saved = await ok(client, "download_video", {"job_id": batch["job_id"]})
            assert len(saved["files"]) == 3 and Path(saved["path"]).parent == tmp_path / "out"
            for path in mp4s(saved):
                assert path.read_bytes()[4:8] == b"ftyp"
            batches.append(batch)
        spent = await left(client)
        assert spent < start
        videos = await ok(client, "list_videos", {"limit": 50})
        assert len(videos["items"]) == 9
        for args, batch in zip((SERIES, LANGUAGES, ITEMS), batches, strict=True):
            again = await ok(client, "produce_videos", args)
            assert again["job_id"] == batch["job_id"] and again["submitted"] == 0 and again["estimated_credits"] == 0
        assert await left(client) == spent  # nothing paid again
        assert len((await ok(client, "list_videos", {"limit": 50}))["items"]) == 9  # nothing created again
