"""Hostile input to the tools (issue #8 §2 "Input", and the cases the test table found): every free string has a
bound in its listed schema, junk ends in a ToolError with a next step, and nothing refused reaches HeyGen or the
script model. Tool schemas are read from the server, so a new tool or argument is covered too."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from mcp import Client

from conftest import make_settings
from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio
HIDDEN = "Error executing tool"
NOTHING = "Nothing was sent or charged"


async def listed(mcp: Client) -> dict[str, dict[str, Any]]:
    return {t.name: t.input_schema for t in (await mcp.list_tools()).tools}


def _bounded_pattern(pattern: str) -> bool:
    """An anchored pattern with no unbounded repetition bounds the string's length by itself."""
    return pattern.startswith("^") and pattern.endswith("$") and not re.search(r"[*+]|\{\d+,\}", pattern)


def strings(node: Any, where: str, defs: dict[str, Any]) -> list[tuple[str, bool]]:
    """Every string schema under ``node`` (following $refs, unions, objects, arrays and maps): its path, and
    whether it is bounded (maxLength, enum, const or a bounded pattern)."""
    if not isinstance(node, dict):
        return []
    out = []
    ref = node.get("$ref")
    if isinstance(ref, str):
        out += strings(defs[ref.rsplit("/", 1)[-1]], where, defs)
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types:
        out.append((where, "maxLength" in node or "enum" in node or "const" in node
                    or _bounded_pattern(node.get("pattern", ""))))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in node.get(key, []):
            out += strings(sub, where, defs)
    for name, sub in node.get("properties", {}).items():
        out += strings(sub, f"{where}.{name}", defs)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out += strings(node[key], f"{where}[]" if key == "items" else f"{where}{{}}", defs)
    return out


def unbounded_strings(schemas: dict[str, dict[str, Any]]) -> list[str]:
    return [path for name, schema in schemas.items()
            for path, bounded in strings(schema, name, schema.get("$defs", {})) if not bounded]


def string_slots(node: dict[str, Any]) -> list[tuple[str, bool, int]]:
    """Top-level arguments that take a free string: name, whether it is a list of strings, and the limit."""
    out = []
    for name, prop in node.get("properties", {}).items():
        if prop.get("type") == "string" and "enum" not in prop:
            out.append((name, False, prop.get("maxLength", 0)))
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "string":
            out.append((name, True, prop["items"].get("maxLength", 0)))
    return out


# -- 2. every free string has a length limit in its schema ----------------------------------------------------------
async def test_every_string_in_every_listed_schema_has_a_bound(mcp: Client) -> None:
    schemas = await listed(mcp)
    assert unbounded_strings(schemas) == []
    walked = {path for name, s in schemas.items() for path, _ in strings(s, name, s.get("$defs", {}))}
    assert {"create_studio_video.scenes[].background_image", "translate_video.languages[]",
            "create_agent_video.files[]", "list_videos.next_token"} <= walked  # nested and listed strings are seen


async def test_every_string_argument_refuses_200000_characters_clearly(mcp: Client, sandbox: Any) -> None:
    junk = "x" * 200_000
    checked, roomy = 0, []
    for name, schema in (await listed(mcp)).items():
        for arg, is_list, limit in string_slots(schema):
            if limit >= len(junk):
                roomy.append(f"{name}.{arg}")
                continue
            result = await mcp.call_tool(name, {arg: [junk] if is_list else junk})
            text = result.content[0].text
            assert result.is_error and text.strip() != f"{HIDDEN} {name}", (name, arg, text[:200])
            assert re.search(rf"Argument '{re.escape(arg)}(\[0\])?' has 200000 characters; at most \d+ characters",
                             text), (name, arg, text[:300])
            assert NOTHING in text and len(text) < 400, (name, arg, text[:300])
            checked += 1
    assert checked >= 60 and roomy == ["upload_asset.base64_data"]  # 32 MB of base64 is allowed there
    assert sandbox.requests == []  # no upstream request, no model call


@pytest.mark.parametrize("arg", ["next_token", "language"])
async def test_long_next_token_and_language_say_what_to_do(mcp: Client, sandbox: Any, arg: str) -> None:
    result = await mcp.call_tool("list_voices", {arg: "y" * 200_000})
    text = result.content[0].text
    assert result.is_error and text.startswith("Error executing tool list_voices: Argument"), text[:200]
    assert ("previous page" in text) if arg == "next_token" else ("shorten it" in text), text
    assert sandbox.requests == []


async def test_a_long_string_nested_in_a_scene_is_named(mcp: Client, sandbox: Any) -> None:
    scenes = [{"avatar_id": "a", "voice_id": "v", "script": "Hi."},
              {"silence_s": 2, "background_image": "https://example.com/" + "i" * 5000}]
    result = await mcp.call_tool("create_studio_video", {"scenes": scenes})
    text = result.content[0].text
    assert result.is_error and "'scenes[1].background_image' has 5020 characters; at most 2048" in text, text
    assert sandbox.requests == []


async def test_without_the_manifest_the_signatures_bound_strings_too(tmp_path: Any, wire: Any,
                                                                     sandbox: Any) -> None:
    """The listed schema is the manifest; the tools' own signatures (what the SDK validates) carry the same bounds."""
    server = create_server(make_settings(tmp_path), transport=wire)
    server.register_modules()  # the eager path: schemas derived from the signatures now
    schemas = {t.name: t.input_schema for t in await server.list_tools()}
    assert unbounded_strings(schemas) == []


# -- 3. produce_video checks its own input before the script model is called -----------------------------------------
def chats(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/chat/completions")]


def paid(sandbox: Any) -> list[str]:
    return [f"{r.method} {r.path}" for r in sandbox.requests if r.method != "GET"]


@pytest.mark.parametrize(("args", "says"), [
    ({"avatar_id": "no_such_look"}, "avatar look 'no_such_look' not found"),
    ({"voice_id": "no_such_voice"}, "voice 'no_such_voice' not found"),
    ({"avatar_id": "bad/id"}, "avatar_id 'bad/id' is not a valid HeyGen id"),
    ({"language": "Klingon"}, "No voice for language 'Klingon'"),
], ids=["unknown-avatar", "unknown-voice", "malformed-avatar", "language-without-voices"])
async def test_produce_video_refuses_bad_ids_before_the_script_model(mcp: Client, sandbox: Any,
                                                                     args: dict[str, Any], says: str) -> None:
    result = await mcp.call_tool("produce_video", {"brief": "A short welcome to our bakery", **args})
    text = result.content[0].text
    assert result.is_error and says in text, text
    assert chats(sandbox) == [], "the script model was called for input that was then refused"
    assert paid(sandbox) == []


@pytest.mark.parametrize("route", ["avatar", "studio", "agent"])
async def test_produce_video_takes_a_long_brief(mcp: Client, sandbox: Any, route: str) -> None:
    """A brief of 199+ characters used to fail every time: the drafted title was over 200 characters and the error
    asked to fix a `title` argument produce_video does not have."""
    brief = ("A warm, upbeat welcome to the Corner Street Bakery for first-time visitors, covering our sourdough, "
             "the morning pastry schedule, where to park, our loyalty card and the seasonal specials board. ") * 3
    assert len(brief) > 400
    result = await mcp.call_tool("produce_video", {"brief": brief.strip(), "route": route, "max_wait_s": 1})
    assert not result.is_error, result.content[0].text
    produced = result.structured_content
    assert produced["job_id"] and 0 < len(produced["title"]) <= 200, produced["title"]
    assert len(chats(sandbox)) == 1


# -- 5. cases the test table found: refused locally, with what to pass instead ----------------------------------------
async def catalogue(mcp: Client) -> tuple[str, str]:
    look = (await mcp.call_tool("list_avatars", {"limit": 1})).structured_content["items"][0]["id"]
    voice = (await mcp.call_tool("list_voices", {"language": "en", "limit": 1})).structured_content
    return look, voice["items"][0]["voice_id"]


async def refused(mcp: Client, sandbox: Any, tool: str, args: dict[str, Any], *says: str) -> str:
    """``tool(args)`` is a deliberate ToolError saying each of ``says``, and nothing was created or paid for."""
    before = len(sandbox.requests)
    result = await mcp.call_tool(tool, args)
    text = result.content[0].text
    assert result.is_error and text.startswith(f"Error executing tool {tool}: "), text
    assert not text.removeprefix(f"Error executing tool {tool}: ").startswith(HIDDEN), text
    for fragment in says:
        assert fragment in text, text
    assert [f"{r.method} {r.path}" for r in sandbox.requests[before:] if r.method != "GET"] == []
    return text


@pytest.mark.parametrize("field", ["background_image", "background_video", "audio"])
@pytest.mark.parametrize("value", ["/tmp/slide.png", "slides/intro.png", "ftp://files.example.com/slide.png"],
                         ids=["abs-path", "rel-path", "ftp"])
async def test_studio_scene_media_must_be_a_url_or_an_asset_id(mcp: Client, sandbox: Any, field: str,
                                                               value: str) -> None:
    look, voice = await catalogue(mcp)
    scene: dict[str, Any] = {"avatar_id": look, field: value}
    scene.update({"silence_s": 2} if field != "audio" else {})
    scenes = [{"avatar_id": look, "voice_id": voice, "script": "Hello."}, scene]
    text = await refused(mcp, sandbox, "create_studio_video", {"scenes": scenes}, f"scene 2 {field}")
    assert ("http(s) URL" in text) and ("upload_asset" in text), text
    assert [r for r in sandbox.requests if r.path == "/v2/video/generate"] == []
    assert [r for r in sandbox.requests if r.method == "GET"] == [r for r in sandbox.requests[:2]]  # only catalogue


@pytest.mark.parametrize("field", ["background_image", "audio"])
async def test_avatar_video_media_must_be_a_url_or_an_asset_id(mcp: Client, sandbox: Any, field: str) -> None:
    look, voice = await catalogue(mcp)
    args = {"avatar_id": look, "voice_id": voice, "script": "Hi.", field: "/tmp/x.png"}
    if field == "audio":
        args.pop("script")
    await refused(mcp, sandbox, "create_avatar_video", args, field, "upload_asset")


@pytest.mark.parametrize(("tool", "args", "says"), [
    ("create_agent_video", {"prompt": " \n\t "}, "prompt is blank"),
    ("reply_to_agent", {"session_id": "agent:abc", "message": "   "}, "message is blank"),
    ("create_photo_avatar", {"photo": "https://example.com/me.jpg", "name": "  "}, "name is blank"),
    ("create_avatar_look", {"avatar_id": "abc", "prompt": "   "}, "prompt is blank"),
    ("create_avatar_look", {"avatar_id": "abc", "prompt": "In a suit", "name": " "}, "name is blank"),
    ("create_avatar_video", {"avatar_id": "abc", "script": "   "}, "script is blank"),
    ("produce_video", {"brief": "     "}, "brief is blank"),
    ("write_script", {"topic": "     "}, "topic is blank"),
], ids=lambda v: v if isinstance(v, str) and v.isidentifier() else None)
async def test_blank_text_is_refused_before_anything_is_sent(mcp: Client, sandbox: Any, tool: str,
                                                            args: dict[str, Any], says: str) -> None:
    await refused(mcp, sandbox, tool, args, says)
    assert sandbox.requests == []


@pytest.mark.parametrize(("tool", "args"), [
    ("create_agent_video", {"prompt": "A welcome", "files": ["ftp://files.example.com/deck.pdf"]}),
    ("reply_to_agent", {"session_id": "agent:abc", "message": "Use this", "files": ["ftp://h/x.png"]}),
    ("create_photo_avatar", {"photo": "ftp://files.example.com/me.jpg", "name": "Me"}),
    ("create_avatar_video", {"image": "ftp://files.example.com/me.jpg", "script": "Hi.", "voice_id": "v"}),
    ("translate_video", {"video": "ftp://files.example.com/v.mp4", "languages": ["German"]}),
    ("create_photo_avatar", {"photo": "file:///tmp/me.jpg", "name": "Me"}),
])
async def test_a_url_that_is_not_http_is_not_taken_for_a_path(mcp: Client, sandbox: Any, tool: str,
                                                              args: dict[str, Any]) -> None:
    text = await refused(mcp, sandbox, tool, args, "http(s) URL")
    assert "No file at" not in text and "outside the allowed folders" not in text, text
    assert sandbox.requests == []


@pytest.mark.parametrize("tool", ["list_videos", "list_assets", "list_webhooks", "list_voices", "list_avatars",
                                  "list_templates", "list_agent_styles"])
@pytest.mark.parametrize("token", ["forged", "eyJvZmZzZXQiOjF9", "o12x"])
async def test_a_forged_next_token_is_refused_locally_on_every_list(mcp: Client, sandbox: Any, tool: str,
                                                                    token: str) -> None:
    await refused(mcp, sandbox, tool, {"next_token": token}, "next_token is not one this server issued")
    assert sandbox.requests == []


@pytest.mark.parametrize("tool", ["list_videos", "list_assets", "list_webhooks"])
async def test_the_next_token_a_list_gave_pages_on(mcp: Client, sandbox: Any, clock: Any, tool: str) -> None:
    if tool == "list_videos":
        look, voice = await catalogue(mcp)
        for n in range(3):
            await mcp.call_tool("create_avatar_video", {"avatar_id": look, "voice_id": voice, "script": f"Take {n}."})
    elif tool == "list_assets":
        png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5"
                               "ErkJggg==")
        for n in range(3):  # three files, not one: the same bytes are one asset
            data = base64.b64encode(png + bytes([n])).decode()
            await mcp.call_tool("upload_asset", {"base64_data": data, "filename": f"dot{n}.png"})
    else:
        for n in range(3):
            await mcp.call_tool("add_webhook", {"url": f"https://hooks.example.com/{n}"})
    first = await mcp.call_tool(tool, {"limit": 2})
    token = first.structured_content["next_token"]
    assert token
    second = await mcp.call_tool(tool, {"limit": 2, "next_token": token})
    assert not second.is_error, second.content[0].text
    assert second.structured_content["items"]
    ids = [next(iter(row.values())) for row in first.structured_content["items"] + second.structured_content["items"]]
    assert len(set(ids)) == len(ids)  # the second page is the next page, not the first again


async def test_translate_video_says_what_to_pass_for_a_local_path_before_any_request(mcp: Client,
                                                                                    sandbox: Any) -> None:
    text = await refused(mcp, sandbox, "translate_video", {"video": "/tmp/talk.mp4", "languages": ["German"]},
                         "not a local path", "upload_asset(path=", "asset_id")
    assert "is not a valid HeyGen id" not in text, text
    assert sandbox.requests == []  # not even the language list
