"""Every tool over an in-memory MCP client against the sandbox, asserting wire JSON.

Structured content and isError texts are what a model sees; the sandbox request log proves what
was (and was not) sent upstream. The ``mcp`` fixture also fails a test on any contract violation.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, MCPError

from conftest import make_settings
from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio
MEDIA = Path(__file__).resolve().parents[1] / "server" / "heygen_studio" / "sandbox" / "media"

PAID = {"create_agent_video", "create_avatar_video", "create_studio_video", "create_photo_avatar",
        "create_avatar", "create_avatar_look", "create_template_video", "translate_video", "produce_video",
        "produce_videos", "create_speech", "clone_voice", "create_lipsync"}
DESTRUCTIVE = {"delete_video", "delete_asset", "delete_webhook", "manage_avatar"}
READ_ONLY = {"get_agent_session", "list_agent_styles", "get_video", "wait_for_job", "list_videos", "list_assets",
             "list_avatars", "get_avatar", "list_voices", "get_account", "list_templates", "get_translation",
             "list_webhooks", "write_script", "read_reference", "list_jobs", "design_voice"}
OTHER = {"reply_to_agent", "stop_agent_session", "download_video", "upload_asset", "add_webhook"}


async def call(mcp: Client, name: str, args: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    result = await mcp.call_tool(name, args or {}, **kw)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def error(mcp: Client, name: str, args: dict[str, Any] | None = None) -> str:
    """The isError text of a deliberate ToolError. A crash in a tool reaches the model only as the SDK's bare
    ``Error executing tool <name>`` (its text is kept off the wire: python-sdk #698, #3314), so the message
    after the prefix must be there and be ours."""
    result = await mcp.call_tool(name, args or {})
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert text.startswith(f"Error executing tool {name}: "), text
    assert not text.removeprefix(f"Error executing tool {name}: ").startswith("Error executing tool"), text
    return text


def upstream(sandbox: Any, method: str, path: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == method and r.path == path]


async def look_and_voice(mcp: Client) -> tuple[str, str]:
    look = (await call(mcp, "list_avatars", {"limit": 1}))["items"][0]["id"]
    voice = (await call(mcp, "list_voices", {"language": "en", "limit": 1}))["items"][0]["voice_id"]
    return look, voice


# -- the tool surface --------------------------------------------------------------------------------
async def test_tools_list_is_the_public_interface(mcp: Client) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert set(tools) == PAID | DESTRUCTIVE | READ_ONLY | OTHER
    for name, tool in tools.items():
        assert tool.description and len(tool.description) < 400, name
        schema = json.loads((await mcp.read_resource(f"heygen://schemas/{name}")).contents[0].text)
        assert schema["type"] == "object" and schema["properties"], name  # the full result schema
        for prop, schema in tool.input_schema.get("properties", {}).items():
            assert "exclusiveMaximum" not in json.dumps(schema) and "exclusiveMinimum" not in json.dumps(schema), prop
        ann = tool.annotations
        if name in PAID:
            assert ann.read_only_hint is False and not ann.idempotent_hint, name
            assert "Paid" in tool.description, name
        elif name in DESTRUCTIVE:
            assert ann.destructive_hint is True, name
        elif name in READ_ONLY:
            assert ann.read_only_hint is True, name


async def test_unknown_tool_is_a_protocol_error(mcp: Client) -> None:
    with pytest.raises(MCPError) as info:
        await mcp.call_tool("make_me_a_sandwich", {})
    assert info.value.error.code == -32602


async def test_without_key_tools_say_how_to_set_one(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, heygen_sandbox=False)
    async with Client(create_server(settings)) as client:
        text = await error(client, "list_voices", {})
    assert "HEYGEN_API_KEY" in text and "HEYGEN_SANDBOX=1" in text


async def test_api_key_never_appears_in_tool_results(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    secret = "bad-0123456789-SECRET"
    settings = make_settings(tmp_path, heygen_api_key=secret)
    async with Client(create_server(settings, transport=wire)) as client:
        text = await error(client, "get_account", {})
        assert "HEYGEN_API_KEY" in text and secret not in text
    assert all(secret not in json.dumps(r.headers) for r in sandbox.requests)  # the log masks it too


# -- bad input: a ToolError the model can act on, and nothing sent that should not be ---------------------------
# Ids go into URL path segments (contract: getVideo /v3/videos/{video_id}, getAvatarLook
# /v3/avatars/looks/{look_id}, ...), so one that is not a plain id ("../../etc") is refused before any request.
BAD_ID = "../../etc"
NOT_AN_ID = "is not a valid HeyGen id"
OUTSIDE = "outside the allowed folders"
# Stand-ins, replaced per test with ids from the sandbox's catalogue (their look-ups are not counted).
LOOK, VOICE, STUDIO_LOOK = "<look>", "<voice>", "<studio look>"


def bad(tool: str, args: dict[str, Any], *says: str, reads: bool = False) -> Any:
    """One row: ``tool(args)`` is a ToolError whose text contains each of ``says``. With ``reads`` the tool may
    look things up first (GETs only: nothing created, nothing paid); otherwise no request goes upstream at all."""
    shown = ",".join(f"{k}={str(v)[:12]}" for k, v in args.items()) or "no-args"
    return pytest.param(tool, args, says, reads, id=f"{tool}({shown})")


REFUSED = [
    # Video Agent
    bad("create_agent_video", {"prompt": "Hi", "avatar_id": BAD_ID}, f"avatar_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_agent_video", {"prompt": "Hi", "voice_id": BAD_ID}, f"voice_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_agent_video", {"prompt": "Hi", "style_id": BAD_ID}, f"style_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_agent_video", {"prompt": "Hi", "files": ["/etc/hostname"]}, OUTSIDE, "HEYGEN_ALLOWED_DIRS"),
    bad("create_agent_video", {"prompt": "x" * 10_001}, "at most 10000 characters"),
    bad("create_agent_video", {"prompt": "Hi", "request_key": "k" * 65}, "at most 64 characters"),
    bad("get_agent_session", {"session_id": BAD_ID}, f"session_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("reply_to_agent", {"session_id": BAD_ID, "message": "Hi"}, f"session_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("reply_to_agent", {"session_id": "abc", "message": ""}, "at least 1 character"),
    bad("reply_to_agent", {"session_id": "abc", "message": "Hi", "files": ["/etc/hostname"]}, OUTSIDE),
    bad("stop_agent_session", {"session_id": BAD_ID}, f"session_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("list_agent_styles", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("list_agent_styles", {"tag": "t" * 41}, "at most 40 characters"),
    # Avatar videos: refused before anything is paid (POST /v3/videos, createVideo)
    bad("create_avatar_video", {"avatar_id": BAD_ID, "script": "Hi"}, f"avatar_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_avatar_video", {"avatar_id": LOOK, "voice_id": BAD_ID, "script": "Hi"},
        f"voice_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_avatar_video", {"script": "Hi"}, "Give exactly one of avatar_id"),
    bad("create_avatar_video", {"avatar_id": LOOK, "voice_id": VOICE, "script": "x" * 5001}, "5000"),
    bad("create_avatar_video", {"avatar_id": LOOK, "script": "Hi", "audio": "https://example.com/a.mp3"},
        "exactly one of script"),
    bad("create_avatar_video", {"avatar_id": LOOK, "voice_id": VOICE, "script": "Hi", "background_color": "red"},
        "background_color"),
    bad("create_avatar_video", {"avatar_id": LOOK, "voice_id": "nope", "script": "Hi"},
        "voice 'nope' not found; try list_voices(", reads=True),
    bad("create_avatar_video", {"avatar_id": "ghost_look", "voice_id": VOICE, "script": "Hi"},
        "avatar look 'ghost_look' not found", "list_avatars", reads=True),
    bad("create_avatar_video", {"avatar_id": STUDIO_LOOK, "voice_id": VOICE, "script": "Hi", "motion_prompt": "waves"},
        "engine='avatar_v'", reads=True),
    bad("create_avatar_video", {"avatar_id": STUDIO_LOOK, "voice_id": VOICE, "script": "Hi",
                                "expressiveness": "high"}, "photo avatars", reads=True),
    # Studio: refused before POST /v2/video/generate (or /v3/videos)
    bad("create_studio_video", {"scenes": [{"background_color": "#112233", "script": "No voice."}]}, "voice_id"),
    bad("create_studio_video", {"scenes": []}, "scenes"),
    bad("create_studio_video", {"scenes": [{"avatar_id": BAD_ID, "voice_id": VOICE, "script": "Hi"}]},
        f"avatar_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_studio_video", {"scenes": [{"avatar_id": LOOK, "voice_id": "ghost", "script": "Hi"}]},
        "scene 1: voice 'ghost' not found", reads=True),
    # Jobs and videos
    bad("get_video", {"job_id": BAD_ID}, f"job id '{BAD_ID}' {NOT_AN_ID}"),
    bad("get_video", {"job_id": ""}, f"job id '' {NOT_AN_ID}"),
    bad("wait_for_job", {"job_id": "agent:a/b"}, f"job id 'a/b' {NOT_AN_ID}"),
    bad("download_video", {"job_id": BAD_ID}, f"job id '{BAD_ID}' {NOT_AN_ID}"),
    bad("download_video", {"job_id": "video:abc", "filename": "f" * 121}, "at most 120 characters"),
    bad("delete_video", {"video_id": BAD_ID}, f"job id '{BAD_ID}' {NOT_AN_ID}"),
    # listVideos/listAssets/listWebhookEndpoints take HeyGen's opaque `token` (contract: GET /v3/videos ?token=),
    # so a forged one is HeyGen's to refuse; the catalogue tools page locally and refuse it themselves.
    bad("list_videos", {"next_token": "forged"}, "next_token is not one this server issued"),
    # Assets
    bad("upload_asset", {"path": "/etc/hostname"}, OUTSIDE, "HEYGEN_ALLOWED_DIRS"),
    bad("upload_asset", {"path": "missing.png"}, "No file at"),
    bad("upload_asset", {"url": "ftp://example.com/x.png"}, "http(s)"),
    bad("upload_asset", {}, "Give exactly one of path, url or base64_data"),
    bad("upload_asset", {"base64_data": "!!!", "filename": "a.png"}, "not valid base64"),
    bad("upload_asset", {"base64_data": "aGVsbG8=", "filename": "../a.png"}, "a.png: unrecognised content"),
    bad("list_assets", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("delete_asset", {"asset_id": BAD_ID}, f"asset_id '{BAD_ID}' {NOT_AN_ID}"),
    # Avatars and voices
    bad("list_avatars", {"group_id": BAD_ID}, f"group_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("list_avatars", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("list_avatars", {"name": "n" * 81}, "at most 80 characters"),
    bad("get_avatar", {"avatar_id": BAD_ID}, NOT_AN_ID),
    bad("get_avatar", {"avatar_id": ""}, f"avatar_id '' {NOT_AN_ID}"),
    bad("list_voices", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("list_voices", {"name": "n" * 81}, "at most 80 characters"),
    bad("create_photo_avatar", {"photo": "/etc/hostname", "name": "Me"}, OUTSIDE),
    bad("create_photo_avatar", {"photo": "missing.jpg", "name": "Me"}, "No file at"),
    bad("create_photo_avatar", {"photo": "https://example.com/me.jpg", "name": "Me", "group_id": BAD_ID},
        f"group_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_photo_avatar", {"photo": "https://example.com/me.jpg", "name": "n" * 101}, "at most 100 characters"),
    bad("create_avatar_look", {"avatar_id": BAD_ID, "prompt": "in a navy suit"}, f"avatar_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_avatar_look", {"avatar_id": LOOK, "prompt": ""}, "at least 1 character"),
    bad("create_avatar", {"kind": "digital_twin", "name": "Me", "file": "/etc/hostname"}, OUTSIDE),
    bad("create_avatar", {"kind": "photo", "name": "Me"}, "takes file"),
    bad("create_avatar", {"kind": "digital_twin", "name": "Me", "file": "https://example.com/me.mp4",
                          "prompt": "smiling"}, "no prompt"),
    bad("create_avatar", {"kind": "prompt", "name": "Ada"}, "takes prompt"),
    bad("create_avatar", {"kind": "prompt", "name": "Ada", "prompt": "p" * 1001}, "at most 1000 characters"),
    bad("create_avatar", {"kind": "prompt", "name": "Ada", "prompt": "A chemist", "reference_images": ["ftp://x/a.jpg"]},
        "ftp:// URL"),
    bad("create_avatar", {"kind": "prompt", "name": "Ada", "prompt": "A chemist", "group_id": BAD_ID},
        f"group_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("manage_avatar", {"avatar_id": BAD_ID, "action": "delete"}, f"avatar_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("manage_avatar", {"avatar_id": "abc", "action": "rename"}, "rename needs name"),
    bad("manage_avatar", {"avatar_id": "abc", "action": "delete", "name": "x"}, "delete takes no name"),
    # Templates, translation, webhooks
    bad("list_templates", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("create_template_video", {"template_id": BAD_ID, "variables": {}}, f"template_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("translate_video", {"video": "https://example.com/v.mp4", "languages": []}, "at least 1 item"),
    # Language names are checked against listVideoTranslationLanguages (GET /v3/video-translations/languages).
    bad("translate_video", {"video": "https://example.com/v.mp4", "languages": ["Klingon"]},
        "Unknown language 'Klingon'", reads=True),
    bad("translate_video", {"video": "https://example.com/v.mp4", "languages": ["French"]},
        "ambiguous", "French (France)", reads=True),
    bad("translate_video", {"video": "/etc/hostname", "languages": ["German"]}, "not a local path", "upload_asset"),
    bad("get_translation", {"translation_id": BAD_ID}, f"translation_id '{BAD_ID}' {NOT_AN_ID}"),
    # Voices: speech, design, clone (POST /v3/voices/speech, POST /v3/voices, POST /v3/voices/clone)
    bad("design_voice", {"prompt": "  "}, "prompt is blank"),
    bad("design_voice", {"prompt": "p" * 1001}, "at most 1000 characters"),
    bad("create_speech", {"text": "Hi", "voice_id": BAD_ID}, f"voice_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_speech", {"text": "  ", "voice_id": VOICE}, "text is blank"),
    bad("create_speech", {"text": "x" * 5001, "voice_id": VOICE}, "5000"),
    bad("create_speech", {"text": "Hi", "voice_id": VOICE, "speed": 3}, "speed"),
    bad("create_speech", {"text": "Hi", "voice_id": "ghost"}, "voice 'ghost' not found", reads=True),
    bad("clone_voice", {"audio": "https://example.com/me.mp3", "name": "Me", "speaker_consent": False},
        "speaker's permission"),
    bad("clone_voice", {"audio": "/etc/hostname", "name": "Me", "speaker_consent": True}, OUTSIDE),
    bad("clone_voice", {"audio": "ftp://example.com/me.mp3", "name": "Me", "speaker_consent": True},
        "ftp:// URL"),
    bad("clone_voice", {"audio": "https://example.com/me.mp3", "name": " ", "speaker_consent": True},
        "name is blank"),
    bad("clone_voice", {"audio": "ghost_asset", "name": "Me", "speaker_consent": True},
        "no asset 'ghost_asset'", reads=True),
    # Lipsync (POST /v3/lipsyncs): refused before anything is paid, speech included
    bad("create_lipsync", {"video": "https://example.com/v.mp4"}, "Give exactly one of audio"),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "audio": "https://example.com/a.mp3",
                           "script": "Hi"}, "Give exactly one of audio"),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "script": "Hi"}, "script needs voice_id"),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "script": "Hi", "voice_id": BAD_ID},
        f"voice_id '{BAD_ID}' {NOT_AN_ID}"),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "audio": "https://example.com/a.mp3",
                           "start_s": 5, "end_s": 2}, "end_s must be after start_s"),
    bad("create_lipsync", {"video": "ftp://example.com/v.mp4", "audio": "https://example.com/a.mp3"},
        "ftp:// URL"),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "audio": "/etc/hostname"}, OUTSIDE),
    bad("create_lipsync", {"video": "voice:abc", "audio": "https://example.com/a.mp3"},
        "is a voice job, not a video"),
    bad("create_lipsync", {"video": "video:ghost", "audio": "https://example.com/a.mp3"},
        "video:ghost was not found", reads=True),
    bad("create_lipsync", {"video": "ghost_asset", "audio": "https://example.com/a.mp3"},
        "no asset or job 'ghost_asset'", reads=True),
    bad("create_lipsync", {"video": "https://example.com/v.mp4", "script": "Hi", "voice_id": "ghost"},
        "voice 'ghost' not found", reads=True),
    bad("list_webhooks", {"next_token": "forged"}, "next_token is not one this server issued"),
    bad("add_webhook", {"url": "http://hooks.example.com/h"}, "https://"),
    bad("add_webhook", {"url": "not a url"}, "url must be an https:// URL"),
    bad("add_webhook", {"url": "https://hooks.example.com/h", "events": ["nope.event"]},
        "Unknown event type(s) ['nope.event']"),
    bad("delete_webhook", {"endpoint_id": BAD_ID}, f"endpoint_id '{BAD_ID}' {NOT_AN_ID}"),
    # Scripts and docs
    bad("write_script", {"topic": "  "}, "at least 3 characters"),
    bad("write_script", {"topic": "Hydration", "language": "l" * 21}, "at most 20 characters"),
    bad("produce_video", {"brief": "  "}, "at least 3 characters"),
    bad("produce_video", {"brief": "A welcome", "language": "l" * 21}, "at most 20 characters"),
    bad("produce_videos", {"topics": ["a"], "brief": "Hi there"}, "at least 2 characters"),
    bad("produce_videos", {"topics": ["bread"], "brief_template": "No placeholder"}, "{topic}"),
    bad("produce_videos", {"topics": ["bread"], "languages": ["de"], "brief_template": "On {topic}"}, "exactly one"),
    bad("produce_videos", {"brief": "Hello all", "languages": ["de", "DE"]}, "a repeat"),
    bad("produce_videos", {"items": [{"brief": "A welcome", "avatar_id": BAD_ID}]}, NOT_AN_ID),
    bad("produce_videos", {"items": [{"brief": "   "}]}, "brief is blank"),
    bad("read_reference", {"topic": "../SKILL"}, "No reference '../SKILL'", "Topics:"),
    bad("read_reference", {"query": "  "}, "Nothing matches", "Topics:"),
    bad("read_reference", {"topic": "scripts", "query": "pauses"}, "Give one of topic or query, not both"),
]


async def catalogue_ids(mcp: Client) -> dict[str, str]:
    look, voice = await look_and_voice(mcp)
    studio_look = (await call(mcp, "list_avatars", {"avatar_type": "studio_avatar", "limit": 1}))["items"][0]["id"]
    return {LOOK: look, VOICE: voice, STUDIO_LOOK: studio_look}


def with_ids(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, ids) for v in value]
    return ids.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(("tool", "args", "says", "reads"), REFUSED)
async def test_bad_input_is_a_tool_error_and_nothing_is_sent(mcp: Client, sandbox: Any, tool: str,
                                                             args: dict[str, Any], says: tuple[str, ...],
                                                             reads: bool) -> None:
    if any(stand_in in repr(args) for stand_in in (LOOK, VOICE, STUDIO_LOOK)):
        args = with_ids(args, await catalogue_ids(mcp))
    before = len(sandbox.requests)
    text = await error(mcp, tool, args)
    for fragment in says:
        assert fragment in text
    sent = [f"{r.method} {r.path}" for r in sandbox.requests[before:]]
    if reads:
        assert sent and all(line.startswith("GET ") for line in sent), sent  # looked up; nothing created or paid
    else:
        assert sent == []


async def test_every_tool_that_takes_text_has_a_bad_input_row(mcp: Client) -> None:
    covered = {param.values[0] for param in REFUSED}
    tools = (await mcp.list_tools()).tools
    takes_text = {t.name for t in tools if '"string"' in json.dumps(t.input_schema.get("properties", {}))}
    assert takes_text - covered == set()
    assert {t.name for t in tools} - takes_text == {"get_account", "list_jobs"}  # no ids, paths, URLs or text


# -- avatar video: create → wait → download -------------------------------------------------------------
async def test_avatar_video_end_to_end(mcp: Client, sandbox: Any, clock: Any, settings: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hello there.",
                                                  "title": "e2e", "captions": True, "aspect_ratio": "9:16"})
    assert job["job_id"] == f"video:{job['video_id']}" and job["api"] == "v3" and not job["replayed"]
    body = upstream(sandbox, "POST", "/v3/videos")[0].json
    assert body["type"] == "avatar" and body["aspect_ratio"] == "9:16"
    assert body["caption"] == {"file_format": "srt", "style": "default"}  # a style burns captions in

    # createVideo takes an Idempotency-Key (contract x-idempotency: 24 h replay): the same create is replayed.
    again = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hello there.",
                                                    "title": "e2e", "captions": True, "aspect_ratio": "9:16"})
    assert again["video_id"] == job["video_id"] and again["replayed"]

    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 5})
    assert status["done"] and status["status"] == "completed" and status["progress"] == 100
    result = await mcp.call_tool("download_video", {"job_id": job["job_id"], "filename": "../escape.mp4"})
    assert not result.is_error
    saved = result.structured_content
    path = Path(saved["path"])
    assert path.parent == settings.heygen_output_dir and path.name == "escape.mp4"
    assert path.read_bytes()[4:8] == b"ftyp" and saved["size_bytes"] == path.stat().st_size
    links = [c for c in result.content if c.type == "resource_link"]
    assert links and links[0].uri == "heygen://files/escape.mp4" and links[0].mime_type == "video/mp4"

    captioned = await call(mcp, "download_video", {"job_id": job["job_id"], "captioned": True})
    assert captioned["path"].endswith("-captioned.mp4") and Path(captioned["path"]).stat().st_size > 0
    info = await call(mcp, "get_video", {"job_id": job["job_id"]})
    assert info["status"] == "completed" and info["video_url"] and info["captioned_video_url"]
    listed = await call(mcp, "list_videos", {"limit": 5})
    assert job["video_id"] in {v["video_id"] for v in listed["items"]}
    assert (await call(mcp, "delete_video", {"video_id": job["job_id"]}))["deleted"]
    assert "not found" in await error(mcp, "wait_for_job", {"job_id": job["job_id"]})


async def test_wait_is_bounded_reports_rising_progress_and_never_resubmits(mcp: Client, sandbox: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Slow one."})
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 1},
                        progress_callback=on_progress)
    assert not status["done"] and "wait_for_job" in status["next_step"]
    assert "Do not create it again" in status["next_step"]
    assert len(seen) >= 3 and seen == sorted(seen) and len(set(seen)) == len(seen)
    assert status["waited_s"] <= 1.5
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1


async def test_wait_takes_a_raw_video_id(mcp: Client, clock: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Raw id."})
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job["video_id"]})
    assert status["kind"] == "video" and status["done"]


# -- Studio ------------------------------------------------------------------------------------------------
def scenes(look: str, voice: str, style: str | None = None) -> list[dict[str, Any]]:
    first: dict[str, Any] = {"avatar_id": look, "voice_id": voice, "script": "Scene one.",
                             "background_color": "#102030"}
    if style:
        first["avatar_style"] = style
    return [first, {"avatar_id": look, "voice_id": voice, "script": "Scene two.", "voice_speed": 1.1}]


async def test_studio_v2_by_default(mcp: Client, sandbox: Any, clock: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_studio_video", {"scenes": scenes(look, voice), "title": "two scenes"})
    assert job["api"] == "v2"
    body = upstream(sandbox, "POST", "/v2/video/generate")[0].json
    assert len(body["video_inputs"]) == 2 and body["dimension"] == {"width": 1920, "height": 1080}
    assert body["video_inputs"][0]["background"] == {"type": "color", "value": "#102030"}
    clock.advance(3600)
    assert (await call(mcp, "wait_for_job", {"job_id": job["job_id"]}))["status"] == "completed"


async def test_studio_v3_on_request(mcp: Client, sandbox: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_studio_video", {"scenes": scenes(look, voice), "api": "v3",
                                                  "aspect_ratio": "9:16"})
    assert job["api"] == "v3"
    body = upstream(sandbox, "POST", "/v3/videos")[0].json
    assert body["type"] == "studio" and len(body["scenes"]) == 2 and body["aspect_ratio"] == "9:16"
    text = await error(mcp, "create_studio_video", {"scenes": scenes(look, voice, "circle"), "api": "v3"})
    assert "avatar_style 'circle'" in text


async def test_studio_falls_back_to_v3_when_v2_is_retired(mcp: Client, sandbox: Any) -> None:
    # Contract generateStudioVideoV2 (POST /v2/video/generate): "Legacy v2 Studio API; stays live until a v3
    # multi-scene equivalent exists (v3 has type=studio on POST /v3/videos)".
    look, voice = await look_and_voice(mcp)
    sandbox.faults.inject("POST", "/v2/video/generate", "retired", times=5)
    job = await call(mcp, "create_studio_video", {"scenes": scenes(look, voice)})
    assert job["api"] == "v3" and "retired" in job["note"]
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1

    text = await error(mcp, "create_studio_video", {"scenes": scenes(look, voice, "circle"), "title": "styled"})
    assert "retired" in text and "avatar_style 'circle'" in text and "Nothing was charged" in text
    assert len(upstream(sandbox, "POST", "/v3/videos")) == 1  # nothing more was sent


# -- Video Agent --------------------------------------------------------------------------------------------
async def test_agent_video_end_to_end(mcp: Client, clock: Any, settings: Any) -> None:
    styles = await call(mcp, "list_agent_styles", {"limit": 3})
    assert styles["items"] and len(styles["items"]) <= 3
    job = await call(mcp, "create_agent_video", {"prompt": "A 20 second upbeat intro to heygen-studio.",
                                                 "orientation": "portrait", "style_id": styles["items"][0]["style_id"]})
    assert job["job_id"].startswith("agent:")
    session = await call(mcp, "get_agent_session", {"session_id": job["job_id"]})
    assert session["status"] in {"thinking", "generating"}
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert status["done"] and status["kind"] == "agent" and status["video_id"]
    saved = await call(mcp, "download_video", {"job_id": job["job_id"]})
    assert Path(saved["path"]).read_bytes()[4:8] == b"ftyp"


async def test_agent_chat_reply_and_stop(mcp: Client, clock: Any) -> None:
    job = await call(mcp, "create_agent_video", {"prompt": "Let's plan a video.", "mode": "chat"})
    clock.advance(3600)
    reply = await call(mcp, "reply_to_agent", {"session_id": job["session_id"], "message": "Keep it short."})
    assert reply["run_id"]
    await call(mcp, "stop_agent_session", {"session_id": job["job_id"]})
    one_shot = await call(mcp, "create_agent_video", {"prompt": "One shot video."})
    text = await error(mcp, "reply_to_agent", {"session_id": one_shot["session_id"], "message": "Hi"})
    assert "mode='chat'" in text


# -- assets ---------------------------------------------------------------------------------------------------
async def test_upload_asset_three_ways(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    photo = tmp_path / "face.dat"
    photo.write_bytes((MEDIA / "sample.jpg").read_bytes())
    by_path = await call(mcp, "upload_asset", {"path": str(photo)})
    assert by_path["mime_type"] == "image/jpeg" and by_path["method"] == "multipart"
    data = base64.b64encode((MEDIA / "sample.mp3").read_bytes()).decode()
    by_b64 = await call(mcp, "upload_asset", {"base64_data": f"data:audio/mpeg;base64,{data}", "filename": "a.mp3"})
    assert by_b64["mime_type"] == "audio/mpeg"
    media_url = (await call(mcp, "upload_asset", {"path": str(photo)}))["url"]
    by_url = await call(mcp, "upload_asset", {"url": media_url})
    assert by_url["mime_type"] == "image/jpeg"
    listed = await call(mcp, "list_assets", {"limit": 10})
    assert by_path["asset_id"] in {a["asset_id"] for a in listed["items"]}
    assert (await call(mcp, "delete_asset", {"asset_id": by_path["asset_id"]}))["deleted"]


async def test_the_same_content_is_uploaded_once_unless_deleted(mcp: Client, sandbox: Any, tmp_path: Path) -> None:
    a, b = tmp_path / "a.png.bin", tmp_path / "copy-of-a.bin"
    a.write_bytes((MEDIA / "sample.jpg").read_bytes())
    b.write_bytes(a.read_bytes())
    first = await call(mcp, "upload_asset", {"path": str(a)})
    second = await call(mcp, "upload_asset", {"path": str(b)})  # another name, the same bytes
    assert second["asset_id"] == first["asset_id"] and len(upstream(sandbox, "POST", "/v3/assets")) == 1
    await call(mcp, "delete_asset", {"asset_id": first["asset_id"]})
    third = await call(mcp, "upload_asset", {"path": str(a)})  # HeyGen no longer has it: upload again
    assert third["asset_id"] != first["asset_id"] and len(upstream(sandbox, "POST", "/v3/assets")) == 2


# -- catalogues ------------------------------------------------------------------------------------------------
async def test_catalogues_are_compact_paginated_and_cached(mcp: Client, sandbox: Any) -> None:
    page = await mcp.call_tool("list_voices", {"limit": 20})
    assert len(page.content[0].text) <= 2000 and len(json.dumps(page.structured_content)) <= 3000
    first = page.structured_content
    assert len(first["items"]) == 20 and first["next_token"]
    calls = len(sandbox.requests)
    again = await call(mcp, "list_voices", {"limit": 20})
    assert again == first and len(sandbox.requests) == calls  # served from the cache
    second = await call(mcp, "list_voices", {"limit": 20, "next_token": first["next_token"]})
    assert {v["voice_id"] for v in second["items"]}.isdisjoint({v["voice_id"] for v in first["items"]})
    german = await call(mcp, "list_voices", {"language": "de", "limit": 5})
    assert german["items"] and all("German" in v["language"] for v in german["items"])
    name = german["items"][0]["name"]
    found = await call(mcp, "list_voices", {"name": name.lower()[:4], "language": "de"})
    assert name in {v["name"] for v in found["items"]}

    looks = await call(mcp, "list_avatars", {"limit": 3})
    assert len(looks["items"]) == 3 and all(r["kind"] == "look" for r in looks["items"])
    groups = await call(mcp, "list_avatars", {"kind": "groups", "limit": 2})
    assert all(r["kind"] == "group" for r in groups["items"])
    detail = await call(mcp, "get_avatar", {"avatar_id": groups["items"][0]["id"]})
    assert detail["kind"] == "group" and detail["looks"]
    look = await call(mcp, "get_avatar", {"avatar_id": looks["items"][0]["id"]})
    assert look["kind"] == "look" and look["status"] in (None, "completed")


# -- photo avatars ---------------------------------------------------------------------------------------------
async def test_photo_avatar_consent_and_no_double_charge(mcp: Client, sandbox: Any, sandbox_app: Any, clock: Any,
                                                         tmp_path: Path) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes((MEDIA / "sample.jpg").read_bytes())
    job = await call(mcp, "create_photo_avatar", {"photo": str(photo), "name": "Me"})
    assert job["job_id"] == f"look:{job['look_id']}"
    clock.advance(3600)
    again = await call(mcp, "create_photo_avatar", {"photo": str(photo), "name": "Me"})
    assert again["replayed"] and again["look_id"] == job["look_id"]
    assert again["status"] == "pending_consent" and again["consent_url"]
    assert len(upstream(sandbox, "POST", "/v3/avatars")) == 1
    stalled = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 2})
    assert stalled["status"] == "pending_consent" and not stalled["done"]
    text = await error(mcp, "create_avatar_video", {"avatar_id": job["look_id"], "script": "Hi",
                                                    "voice_id": (await look_and_voice(mcp))[1]})
    assert "pending_consent" in text
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app)) as browser:
        assert (await browser.get(again["consent_url"])).status_code < 400  # the person approves
    clock.advance(3600)
    done = await call(mcp, "wait_for_job", {"job_id": job["job_id"]})
    assert done["status"] == "completed"
    look = await call(mcp, "create_avatar_look", {"avatar_id": job["look_id"], "prompt": "in a navy suit"})
    assert look["look_id"] != job["look_id"]


# -- account, templates, translation, webhooks ---------------------------------------------------------------
async def test_account_templates_translation_webhooks(mcp: Client, clock: Any, sandbox: Any) -> None:
    account = await call(mcp, "get_account")
    assert account["username"] and (account["credits_remaining"] is not None or account["balance"] is not None)

    for api in ("v3", "v2"):
        templates = await call(mcp, "list_templates", {"api": api})
        tid = templates["items"][0]["template_id"]
        job = await call(mcp, "create_template_video", {"template_id": tid, "variables": {}, "api": api})
        assert job["job_id"].startswith("video:")

    jobs = await call(mcp, "translate_video", {"video": "https://example.com/v.mp4",
                                               "languages": ["German", "French (Canada)"]})
    body = upstream(sandbox, "POST", "/v3/video-translations")[0].json
    assert body["output_languages"] == ["German (Germany)", "French (Canada)"]
    assert len(jobs["job_ids"]) == 2
    clock.advance(3600)
    status = await call(mcp, "wait_for_job", {"job_id": jobs["job_ids"][0]})
    assert status["done"] and status["kind"] == "translation"
    info = await call(mcp, "get_translation", {"translation_id": jobs["job_ids"][0]})
    assert info["status"] == "completed"
    saved = await call(mcp, "download_video", {"job_id": jobs["job_ids"][0]})
    assert Path(saved["path"]).stat().st_size > 0

    hook = await call(mcp, "add_webhook", {"url": "https://hooks.example.com/h", "events": ["avatar_video.success"]})
    assert hook["secret"].startswith("whsec_")
    assert hook["endpoint_id"] in {h["endpoint_id"] for h in (await call(mcp, "list_webhooks"))["items"]}
    assert (await call(mcp, "delete_webhook", {"endpoint_id": hook["endpoint_id"]}))["deleted"]


async def test_upstream_errors_read_as_next_steps(mcp: Client, sandbox: Any) -> None:
    sandbox.credits = 0
    look, voice = await look_and_voice(mcp)
    text = await error(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi"})
    assert "402" in text and "get_account" in text
    sandbox.faults.inject("GET", "/v3/users/me", "status", status=429, retry_after=900)
    text = await error(mcp, "get_account")
    assert "retry after 900 s" in text


async def test_a_failed_render_ends_the_wait_with_its_reason(mcp: Client, sandbox: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Doomed."})
    sandbox.fail_job(job["video_id"], "voice_unavailable", "The voice could not be synthesised")
    status = await call(mcp, "wait_for_job", {"job_id": job["job_id"], "max_wait_s": 30})
    assert status["done"] and status["status"] == "failed" and status["waited_s"] < 5
    assert status["failure"] == "voice_unavailable: The voice could not be synthesised"
    assert "charged again" in status["next_step"]
    text = await error(mcp, "download_video", {"job_id": job["job_id"]})
    assert "failed, not completed" in text


async def test_captioned_download_of_an_uncaptioned_video_says_why(mcp: Client, clock: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Plain."})
    clock.advance(3600)
    text = await error(mcp, "download_video", {"job_id": job["job_id"], "captioned": True})
    assert "no captioned copy" in text and "captions=true" in text


async def test_list_jobs_recovers_every_kind_of_job_id(mcp: Client, tmp_path: Path) -> None:
    look, voice = await look_and_voice(mcp)
    video = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "One."})
    agent = await call(mcp, "create_agent_video", {"prompt": "A short hello."})
    photo = tmp_path / "p.jpg"
    photo.write_bytes((MEDIA / "sample.jpg").read_bytes())
    avatar = await call(mcp, "create_photo_avatar", {"photo": str(photo), "name": "P"})
    jobs = (await call(mcp, "list_jobs", {"limit": 10}))["items"]
    ids = [j["job_id"] for j in jobs]
    assert ids[:3] == [avatar["job_id"], agent["job_id"], video["job_id"]]  # newest first, no duplicates
    assert len(ids) == len(set(ids))


async def test_an_unwritable_output_folder_is_a_tool_error_and_the_job_survives(
        tmp_path: Path, wire: Any, clock: Any, caplog: Any) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    settings = make_settings(tmp_path, heygen_output_dir=blocker / "out")
    async with Client(create_server(settings, transport=wire)) as client:
        look, voice = await look_and_voice(client)
        job = await call(client, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Hi."})
        listed = (await call(client, "list_jobs", {}))["items"]  # the job store lives elsewhere: it survives
        assert listed[0]["job_id"] == job["job_id"]
        clock.advance(3600)
        text = await error(client, "download_video", {"job_id": job["job_id"]})
    assert "Local file error" in text and "HEYGEN_OUTPUT_DIR" in text


def test_allowing_the_root_folder_is_warned_about(tmp_path: Path, caplog: Any) -> None:
    create_server(make_settings(tmp_path, heygen_allowed_dirs=[Path("/")]))
    assert "HEYGEN_ALLOWED_DIRS includes the root folder" in caplog.text
    caplog.clear()
    create_server(make_settings(tmp_path))
    assert "root folder" not in caplog.text


async def test_photo_avatar_cut_off_mid_create_is_not_paid_twice(tmp_path: Path, wire: Any, sandbox: Any) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes((MEDIA / "sample.jpg").read_bytes())
    settings = make_settings(tmp_path, heygen_max_retries=0)
    async with Client(create_server(settings, transport=wire)) as client:
        sandbox.faults.inject("POST", "/v3/avatars", "drop_after")  # HeyGen creates it; the answer is lost
        assert (await client.call_tool("create_photo_avatar", {"photo": str(photo), "name": "Me"})).is_error
        again = await call(client, "create_photo_avatar", {"photo": str(photo), "name": "Me"})
    posts = upstream(sandbox, "POST", "/v3/avatars")
    assert len(upstream(sandbox, "POST", "/v3/assets")) == 1  # the same photo is uploaded once
    assert posts[0].json == posts[1].json  # so the create is byte-identical on the second call...
    assert len({r.headers.get("idempotency-key") for r in posts}) == 1  # ...and its key replays the first
    mine = [lk.id for lk in sandbox.looks.values() if lk.name == "Me"]
    assert mine == [again["look_id"]]  # one avatar at HeyGen, not two


async def test_translating_a_video_job_twice_is_not_paid_twice(mcp: Client, sandbox: Any, clock: Any) -> None:
    look, voice = await look_and_voice(mcp)
    job = await call(mcp, "create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": "Translate me."})
    clock.advance(3600)
    first = await call(mcp, "translate_video", {"video": job["job_id"], "languages": ["German"]})
    clock.advance(5)  # HeyGen re-signs the video's URL on every read (contract getVideo: video_url is presigned)
    second = await call(mcp, "translate_video", {"video": job["job_id"], "languages": ["German"]})
    bodies = [r.json for r in upstream(sandbox, "POST", "/v3/video-translations")]
    assert bodies[0]["video"] != bodies[1]["video"]  # the presigned URL differs...
    assert second["translation_ids"] == first["translation_ids"]  # ...yet it is the same job, replayed


async def test_translate_video_names_a_job_that_is_not_a_video(mcp: Client, sandbox: Any, clock: Any) -> None:
    jobs = await call(mcp, "translate_video", {"video": "https://example.com/v.mp4", "languages": ["German"]})
    text = await error(mcp, "translate_video", {"video": jobs["job_ids"][0], "languages": ["German"]})
    assert "is a translation job, not a video" in text
    agent = await call(mcp, "create_agent_video", {"prompt": "A short hello."})
    text = await error(mcp, "translate_video", {"video": agent["job_id"], "languages": ["German"]})
    assert "has no video yet" in text or "no file yet" in text
    assert len(upstream(sandbox, "POST", "/v3/video-translations")) == 1  # only the first, valid one was sent
