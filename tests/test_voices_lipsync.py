"""Voices (speech, design, clone) and lipsync over an in-memory MCP client against the sandbox (issue 9 §3, §6).

Every exchange is checked against the HeyGen contract (the ``mcp`` fixture fails a test on any violation); the
sandbox's request log and credit balance prove what was sent and paid, and that a repeat pays nothing.
Bad input (each tool's refusals before any request) is in ``test_mcp_tools.REFUSED``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from conftest import make_settings
from contract import ContractTransport, load_contract
from heygen_studio.sandbox import SANDBOX_BASE_URL, ManualClock, SandboxConfig, create_app
from heygen_studio.server import create_server
from test_mcp_tools import MEDIA, call, error, look_and_voice, upstream

pytestmark = pytest.mark.anyio


async def starfish_voice(mcp: Client) -> str:
    """createSpeech takes only starfish voices (contract: 'use GET /v3/voices?engine=starfish')."""
    page = await call(mcp, "list_voices", {"language": "en", "engine": "starfish", "limit": 1})
    return str(page["items"][0]["voice_id"])


def sample(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(MEDIA / f"sample{path.suffix}", path)
    return path


# -- create_speech ------------------------------------------------------------------------------------------------
async def test_speech_is_a_file_and_an_asset_and_is_never_paid_twice(mcp: Client, sandbox: Any,
                                                                     settings: Any) -> None:
    voice = await starfish_voice(mcp)
    credits = sandbox.credits
    result = await mcp.call_tool("create_speech", {"text": "Our new office opens on the twelfth of May.",
                                                   "voice_id": voice, "speed": 1.1, "locale": "en-US"})
    assert not result.is_error, result.content[0].text
    out = result.structured_content
    path = Path(out["path"])
    assert path.parent == settings.heygen_output_dir and path.read_bytes()[:3] in (b"ID3", b"\xff\xfb")
    assert out["size_bytes"] == path.stat().st_size and out["duration_s"] > 0 and not out["replayed"]
    links = [c for c in result.content if c.type == "resource_link"]
    assert links and links[0].uri == path.as_uri() and links[0].mime_type == "audio/mpeg"
    body = upstream(sandbox, "POST", "/v3/voices/speech")[0].json
    assert body == {"text": "Our new office opens on the twelfth of May.", "voice_id": voice, "speed": 1.1,
                    "locale": "en-US"}
    assert sandbox.assets[out["asset_id"]].kind == "audio"  # uploaded: usable wherever audio is taken
    paid = credits - sandbox.credits
    assert paid > 0

    # The same text and voice again: the recorded file, nothing sent to createSpeech, nothing paid.
    again = await call(mcp, "create_speech", {"text": "Our new office opens on the twelfth of May.",
                                              "voice_id": voice, "speed": 1.1, "locale": "en-US"})
    assert again["replayed"] and again["path"] == out["path"] and again["asset_id"] == out["asset_id"]
    assert len(upstream(sandbox, "POST", "/v3/voices/speech")) == 1
    assert len(upstream(sandbox, "POST", "/v3/assets")) == 1  # the same file, not uploaded twice
    # The file deleted: made again with the same Idempotency-Key, which HeyGen replays at no charge.
    path.unlink()
    third = await call(mcp, "create_speech", {"text": "Our new office opens on the twelfth of May.",
                                              "voice_id": voice, "speed": 1.1, "locale": "en-US"})
    posts = upstream(sandbox, "POST", "/v3/voices/speech")
    assert third["replayed"] and Path(third["path"]).is_file() and len(posts) == 2
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert credits - sandbox.credits == paid
    # Asked for on purpose (request_key): a new take, paid.
    await call(mcp, "create_speech", {"text": "Our new office opens on the twelfth of May.", "voice_id": voice,
                                      "speed": 1.1, "locale": "en-US", "request_key": "take-2"})
    assert credits - sandbox.credits == pytest.approx(2 * paid)


async def test_speech_asset_is_the_audio_of_an_avatar_video(mcp: Client, sandbox: Any, clock: Any) -> None:
    look, _ = await look_and_voice(mcp)
    speech = await call(mcp, "create_speech", {"text": "Hello from a speech file.",
                                               "voice_id": await starfish_voice(mcp), "filename": "hello"})
    assert speech["path"].endswith("hello.mp3") and speech["asset_id"] in speech["next_step"]
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "audio": speech["asset_id"]})
    assert upstream(sandbox, "POST", "/v3/videos")[0].json["audio_asset_id"] == speech["asset_id"]
    clock.advance(3600)
    assert (await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5}))["status"] == "completed"
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    assert Path(saved["path"]).read_bytes()[4:8] == b"ftyp"


async def test_speech_with_a_voice_that_is_not_starfish_says_so_and_charges_nothing(mcp: Client,
                                                                                   sandbox: Any) -> None:
    other = next(v.voice_id for v in sandbox.voices.values() if "starfish" not in v.engines)
    credits = sandbox.credits
    text = await error(mcp, "create_speech", {"text": "Hi.", "voice_id": other})
    assert "starfish" in text and sandbox.credits == credits and not list(Path.cwd().rglob("*.mp3"))


# -- design_voice -------------------------------------------------------------------------------------------------
async def test_design_voice_finds_up_to_three_and_pages_by_seed(mcp: Client, sandbox: Any) -> None:
    first = await call(mcp, "design_voice", {"prompt": "warm, confident female narrator", "locale": "en-US"})
    assert 1 <= len(first["items"]) <= 3 and first["seed"] == 0 and "seed=1" in first["next_step"]
    assert all(sandbox.voices[v["voice_id"]].gender == "female" for v in first["items"])
    more = await call(mcp, "design_voice", {"prompt": "warm, confident female narrator", "locale": "en-US",
                                            "seed": 1})
    assert more["seed"] == 1 and not {v["voice_id"] for v in more["items"]} & {v["voice_id"] for v in first["items"]}
    bodies = [r.json for r in upstream(sandbox, "POST", "/v3/voices")]
    assert bodies == [{"prompt": "warm, confident female narrator", "locale": "en-US"},
                      {"prompt": "warm, confident female narrator", "locale": "en-US", "seed": 1}]
    assert sandbox.credits == SandboxConfig().initial_credits  # a search over the library: free


# -- clone_voice --------------------------------------------------------------------------------------------------
async def test_clone_a_local_sample_wait_list_and_speak_with_it(mcp: Client, sandbox: Any, clock: Any,
                                                                tmp_path: Path) -> None:
    me = sample(tmp_path, "me.mp3")
    credits = sandbox.credits
    job = await call(mcp, "clone_voice", {"audio": str(me), "name": "My voice", "speaker_consent": True,
                                          "language": "en"})
    assert job["job_id"] == f"voice:{job['voice_id']}" and job["status"] == "processing" and not job["replayed"]
    body = upstream(sandbox, "POST", "/v3/voices/clone")[0].json
    assert body["audio"]["type"] == "asset_id" and body["voice_name"] == "My voice" and body["language"] == "en"
    assert sandbox.assets[body["audio"]["asset_id"]].kind == "audio"
    assert "voice_id" not in await error(mcp, "create_speech", {"text": "Too soon.", "voice_id": job["voice_id"]})
    assert not upstream(sandbox, "POST", "/v3/voices/speech")  # a clone still processing is caught first

    # The same sample again: the same clone (uploaded once, the same Idempotency-Key), paid once.
    again = await call(mcp, "clone_voice", {"audio": str(me), "name": "My voice", "speaker_consent": True,
                                            "language": "en"})
    assert again["voice_id"] == job["voice_id"] and again["replayed"]
    assert len(upstream(sandbox, "POST", "/v3/assets")) == 1
    assert [v.name for v in sandbox.voices.values() if v.type == "private"] == ["My voice"]
    assert credits - sandbox.credits == 1.0

    assert not (await call(mcp, "list_voices", {"type": "private"}))["items"]  # listed once ready
    clock.advance(60)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "completed" and status["kind"] == "voice"
    assert f"voice_id='{job['voice_id']}'" in status["next_step"]
    mine = await call(mcp, "list_voices", {"type": "private"})
    assert [v["voice_id"] for v in mine["items"]] == [job["voice_id"]]
    speech = await call(mcp, "create_speech", {"text": "Now in my own voice.", "voice_id": job["voice_id"]})
    assert Path(speech["path"]).is_file()


async def test_clone_from_a_url_or_an_asset_goes_as_is(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    await call(mcp, "clone_voice", {"audio": "https://example.com/samples/me.mp3", "name": "From URL",
                                    "speaker_consent": True})
    uploaded = await call(mcp, "upload_asset", {"path": str(sample(tmp_path, "talk.mp4"))})
    await call(mcp, "clone_voice", {"audio": uploaded["asset_id"], "name": "From asset", "speaker_consent": True})
    bodies = [r.json for r in upstream(sandbox, "POST", "/v3/voices/clone")]
    assert bodies[0]["audio"] == {"type": "url", "url": "https://example.com/samples/me.mp3"}
    assert bodies[1]["audio"] == {"type": "asset_id", "asset_id": uploaded["asset_id"]}


async def test_clone_refuses_what_is_not_audio_before_paying(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    photo = sample(tmp_path, "me.jpg")
    text = await error(mcp, "clone_voice", {"audio": str(photo), "name": "Me", "speaker_consent": True})
    assert "image/jpeg" in text and "Nothing was charged" in text
    uploaded = await call(mcp, "upload_asset", {"path": str(photo)})
    text = await error(mcp, "clone_voice", {"audio": uploaded["asset_id"], "name": "Me", "speaker_consent": True})
    assert "is image, not audio" in text
    assert not upstream(sandbox, "POST", "/v3/voices/clone")


async def test_a_failed_clone_ends_the_wait_with_the_reason(mcp: Client, sandbox: Any) -> None:
    job = await call(mcp, "clone_voice", {"audio": "https://example.com/noisy.mp3", "name": "Noisy",
                                          "speaker_consent": True})
    sandbox.fail_job(job["voice_id"], message="Too much background noise")
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "failed" and status["failure"] == "Too much background noise"
    assert "clone again" in status["next_step"]


# -- create_lipsync -----------------------------------------------------------------------------------------------
async def test_lipsync_a_video_job_with_a_script_then_download(mcp: Client, sandbox: Any, clock: Any,
                                                               settings: Any) -> None:
    look, _ = await look_and_voice(mcp)
    voice = await starfish_voice(mcp)
    video = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Old words."})
    text = await error(mcp, "create_lipsync", {"video": video["job_id"], "script": "New words.", "voice_id": voice})
    assert "not finished" in text and not upstream(sandbox, "POST", "/v3/voices/speech")
    clock.advance(3600)
    credits = sandbox.credits
    job = await call(mcp, "create_lipsync", {"video": video["job_id"], "script": "Brand new words.",
                                             "voice_id": voice, "mode": "precision", "title": "redub"})
    assert job["job_id"] == f"lipsync:{job['lipsync_id']}" and job["status"] == "pending" and not job["replayed"]
    speech = job["speech"]
    assert Path(speech["path"]).is_file()
    body = upstream(sandbox, "POST", "/v3/lipsyncs")[0].json
    assert body["video"]["type"] == "url" and f"/_media/videos/{video['video_id']}/" in body["video"]["url"]
    assert body["audio"] == {"type": "asset_id", "asset_id": speech["asset_id"]}
    assert body["mode"] == "precision" and body["title"] == "redub"
    paid = credits - sandbox.credits

    # The same call again: the video's URL is re-signed, the speech is on disk; the same lipsync, nothing paid.
    clock.advance(5)
    again = await call(mcp, "create_lipsync", {"video": video["job_id"], "script": "Brand new words.",
                                               "voice_id": voice, "mode": "precision", "title": "redub"})
    assert again["lipsync_id"] == job["lipsync_id"] and again["replayed"] and again["speech"]["replayed"]
    assert len(upstream(sandbox, "POST", "/v3/voices/speech")) == 1
    posts = upstream(sandbox, "POST", "/v3/lipsyncs")
    assert posts[0].json["video"] != posts[1].json["video"]
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert credits - sandbox.credits == paid and len(sandbox.lipsyncs) == 1

    text = await error(mcp, "download_video", {"job_id": job["job_id"]})
    assert "wait_for_job" in text
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "completed" and status["kind"] == "lipsync"
    assert f"download_video('{job['job_id']}')" in status["next_step"]
    result = await mcp.call_tool("download_video", {"job_id": job["job_id"]})
    assert not result.is_error
    path = Path(result.structured_content["path"])
    assert path.parent == settings.heygen_output_dir and path.read_bytes()[4:8] == b"ftyp"
    assert path.name == f"{job['lipsync_id']}.mp4"

    # A finished lipsync is itself a video to re-voice.
    second = await call(mcp, "create_lipsync", {"video": job["job_id"], "audio": speech["asset_id"]})
    last = upstream(sandbox, "POST", "/v3/lipsyncs")[-1].json
    assert f"/_media/lipsyncs/{job['lipsync_id']}/" in last["video"]["url"]
    assert second["lipsync_id"] != job["lipsync_id"]


async def test_lipsync_local_files_and_urls(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    clip, voiceover = sample(tmp_path, "clip.mp4"), sample(tmp_path, "voiceover.mp3")
    await call(mcp, "create_lipsync", {"video": str(clip), "audio": str(voiceover), "start_s": 1, "end_s": 4})
    await call(mcp, "create_lipsync", {"video": "https://example.com/talk.mp4", "audio": "https://example.com/a.mp3"})
    first, second = (r.json for r in upstream(sandbox, "POST", "/v3/lipsyncs"))
    assert sandbox.assets[first["video"]["asset_id"]].kind == "video"
    assert sandbox.assets[first["audio"]["asset_id"]].kind == "audio"
    assert first["start_time"] == 1 and first["end_time"] == 4
    assert second == {"video": {"type": "url", "url": "https://example.com/talk.mp4"},
                      "audio": {"type": "url", "url": "https://example.com/a.mp3"}}
    # A file of the wrong kind is caught after its (free) upload, before anything is paid.
    text = await error(mcp, "create_lipsync", {"video": str(voiceover), "audio": "https://example.com/a.mp3"})
    assert "not a video" in text and len(upstream(sandbox, "POST", "/v3/lipsyncs")) == 2


async def test_a_failed_lipsync_ends_the_wait_with_the_reason(mcp: Client, sandbox: Any) -> None:
    job = await call(mcp, "create_lipsync", {"video": "https://example.com/talk.mp4",
                                             "audio": "https://example.com/a.mp3"})
    sandbox.fail_job(job["lipsync_id"], message="No face found")
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "failed" and status["failure"] == "No face found"
    assert "one speaking face" in status["next_step"]
    assert "failed, not completed" in await error(mcp, "download_video", {"job_id": job["job_id"]})


async def test_lipsync_without_credits_is_refused_and_kept_out_of_the_store(mcp: Client, sandbox: Any) -> None:
    sandbox.credits = 0
    text = await error(mcp, "create_lipsync", {"video": "https://example.com/talk.mp4",
                                               "audio": "https://example.com/a.mp3"})
    assert "credit" in text.lower()
    assert not (await call(mcp, "list_jobs"))["items"]  # the refused claim was released


# -- the sandbox keeps clones and lipsyncs across a restart -------------------------------------------------------
async def test_clones_and_lipsyncs_survive_a_sandbox_restart(tmp_path: Path) -> None:
    path, clock = tmp_path / "sandbox.sqlite3", ManualClock()

    def client(app: Any) -> httpx2.AsyncClient:
        transport = ContractTransport(httpx2.ASGITransport(app=app), load_contract())
        return httpx2.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL, headers={"x-api-key": "k"})

    first = create_app(SandboxConfig(state_path=path), clock)
    async with client(first) as http:
        voice = (await http.post("/v3/voices/clone", json={
            "audio": {"type": "url", "url": "https://example.com/me.mp3"}, "voice_name": "Me"})).json()["data"]
        lipsync = (await http.post("/v3/lipsyncs", json={
            "video": {"type": "url", "url": "https://example.com/v.mp4"},
            "audio": {"type": "url", "url": "https://example.com/a.mp3"}})).json()["data"]
    first.state.sandbox.close()
    clock.advance(3600)
    second = create_app(SandboxConfig(state_path=path), clock)
    async with client(second) as http:
        got = (await http.get(f"/v3/voices/{voice['voice_clone_id']}")).json()["data"]
        assert got["status"] == "complete" and got["name"] == "Me"
        listed = (await http.get("/v3/voices", params={"type": "private"})).json()["data"]
        assert [v["voice_id"] for v in listed] == [voice["voice_clone_id"]]
        done = (await http.get(f"/v3/lipsyncs/{lipsync['lipsync_id']}")).json()["data"]
        assert done["status"] == "completed" and done["video_url"]
        assert (await http.get(done["video_url"])).content[4:8] == b"ftyp"
        assert (await http.delete(f"/v3/voices/{voice['voice_clone_id']}")).status_code == 200
    second.state.sandbox.close()
    third = create_app(SandboxConfig(state_path=path), clock)
    async with client(third) as http:
        assert (await http.get(f"/v3/voices/{voice['voice_clone_id']}")).status_code == 404
    third.state.sandbox.close()


async def test_speech_made_before_a_server_restart_is_not_paid_again(tmp_path: Path, wire: Any,
                                                                     sandbox: Any) -> None:
    settings = make_settings(tmp_path)
    async with Client(create_server(settings, transport=wire)) as first:
        voice = await starfish_voice(first)
        made = await call(first, "create_speech", {"text": "Kept across restarts.", "voice_id": voice})
    async with Client(create_server(settings, transport=wire)) as second:
        again = await call(second, "create_speech", {"text": "Kept across restarts.", "voice_id": voice})
    assert again["replayed"] and again["path"] == made["path"]
    assert len(upstream(sandbox, "POST", "/v3/voices/speech")) == 1


# -- a create whose answer is lost is not paid twice -------------------------------------------------------------
@pytest.mark.parametrize("tool", ["create_speech", "clone_voice", "create_lipsync"])
async def test_a_create_cut_off_mid_answer_is_not_paid_twice(tool: str, tmp_path: Path, wire: Any,
                                                             sandbox: Any) -> None:
    settings = make_settings(tmp_path, heygen_max_retries=0)
    async with Client(create_server(settings, transport=wire)) as client:
        args: dict[str, Any] = {
            "create_speech": {"text": "Cut off.", "voice_id": await starfish_voice(client)},
            "clone_voice": {"audio": str(sample(tmp_path, "me.mp3")), "name": "Me",
                            "speaker_consent": True},
            "create_lipsync": {"video": "https://example.com/talk.mp4", "audio": "https://example.com/a.mp3"},
        }[tool]
        path = {"create_speech": "/v3/voices/speech", "clone_voice": "/v3/voices/clone",
                "create_lipsync": "/v3/lipsyncs"}[tool]
        credits = sandbox.credits
        sandbox.faults.inject("POST", path, "drop_after")  # HeyGen makes it and charges; the answer is lost
        assert (await client.call_tool(tool, args)).is_error
        paid = credits - sandbox.credits
        assert paid > 0
        again = await call(client, tool, args)
    posts = upstream(sandbox, "POST", path)
    assert len(posts) == 2 and posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert again["replayed"] and credits - sandbox.credits == paid  # the second answer is the first, replayed
