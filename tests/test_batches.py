"""produce_videos and translation batches (issue 9 §1) over an in-memory MCP client against the sandbox: a series,
one message in three languages and a list each go to HeyGen as ONE POST /v3/videos/batches and end with every MP4
on disk; a repeat creates and pays for nothing (the sandbox's request log and credits prove it); one failed item
leaves the others complete (its reason from the batch detail's ``error``); the cost guard prices the whole batch;
Video Agent items (single creates) end a wait at once when one waits on a person; translate_video(videos=[…])
is one POST /v3/video-translations/batches whose files end on disk. Every exchange is checked against the HeyGen
contract by the ``mcp`` fixture."""

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
CREATES = ("/v3/videos", "/v2/video/generate", "/v3/video-agents", "/v3/videos/batches")


def creates(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path in CREATES]


def batch_posts(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path == "/v3/videos/batches"]


def only_batch(sandbox: Any) -> Any:
    """The one batch the sandbox holds (its items are real videos)."""
    (batch,) = sandbox.batches.values()
    return batch


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
    assert [i["state"] for i in first["items"]] == ["submitted"] * 3 and first["estimated_usd"] > 0
    # one request: POST /v3/videos/batches with the three POST /v3/videos bodies, and nothing else created
    sent = creates(sandbox)
    assert [r.path for r in sent] == ["/v3/videos/batches"] and len(sent[0].json["videos"]) == 3
    assert sent[0].headers.get("idempotency-key") and "POST /v3/videos/batches" in first["note"]
    assert len(sandbox.videos) == 3
    paid = credits - sandbox.credits
    assert paid > 0

    before = len(sandbox.requests)
    waiting = await call(mcp, "wait_for_job", {"job_id": job_id, "max_wait_s": 1})
    assert not waiting["done"] and "of 3 done" in waiting["message"] and "wait_for_job" in waiting["next_step"]
    polls = [r.path for r in sandbox.requests[before:]]  # HeyGen's batch detail answers for all three items
    assert polls and all(p.startswith("/v3/videos/batches/") for p in polls), polls
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
    assert again["estimated_usd"] == 0
    assert len(creates(sandbox)) == 1 and credits - sandbox.credits == paid and len(sandbox.videos) == 3
    assert len([r for r in sandbox.requests if r.path.endswith("/chat/completions")]) == chats
    before = len(sandbox.requests)
    assert mp4s(await call(mcp, "download_video", {"job_id": job_id})) == mp4s(saved)
    assert not [r for r in sandbox.requests[before:] if "/media/" in r.path or r.method != "GET"]


async def test_one_language_one_native_voice(mcp: Client, sandbox: Any) -> None:
    out = await call(mcp, "produce_videos", LANGUAGES)
    (batch,) = upstream(sandbox, "POST", "/v3/videos/batches")
    bodies = batch.json["videos"]
    voices = {b["voice_id"] for b in bodies}
    assert len(voices) == 3  # one voice per language
    for lang, voice in zip(["english", "german", "spanish"], [b["voice_id"] for b in bodies], strict=True):
        assert lang in sandbox.voices[voice].language.lower(), (voice, sandbox.voices[voice].language)
    assert [i["label"] for i in out["items"]] == ["en", "de", "es"]


async def test_one_failed_item_leaves_the_others_complete(mcp: Client, sandbox: Any, clock: Any) -> None:
    out = await call(mcp, "produce_videos", SERIES)
    assert out["items"][1]["job_id"] is None  # HeyGen names a batch's videos later, in the batch's detail
    doomed = only_batch(sandbox).items[1].job_id
    sandbox.fail_job(doomed, "render_error", "The renderer crashed")
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed_with_failures" and status["message"].startswith("2 of 3 done, 1 failed")
    assert "item 2 (croissants" in status["failure"] and "The renderer crashed" in status["failure"]
    saved = await call(mcp, "download_video", {"job_id": out["job_id"]})
    assert [f["item"] for f in saved["files"]] == [1, 3] and all(p.is_file() for p in mp4s(saved))
    assert "item 2" in saved["missing"][0] and "The renderer crashed" in saved["missing"][0]


async def test_an_item_heygen_refuses_fails_alone_with_its_reason(mcp: Client, sandbox: Any, clock: Any) -> None:
    """HeyGen refuses one item of the batch (its ``error`` in the batch detail): the other two are made and
    downloaded, the reason is in wait_for_job's failure and download_video's missing list, and a repeat sends
    nothing (the item was HeyGen's to make; remaking it is a new, paid produce_video)."""
    sandbox.faults.inject("POST", "/v3/videos/batches/items/1", "status", status=400, code="invalid_parameter")
    credits = sandbox.credits
    out = await call(mcp, "produce_videos", ITEMS)
    assert out["submitted"] == 3 and len(sandbox.videos) == 2
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed_with_failures" and status["message"].startswith("2 of 3 done, 1 failed")
    assert "item 2 (How we bake at dawn): invalid_parameter" in status["failure"]
    saved = await call(mcp, "download_video", {"job_id": out["job_id"]})
    assert [f["item"] for f in saved["files"]] == [1, 3] and all(p.is_file() for p in mp4s(saved))
    assert "item 2" in saved["missing"][0] and "invalid_parameter" in saved["missing"][0]
    paid = credits - sandbox.credits
    again = await call(mcp, "produce_videos", ITEMS)
    assert again["submitted"] == 0 and len(batch_posts(sandbox)) == 1 and credits - sandbox.credits == paid


async def test_a_refused_batch_request_is_sent_again_by_a_repeat(mcp: Client, sandbox: Any, clock: Any) -> None:
    """The one batch request refused (a 400 before anything is made): every item says why, nothing is paid, and
    the same call again sends the same body once more (nothing was made the first time)."""
    credits = sandbox.credits
    sandbox.faults.inject("POST", "/v3/videos/batches", "status", status=400, code="invalid_parameter")
    out = await call(mcp, "produce_videos", ITEMS)
    assert [i["state"] for i in out["items"]] == ["failed"] * 3 and out["submitted"] == 0
    assert "batch request failed" in out["items"][0]["failure"] and "produce_videos again" in out["next_step"]
    assert sandbox.credits == credits and not sandbox.videos
    again = await call(mcp, "produce_videos", ITEMS)
    assert again["submitted"] == 3 and len(sandbox.videos) == 3
    first, second = batch_posts(sandbox)
    assert first.json == second.json
    status = await finish(mcp, clock, out["job_id"])
    assert status["status"] == "completed"


async def test_agent_items_are_single_creates_one_refused_and_one_waiting(mcp: Client, sandbox: Any,
                                                                          clock: Any) -> None:
    """route=agent: Video Agent sessions do not fit a video batch, so each item is its own create. One refused
    upstream does not stop the others; one whose session waits on a person ends wait_for_job at once, naming
    that item and what to do."""
    args = {"items": [{"brief": "A clip about our ovens"}, {"brief": "Ask me questions first about the menu"},
                      {"brief": "A clip about our flour"}], "route": "agent", "duration_s": 20}
    sandbox.faults.inject("POST", "/v3/video-agents", "status", status=400, code="invalid_parameter")
    out = await call(mcp, "produce_videos", args)
    assert not batch_posts(sandbox) and len(upstream(sandbox, "POST", "/v3/video-agents")) == 3
    assert sorted(i["state"] for i in out["items"]) == ["failed", "submitted", "submitted"]
    (asks,) = [s for s in sandbox.sessions.values() if "questions first" in s.current.message]
    sandbox.ask_person(asks.session_id)  # the agent stops to ask something before it renders
    clock.advance(sandbox.config.agent_thinking_seconds + 1)
    asking = await call(mcp, "wait_for_job", {"job_id": out["job_id"], "max_wait_s": 30})
    assert not asking["done"] and asking["needs"] == "answer" and asking["waited_s"] < 5
    item = next(i for i in out["items"] if "Ask me" in i["label"])
    assert f"item {item['index']} (Ask me questions" in asking["message"]
    assert "reply_to_agent" in asking["next_step"] and out["job_id"] in asking["next_step"]
    assert "not submitted" in asking["failure"]


async def test_dry_run_and_limit_send_nothing(mcp: Client, sandbox: Any) -> None:
    credits = sandbox.credits
    dry = await call(mcp, "produce_videos", {**SERIES, "dry_run": True})
    assert dry["dry_run"]["request"]["path"] == "/v3/videos/batches"
    body = dry["dry_run"]["request"]["body"]
    assert len(body["videos"]) == 3 and all(v["type"] == "avatar" for v in body["videos"])
    assert dry["estimated_usd"] > 0
    assert [line[:6] for line in dry["dry_run"]["estimate"]] == ["item 1", "item 2", "item 3"]
    assert creates(sandbox) == [] and sandbox.credits == credits
    text = await error(mcp, "produce_videos", {**SERIES, "max_credits": dry["estimated_usd"] - 0.5})
    assert "limit" in text and "Nothing was sent" in text
    assert creates(sandbox) == [] and sandbox.credits == credits
    done = await call(mcp, "produce_videos", {**SERIES, "max_credits": dry["estimated_usd"]})
    assert done["submitted"] == 3 and done["estimated_usd"] == dry["estimated_usd"]
    assert batch_posts(sandbox)[0].json == body  # the dry run showed exactly what was then sent
    again = await call(mcp, "produce_videos", {**SERIES, "dry_run": True})
    assert again["dry_run"]["request"] is None and again["estimated_usd"] == 0


async def test_a_batch_is_in_list_jobs_and_an_unknown_one_is_refused(mcp: Client) -> None:
    out = await call(mcp, "produce_videos", ITEMS)
    jobs = await call(mcp, "list_jobs", {"limit": 10})
    assert out["job_id"] in [row["job_id"] for row in jobs["items"]]
    text = await error(mcp, "wait_for_job", {"job_id": "batch:0123456789abcdef01234567"})
    assert "not a batch made from this machine" in text


async def test_a_lost_answer_to_the_batch_request_never_pays_twice(mcp: Client, sandbox: Any, clock: Any) -> None:
    """HeyGen makes the batch but the answer is lost (the connection drops after the request was handled): the
    claim keeps the Idempotency-Key, so the client's resend, or the same call again, gets the same batch back
    and nothing is made or charged twice."""
    sandbox.faults.inject("POST", "/v3/videos/batches", "drop_after")
    credits = sandbox.credits
    first = await call(mcp, "produce_videos", SERIES)
    assert len(sandbox.batches) == 1 and len(sandbox.videos) == 3
    paid = credits - sandbox.credits
    again = await call(mcp, "produce_videos", SERIES)
    assert again["job_id"] == first["job_id"] and again["estimated_usd"] == 0
    keys = {r.headers.get("idempotency-key") for r in batch_posts(sandbox)}
    assert len(keys) == 1 and len(sandbox.batches) == 1 and len(sandbox.videos) == 3
    assert credits - sandbox.credits == paid
    status = await finish(mcp, clock, first["job_id"])
    assert status["status"] == "completed" and status["message"].startswith("3 of 3 done")

    # every answer lost, retries included: the call says so; the same call again replays the one batch
    sandbox.faults.inject("POST", "/v3/videos/batches", "drop_after")  # made, answer lost
    sandbox.faults.inject("POST", "/v3/videos/batches", "drop", times=10)  # and every retry's too
    lost = await call(mcp, "produce_videos", ITEMS)
    assert [i["state"] for i in lost["items"]] == ["failed"] * 3
    assert "batch request failed" in lost["items"][0]["failure"] and "dropped" in lost["items"][0]["failure"]
    rows = (await call(mcp, "list_jobs", {"limit": 10}))["items"]
    assert lost["job_id"] in [r["job_id"] for r in rows]
    assert len(sandbox.batches) == 2 and len(sandbox.videos) == 6
    paid = credits - sandbox.credits
    sandbox.faults.clear()
    found = await call(mcp, "produce_videos", ITEMS)
    assert found["submitted"] == 3 and len(sandbox.batches) == 2 and len(sandbox.videos) == 6
    assert credits - sandbox.credits == paid
    status = await finish(mcp, clock, found["job_id"])
    assert status["status"] == "completed"


SOURCES = ["https://example.com/talk-a.mp4", "https://example.com/talk-b.mp4"]
TRANSLATE = {"videos": SOURCES, "languages": ["Spanish (Spain)", "German (Germany)"]}


async def test_translate_several_videos_as_one_batch(mcp: Client, sandbox: Any, clock: Any, settings: Any) -> None:
    """translate_video(videos=[…]): one POST /v3/video-translations/batches (the dry run shows its body), a
    batch: job that wait_for_job sums up and download_video saves into one folder; an item HeyGen fails leaves
    the other three on disk; the same call again is replayed (one batch, nothing charged twice)."""
    dry = await call(mcp, "translate_video", {**TRANSLATE, "dry_run": True})
    assert dry["dry_run"]["request"]["path"] == "/v3/video-translations/batches"
    assert [t["video"]["url"] for t in dry["dry_run"]["request"]["body"]["video_translations"]] == SOURCES
    assert not sandbox.batches and dry["estimated_usd"] > 0
    sandbox.faults.inject("POST", "/v3/video-translations/batches/items/3", "status", status=400,
                          code="invalid_parameter")
    credits = sandbox.credits
    out = await call(mcp, "translate_video", TRANSLATE)
    (job,) = out["job_ids"]
    assert job.startswith("batch:") and "wait_for_job" in out["next_step"]
    (post,) = upstream(sandbox, "POST", "/v3/video-translations/batches")
    assert post.json == dry["dry_run"]["request"]["body"] and not upstream(sandbox, "POST", "/v3/video-translations")
    paid = credits - sandbox.credits
    assert paid > 0 and len(sandbox.translations) == 3

    waiting = await call(mcp, "wait_for_job", {"job_id": job, "max_wait_s": 1})
    assert not waiting["done"] and "of 4 done" in waiting["message"]
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job, "max_wait_s": 5})
    assert status["status"] == "completed_with_failures" and status["message"].startswith("3 of 4 done, 1 failed")
    assert "item 4 (video 2 German (Germany)): invalid_parameter" in status["failure"]
    assert "remake the failed ones with translate_video" in status["next_step"]
    saved = await call(mcp, "download_video", {"job_id": job})
    assert [f["item"] for f in saved["files"]] == [1, 2, 3] and Path(saved["path"]).parent == settings.heygen_output_dir
    for path in mp4s(saved):
        assert path.read_bytes()[4:8] == b"ftyp"
    assert saved["files"][0]["job_id"].startswith("translation:") and "item 4" in saved["missing"][0]

    again = await call(mcp, "translate_video", TRANSLATE)
    assert again["job_ids"] == [job] and len(sandbox.batches) == 1 and credits - sandbox.credits == paid
    text = await error(mcp, "translate_video", {"video": SOURCES[0], "videos": SOURCES, "languages": ["German"]})
    assert "video (one) or videos" in text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_client_that_samples_drafts_every_script(tmp_path: Path, wire: Any, sandbox: Any, clock: Any,
                                                         mode: str) -> None:
    """No DEEPSEEK_API_KEY, a client that samples: its model drafts each item's script (one sampling request per
    item, inside the one tool call, on both protocol eras); the batch is made; a repeat asks nothing."""
    import json

    from mcp.types import CreateMessageResult, TextContent

    from conftest import make_settings
    from heygen_studio.server import create_server

    asked: list[str] = []

    async def sampler(context: Any, params: Any) -> CreateMessageResult:
        asked.append(params.messages[0].content.text)
        script = {"title": f"Tip {len(asked)}", "language": "en",
                  "scenes": [{"text": f"Here is bakery tip number {len(asked)}.", "visual": "presenter"}]}
        return CreateMessageResult(role="assistant", model="client-model",
                                   content=TextContent(type="text", text=json.dumps(script)))

    settings = make_settings(tmp_path)
    async with Client(create_server(settings, transport=wire), sampling_callback=sampler, mode=mode) as client:
        out = await call(client, "produce_videos", SERIES)
        assert out["submitted"] == 3 and len(asked) == 3
        assert {t for t in SERIES["topics"] if any(t in a for a in asked)} == set(SERIES["topics"])
        assert not [r for r in sandbox.requests if r.path.endswith("/chat/completions")]
        (post,) = batch_posts(sandbox)
        assert sorted(v["script"] for v in post.json["videos"]) == [
            f"Here is bakery tip number {n}." for n in (1, 2, 3)]
        again = await call(client, "produce_videos", SERIES)
        assert again["submitted"] == 0 and len(asked) == 3 and len(batch_posts(sandbox)) == 1
        status = await finish(client, clock, out["job_id"])
        assert status["status"] == "completed"
    assert wire.violations == []


# -- a real MCP client over stdio: a `heygen-studio serve` process with its embedded sandbox ----------------------
async def test_stdio_three_forms_every_mp4_and_a_repeat_pays_nothing(tmp_path: Path) -> None:
    from test_transports import child_env, ok, stdio_server
    from test_transports import finish as finish_stdio

    async def left(client: Any) -> float:
        account = await ok(client, "get_account", {})
        value = account["credits_remaining"] if account.get("credits_remaining") is not None else account["balance"]
        return float(value)

    async with stdio_server(child_env(tmp_path, HEYGEN_TOOLSETS="batch,videos,translation"), tmp_path) as client:
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
            assert again["job_id"] == batch["job_id"] and again["submitted"] == 0 and again["estimated_usd"] == 0
        assert await left(client) == spent  # nothing paid again
        assert len((await ok(client, "list_videos", {"limit": 50}))["items"]) == 9  # nothing created again

        # two of those videos translated into two languages, as one translation batch: four files on disk
        made = [f["job_id"] for f in saved["files"][:2]]
        translated = await ok(client, "translate_video", {"videos": made, "languages": ["Spanish (Spain)", "German"]})
        (job,) = translated["job_ids"]
        status = await finish_stdio(client, job)
        assert status["status"] == "completed" and status["message"].startswith("4 of 4 done"), status
        files = (await ok(client, "download_video", {"job_id": job}))["files"]
        assert len(files) == 4 and all(Path(f["path"]).read_bytes()[4:8] == b"ftyp" for f in files)
        assert (await ok(client, "translate_video", {"videos": made, "languages": ["Spanish (Spain)", "German"]}))[
            "job_ids"] == [job]
        assert await left(client) < spent
