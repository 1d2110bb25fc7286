"""Toolsets (issue 9 §7): a small default surface, the rest on request, and compact result text.

Over an in-memory MCP client against the sandbox: what ``tools/list`` lists and weighs for the default set
and for ``all``, what calling a tool of a set that is not enabled answers (and that nothing is sent), that an
unknown name is still -32602, that every tool is in exactly one set, and that the text a model reads is
compact while the structured content stays whole and valid.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client, MCPError
from mcp.types import ListToolsResult, TextContent

from conftest import make_settings
from heygen_studio.server import INSTRUCTIONS, create_server
from heygen_studio.settings import SettingsError, load_settings
from heygen_studio.tools import registry, text, toolsets

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(toolsets.__file__)
DEFAULT_TOOLS = {tool for tool, group in toolsets.TOOLSETS.items() if group == toolsets.DEFAULT}
ADD_A_ROW = f"add one row per tool (name → set) to TOOLSETS in {TABLE.name}"


def wire_bytes(tools: list[Any]) -> int:
    """tools/list as a client receives it (bench/budget.py measures the same over stdio)."""
    return len(ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True).encode())


async def registered() -> list[str]:
    server = registry.ToolServer("every tool")
    server.register_modules()
    return sorted(await server.known_tools())


# -- the table --------------------------------------------------------------------------------------------
async def test_every_tool_is_in_exactly_one_toolset() -> None:
    tools = await registered()
    in_no_set = sorted(set(tools) - toolsets.TOOLSETS.keys())
    assert in_no_set == [], f"tools in no toolset: {in_no_set}; {ADD_A_ROW}"
    stale = sorted(toolsets.TOOLSETS.keys() - set(tools))
    assert stale == [], f"TOOLSETS names tools that are not registered: {stale}; remove or rename the rows"
    unknown = {tool: group for tool, group in toolsets.TOOLSETS.items() if group not in toolsets.SETS}
    assert unknown == {}, f"rows naming a set that is not in SETS: {unknown}"
    # A dict literal keeps the last of two equal keys without a word: a tool listed twice would land in one set
    # silently (a merge adding a row that is already there, under another set).
    table = next(node.value for node in ast.walk(ast.parse(TABLE.read_text()))
                 if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "TOOLSETS")
    keys = [key.value for key in table.keys]  # type: ignore[attr-defined]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert twice == [], f"tools in more than one row of TOOLSETS: {twice}; keep one row per tool"
    manifest = json.loads(registry.MANIFEST.read_text())
    assert sorted(t["name"] for t in manifest["tools"]) == tools


def documented_sets(path: Path, heading: str) -> dict[str, set[str]]:
    """set → tools, from the Markdown table under ``heading`` ("| `set` … | `tool`, `tool` … |")."""
    section = path.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
    found: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) > 3 and (name := re.match(r"\s*`(\w+)`", cells[1])):
            found[name.group(1)] = set(re.findall(r"`(\w+)`", cells[2])) & toolsets.TOOLSETS.keys()
    return found


def test_the_docs_list_each_set_as_the_table_does() -> None:
    by_set: dict[str, set[str]] = {}
    for tool, group in toolsets.TOOLSETS.items():
        by_set.setdefault(group, set()).add(tool)
    readme = documented_sets(ROOT / "README.md", "## The tools")
    assert readme == by_set, "README.md's toolset table differs from TOOLSETS"
    reference = documented_sets(ROOT / "references" / "authentication.md", "## Toolsets")
    assert reference == {k: v for k, v in by_set.items() if k != toolsets.DEFAULT}, \
        "references/authentication.md's toolset table differs from TOOLSETS"
    section = (ROOT / "references" / "authentication.md").read_text(encoding="utf-8").split("## Toolsets", 1)[1]
    assert set(re.findall(r"`(\w+)`", section.split("|", 1)[0])) >= DEFAULT_TOOLS, "the default set's paragraph"


def test_the_settings_name_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().heygen_toolsets == ("default",)
    monkeypatch.setenv("HEYGEN_TOOLSETS", " Avatars,templates ,")
    assert load_settings().heygen_toolsets == ("default", "avatars", "templates")
    monkeypatch.setenv("HEYGEN_TOOLSETS", "all")
    assert load_settings().heygen_toolsets == tuple(toolsets.SETS)
    monkeypatch.setenv("HEYGEN_TOOLSETS", "default,avatar")
    with pytest.raises(SettingsError, match=r"HEYGEN_TOOLSETS: unknown toolset 'avatar'; choose from default, .*s"):
        load_settings()


# -- listing -------------------------------------------------------------------------------------------------
async def test_default_lists_the_workflow_in_16_kb_and_all_lists_every_tool_in_1_kb_each(tmp_path: Path) -> None:
    async with Client(create_server(make_settings(tmp_path, heygen_toolsets="default"))) as client:
        default = (await client.list_tools()).tools
        instructions = client.instructions
    assert {t.name for t in default} == DEFAULT_TOOLS
    assert {"list_avatars", "list_voices", "create_avatar_video", "create_studio_video", "create_agent_video",
            "wait_for_job", "download_video", "list_jobs", "get_account", "read_reference",
            "translate_video", "create_speech", "list_videos"} <= DEFAULT_TOOLS  # what people ask for (issue #18 §1)
    assert wire_bytes(default) <= 16 * 1024, wire_bytes(default)
    # The instructions say which set holds each tool that is not listed, and how to add it.
    assert instructions is not None and instructions.startswith(INSTRUCTIONS.split("\n- ", 1)[0])
    assert "HEYGEN_TOOLSETS=default,<set>" in instructions
    assert "\n- create_photo_avatar (avatars): " in instructions

    async with Client(create_server(make_settings(tmp_path, heygen_toolsets="all"))) as client:
        every = (await client.list_tools()).tools
        assert client.instructions == INSTRUCTIONS
    assert sorted(t.name for t in every) == await registered()
    assert wire_bytes(every) <= 1024 * len(every), wire_bytes(every) / len(every)


async def test_a_set_adds_its_tools_and_listing_imports_nothing(tmp_path: Path) -> None:
    server = create_server(make_settings(tmp_path, heygen_toolsets="templates,webhooks"))
    assert server.from_manifest
    names = {t.name for t in await server.list_tools()}
    assert names == DEFAULT_TOOLS | {"list_templates", "create_template_video", "list_webhooks", "add_webhook",
                                     "delete_webhook"}
    assert server.pending_tools == set(await registered())  # listed from the manifest; no tool imported yet


@pytest.mark.slow
async def test_heygen_toolsets_over_stdio(tmp_path: Path) -> None:
    """What a host starting ``heygen-studio serve`` gets: the default set, or what HEYGEN_TOOLSETS adds."""
    from test_transports import child_env, stdio_server

    async with stdio_server(child_env(tmp_path, HEYGEN_TOOLSETS="default"), tmp_path) as client:
        assert {t.name for t in (await client.list_tools()).tools} == DEFAULT_TOOLS
        refused = await client.call_tool("get_avatar", {"avatar_id": "Abigail_expressive_2024112501"})
        assert refused.is_error and "HEYGEN_TOOLSETS=default,avatars" in refused.content[0].text
    async with stdio_server(child_env(tmp_path, HEYGEN_TOOLSETS="avatars"), tmp_path) as client:
        assert {t.name for t in (await client.list_tools()).tools} == DEFAULT_TOOLS | {
            "get_avatar", "create_photo_avatar", "create_avatar_look", "create_avatar", "manage_avatar"}
        found = await client.call_tool("get_avatar", {"avatar_id": "Abigail_expressive_2024112501"})
        assert not found.is_error and found.structured_content["default_voice_id"]


# -- calling -------------------------------------------------------------------------------------------------
async def test_a_tool_of_a_set_not_enabled_says_which_set_and_sends_nothing(tmp_path: Path, wire: Any,
                                                                             sandbox: Any) -> None:
    settings = make_settings(tmp_path, heygen_toolsets="templates")
    async with Client(create_server(settings, transport=wire)) as client:
        result = await client.call_tool("create_photo_avatar", {"photo": "https://example.com/p.jpg", "name": "x"})
        assert result.is_error and result.structured_content is None
        said = result.content[0].text
        assert said.startswith("Error executing tool create_photo_avatar: ")
        assert "'avatars' toolset" in said and "HEYGEN_TOOLSETS=default,avatars,templates" in said
        assert "restart" in said and "Nothing was sent or charged." in said
        # a name that exists in no set is still a protocol error
        with pytest.raises(MCPError) as info:
            await client.call_tool("create_photo_avatars", {})
        assert info.value.error.code == -32602
        # an enabled opt-in set's tool works
        assert not (await client.call_tool("list_templates", {"limit": 1})).is_error
    assert not [r for r in sandbox.requests if "/avatars" in r.path]


async def test_read_reference_names_the_set_of_a_tool_not_enabled(tmp_path: Path, wire: Any) -> None:
    args = {"query": "photo avatar consent link", "max_chars": 3000}
    async with Client(create_server(make_settings(tmp_path, heygen_toolsets="default"), transport=wire)) as client:
        found = (await client.call_tool("read_reference", args)).structured_content
        assert "create_photo_avatar" in json.dumps(found["sections"])
        note = found["not_enabled"]
        assert "create_photo_avatar" in note and "(avatars toolset)" in note
        assert "HEYGEN_TOOLSETS=default,avatars" in note
        plain = (await client.call_tool("read_reference", {"topic": "scripts", "max_chars": 600})).structured_content
        assert plain.get("not_enabled") is None  # nothing it names is missing
    async with Client(create_server(make_settings(tmp_path, heygen_toolsets="all"), transport=wire)) as client:
        assert (await client.call_tool("read_reference", args)).structured_content["not_enabled"] is None


# -- result text ---------------------------------------------------------------------------------------------
def table_rows(shown: Any) -> list[dict[str, Any]]:
    """The rows of a rendered list, as objects again."""
    if isinstance(shown, list):
        return shown
    return [{**shown.get("same", {}), **{k: v for k, v in zip(shown["columns"], row, strict=True) if v is not None}}
            for row in shown["rows"]]


async def test_result_text_is_compact_and_structured_content_whole(mcp: Client) -> None:
    result = await mcp.call_tool("list_avatars", {})
    structured = result.structured_content
    schema = json.loads((await mcp.read_resource("heygen://schemas/list_avatars")).contents[0].text)
    jsonschema.validate(structured, schema)
    rows = structured["items"]
    assert len(rows) == 10 and all("status" in row and row["status"] is None for row in rows)  # nulls kept there
    assert all(row["group_id"] and row["default_voice_id"] for row in rows)

    [item] = [c for c in result.content if isinstance(c, TextContent)]
    assert "\n" not in item.text and ": " not in item.text and "null" not in item.text
    shown = json.loads(item.text)
    assert shown["items"]["same"] == {"kind": "look"}  # shared by every row: said once
    assert "group_id" not in item.text and "default_voice_id" not in item.text  # structured-only (x-text: false)
    hidden = {"group_id", "default_voice_id"}
    assert table_rows(shown["items"]) == [{k: v for k, v in text.prune(row).items() if k not in hidden}
                                          for row in rows]
    assert len(item.text.encode()) / len(rows) <= 150

    voices = await mcp.call_tool("list_voices", {"limit": 10})
    assert len(voices.content[0].text.encode()) / len(voices.structured_content["items"]) <= 150
    assert table_rows(json.loads(voices.content[0].text)["items"]) == voices.structured_content["items"]


async def test_errors_and_tool_written_text_are_left_alone(mcp: Client) -> None:
    bad = await mcp.call_tool("get_video", {"job_id": "video:0000000000000000"})
    assert bad.is_error and bad.content[0].text.startswith("Error executing tool get_video: ")
    empty = await mcp.call_tool("list_jobs", {})
    assert empty.content[0].text == '{"items":[]}'  # an empty page still says so


async def test_the_avatar_flow_reads_under_3_kb(mcp: Client, clock: Any) -> None:
    read = 0

    texts: list[str] = []

    async def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
        nonlocal read
        result = await mcp.call_tool(name, args)
        assert not result.is_error, result.content[0].text
        texts.extend(c.text for c in result.content if isinstance(c, TextContent))
        read += len(texts[-1].encode())
        return result.structured_content

    look = (await call("list_avatars", {}))["items"][0]["id"]
    voice = (await call("list_voices", {"language": "English"}))["items"][0]["voice_id"]
    job = await call("create_avatar_video", {"avatar_id": look, "voice_id": voice, "title": "Budget flow",
                                             "script": "Hello! This is a short update from the support team."})
    clock.advance(3600)
    assert (await call("wait_for_job", {"job_id": job["job_id"]}))["done"]
    await call("download_video", {"job_id": job["job_id"]})
    assert texts[-1].startswith("Saved ")  # a tool's own text (not its JSON) is left as it wrote it
    assert read <= 3 * 1024, read


def test_text_rendering_rules() -> None:
    assert text.prune({"a": None, "b": "", "c": [], "d": {}, "e": {"f": None}, "g": 0, "h": False, "i": [None, 1]}) \
        == {"g": 0, "h": False, "i": [None, 1]}
    rows = [{"id": "a", "kind": "look", "n": 1}, {"id": "b", "kind": "look"}]
    assert text.tabulate({"items": rows}) == {"items": {"same": {"kind": "look"}, "columns": ["id", "n"],
                                                        "rows": [["a", 1], ["b", None]]}}
    assert text.tabulate([{"id": "a"}]) == [{"id": "a"}]  # one row stays an object
    schema = {"$defs": {"Row": {"properties": {"id": {}, "gid": {"x-text": False}}}},
              "properties": {"items": {"items": {"$ref": "#/$defs/Row"}}, "one": {"anyOf": [{"$ref": "#/$defs/Row"},
                                                                                          {"type": "null"}]}}}
    value = {"items": [{"id": "a", "gid": "g"}], "one": {"id": "b", "gid": "g"}}
    assert text.omit_details(value, schema) == {"items": [{"id": "a"}], "one": {"id": "b"}}
    assert text.render(value, schema) == '{"items":[{"id":"a"}],"one":{"id":"b"}}'
    assert text.render({"items": [], "next_token": None, "note": ""}) == '{"items":[]}'  # top-level lists stay
