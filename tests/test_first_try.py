"""An assistant gets it right on the first try (issue #18 §1 and §2).

Every test goes through a real MCP client and reads only what a model reads: the instructions, the listed tools
(descriptions and input schemas) and the text content of results (never ``structured_content``).

§1: the default set lists what people ask for (translation, speech audio, an old video) within 16 KB; no listed
text (descriptions, schemas, the instructions' routes, errors) sends a model to a tool that is not listed without
saying how to get it; the instructions give each tool that is not listed one line; calling one answers with its
exact arguments. §2: SKILL.md, the instructions and the descriptions name the same route for each kind of request,
in the same words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ListToolsResult, TextContent, Tool

from conftest import make_settings
from heygen_studio.server import create_server
from heygen_studio.tools import toolsets

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
HIDDEN_HEADING = "\nNot listed here"
ROUTE_LINE = re.compile(r"^- (.+) → (\w+)$")


def said(result: CallToolResult) -> str:
    """The text a model reads."""
    return "\n".join(item.text for item in result.content if isinstance(item, TextContent))


def shown(result: CallToolResult) -> Any:
    """A result's JSON text, its tables (``{"same", "columns", "rows"}``) read back as rows."""
    def rows(value: Any) -> Any:
        if isinstance(value, dict) and {"columns", "rows"} <= value.keys():
            return [{**value.get("same", {}), **{k: v for k, v in zip(value["columns"], row, strict=True)
                                                 if v is not None}} for row in value["rows"]]
        if isinstance(value, dict):
            return {k: rows(v) for k, v in value.items()}
        return value
    assert not result.is_error, said(result)
    return rows(json.loads(said(result)))


def listed_text(tool: Tool) -> str:
    """Everything a model reads about a listed tool."""
    return f"{tool.description}\n{json.dumps(tool.input_schema)}"


async def surface(tmp_path: Path, sets: str, wire: Any = None) -> tuple[list[Tool], str]:
    async with Client(create_server(make_settings(tmp_path, heygen_toolsets=sets), transport=wire)) as client:
        return (await client.list_tools()).tools, client.instructions or ""


async def every_tool(tmp_path: Path) -> dict[str, Tool]:
    tools, _ = await surface(tmp_path, "all")
    return {tool.name: tool for tool in tools}


def routes_in(instructions: str) -> list[tuple[str, str]]:
    """The instructions' route lines ("- when → tool"), before the list of tools not listed."""
    head = instructions.split(HIDDEN_HEADING, 1)[0]
    return [(m.group(1), m.group(2)) for line in head.splitlines() if (m := ROUTE_LINE.match(line))]


def hidden_lines(instructions: str) -> dict[str, tuple[str, str]]:
    """tool → (set, what it does), from the instructions' list of tools not listed ("- tool (set): …")."""
    if HIDDEN_HEADING not in instructions:
        return {}
    tail = instructions.split(HIDDEN_HEADING, 1)[1]
    found = {}
    for line in tail.splitlines()[1:]:
        match = re.match(r"^- (\w+) \((\w+)\): (.+)$", line)
        assert match, f"not one line per tool: {line!r}"
        found[match.group(1)] = (match.group(2), match.group(3))
    return found


def skill_routes() -> list[tuple[str, str, str | None]]:
    """SKILL.md's route table: (when, tool, its toolset or None)."""
    section = (ROOT / "SKILL.md").read_text(encoding="utf-8").split("## Choose the route", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 4 or not (tool := re.match(r"`(\w+)`", cells[2])):
            continue
        group = re.search(r"\(toolset `(\w+)`\)", cells[2])
        rows.append((cells[1], tool.group(1), group.group(1) if group else None))
    return rows


# -- §1: the default set ----------------------------------------------------------------------------------------
async def test_the_default_set_lists_translation_speech_and_old_videos_in_16_kb(tmp_path: Path) -> None:
    tools, instructions = await surface(tmp_path, "default")
    names = {tool.name for tool in tools}
    assert {"translate_video", "create_speech", "list_videos"} <= names
    wire = len(ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True).encode())
    assert wire <= 16 * 1024, wire
    routed = [tool for _, tool in routes_in(instructions)]
    assert routed and set(routed) <= names, "every route the instructions name is listed"
    assert {"translate_video", "create_speech", "list_videos", "produce_video", "create_avatar_video"} <= set(routed)


@pytest.mark.parametrize("sets", ["default", *[s for s in toolsets.SETS if s != toolsets.DEFAULT]])
async def test_nothing_listed_points_at_a_tool_that_is_not_listed(tmp_path: Path, sets: str) -> None:
    every = await every_tool(tmp_path)
    tools, instructions = await surface(tmp_path, sets)
    listed = {tool.name for tool in tools}
    for tool in tools:
        named = set(NAME.findall(listed_text(tool))) & every.keys()
        assert named <= listed, f"{tool.name} names {sorted(named - listed)}, not listed with HEYGEN_TOOLSETS={sets}"
    head = instructions.split(HIDDEN_HEADING, 1)[0]
    named = set(NAME.findall(head)) & every.keys()
    assert named <= listed, f"the instructions route to {sorted(named - listed)}, not listed with {sets}"
    # … and give every tool that is not listed one line: what it does, and its set
    lines = hidden_lines(instructions)
    assert set(lines) == every.keys() - listed
    for tool, (group, does) in lines.items():
        assert group == toolsets.TOOLSETS[tool] and 10 <= len(does) <= 70, (tool, does)
    if lines:
        assert f"HEYGEN_TOOLSETS={toolsets.DEFAULT},<set>" in instructions


def arguments(text: str) -> list[tuple[str, bool]]:
    """(name, required) of each argument in "a: string (required), b: {x, y}[], c: 'p'|'q'"."""
    found, depth, part = [], 0, ""
    for char in text + ",":
        depth += (char == "{") - (char == "}")
        if char == "," and depth == 0:
            name, _, kind = part.strip().partition(": ")
            found.append((name, kind.endswith("(required)")))
            part = ""
        else:
            part += char
    return found


async def test_a_tool_that_is_not_listed_answers_with_its_exact_arguments(tmp_path: Path, wire: Any,
                                                                         sandbox: Any) -> None:
    every = await every_tool(tmp_path)
    settings = make_settings(tmp_path, heygen_toolsets="default")
    async with Client(create_server(settings, transport=wire)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        for name in sorted(every.keys() - listed):
            result = await client.call_tool(name, {})
            text = said(result)
            assert result.is_error and "Nothing was sent or charged." in text, text
            assert f"HEYGEN_TOOLSETS=default,{toolsets.TOOLSETS[name]}" in text and "restart" in text
            match = re.search(rf"Once enabled, {name} takes: (.+)\.$", text)
            assert match, text
            schema = every[name].input_schema
            assert arguments(match.group(1)) == [(arg, arg in schema.get("required", ()))
                                                 for arg in schema["properties"]], text
            named = set(NAME.findall(text.split(" Once enabled, ")[0])) & every.keys()
            assert named <= listed | {name}, f"{name}'s answer points at {sorted(named - listed - {name})}"
        photo = said(await client.call_tool("create_photo_avatar", {"photo": "https://example.com/p.jpg"}))
        assert "create_avatar_video(image=" in photo  # what does the job meanwhile, listed
    assert sandbox.requests == []


async def test_an_error_naming_a_tool_that_is_not_listed_says_how_to_get_it(tmp_path: Path, wire: Any) -> None:
    settings = make_settings(tmp_path, heygen_toolsets="default")
    async with Client(create_server(settings, transport=wire)) as client:
        result = await client.call_tool("create_avatar_video", {
            "avatar_id": "Abigail_expressive_2024112501", "script": "Hello.", "background_image": "./bg.png"})
        text = said(result)
        assert result.is_error and "upload_asset" in text
        assert "upload_asset is in the 'assets' toolset" in text and "HEYGEN_TOOLSETS=default,assets" in text
    async with Client(create_server(make_settings(tmp_path), transport=wire)) as client:  # every set: no note
        text = said(await client.call_tool("create_avatar_video", {
            "avatar_id": "Abigail_expressive_2024112501", "script": "Hello.", "background_image": "./bg.png"}))
        assert "upload_asset" in text and "toolset" not in text


async def test_everyday_requests_work_with_the_default_set(tmp_path: Path, wire: Any, clock: Any) -> None:
    """A talking photo, the same video in three languages, speech audio, and an old video found and saved again:
    each on the route the instructions name, reading ids from the text."""
    settings = make_settings(tmp_path, heygen_toolsets="default")
    async with Client(create_server(settings, transport=wire)) as client:
        routes = dict((tool, when) for when, tool in routes_in(client.instructions or ""))
        assert "photo" in routes["create_avatar_video"] and "languages" in routes["translate_video"]
        assert "audio" in routes["create_speech"] and "earlier" in routes["list_videos"]

        async def call(name: str, args: dict[str, Any]) -> Any:
            return shown(await client.call_tool(name, args))

        voice = (await call("list_voices", {"language": "English"}))["items"][0]["voice_id"]
        photo = await call("create_avatar_video", {"image": "https://example.com/face.jpg", "voice_id": voice,
                                                   "script": "Hello from a photo.", "title": "Quarterly update"})
        clock.advance(3600)
        assert (await call("wait_for_job", {"job_id": photo["job_id"]}))["done"]

        made = await call("translate_video", {"video": photo["job_id"],
                                              "languages": ["Spanish (Spain)", "German", "French (France)"]})
        assert len(made["job_ids"]) == 3
        clock.advance(3600)
        for job in made["job_ids"]:
            assert (await call("wait_for_job", {"job_id": job}))["done"]
            assert said(await client.call_tool("download_video", {"job_id": job})).startswith("Saved ")

        speech = await client.call_tool("create_speech", {"text": "Thanks for watching.", "voice_id": voice})
        assert not speech.is_error and re.search(r"Use audio='\w+' in create_avatar_video", said(speech))

        old = (await call("list_videos", {"title": "Quarterly update"}))["items"]
        assert [row["title"] for row in old] == ["Quarterly update"]
        saved = said(await client.call_tool("download_video", {"job_id": old[0]["video_id"]}))
        assert saved.startswith("Saved ") and saved.split()[-1].endswith(".mp4")


# -- §2: one route per kind of request ------------------------------------------------------------------------
async def test_the_skill_the_instructions_and_the_descriptions_name_the_same_routes(tmp_path: Path) -> None:
    every = await every_tool(tmp_path)
    _, everything = await surface(tmp_path, "all")
    skill = skill_routes()
    instructed = routes_in(everything)
    assert instructed, "the instructions list the routes"
    assert [(when, tool) for when, tool, _ in skill] == instructed, "SKILL.md and the instructions differ"
    described = {name: tool.description.split(": ", 1)[0].removeprefix("For ")
                 for name, tool in every.items() if (tool.description or "").startswith("For ")}
    assert described == {tool: when for when, tool in instructed}, "descriptions start 'For <when>:' per route"
    assert len({tool for _, tool in instructed}) == len(instructed), "one line per route tool"
    assert len({when for when, _ in instructed}) == len(instructed), "one tool per kind of request"
    # SKILL.md marks a route whose tool is not in the default set with its toolset; the default instructions list
    # exactly the routes whose tool is listed
    tools, default = await surface(tmp_path, "default")
    listed = {tool.name for tool in tools}
    for when, tool, group in skill:
        assert group == (None if tool in listed else toolsets.TOOLSETS[tool]), (when, tool, group)
    assert routes_in(default) == [(when, tool) for when, tool in instructed if tool in listed]
