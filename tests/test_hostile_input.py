"""Every input is hostile (issue #8 §2): junk arguments end in a ToolError with a next step, before any
upstream request, on every tool. The tool list is read from the server, so a new tool is covered too."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from heygen_studio.server import create_server

pytestmark = pytest.mark.anyio
HIDDEN = "Error executing tool"


async def tool_schemas(settings: Any, wire: Any) -> dict[str, dict[str, Any]]:
    async with Client(create_server(settings, transport=wire)) as client:
        return {t.name: t.input_schema for t in (await client.list_tools()).tools}


def string_args(schema: dict[str, Any]) -> list[str]:
    """Top-level arguments that take a free string (no enum, which needs no screening to be safe)."""
    out = []
    for name, prop in schema.get("properties", {}).items():
        types = [prop.get("type")] + [b.get("type") for b in prop.get("anyOf", [])]
        if "string" in types and "enum" not in prop:
            out.append(name)
    return out


async def test_every_tool_refuses_an_unknown_argument_with_the_closest_name(settings: Any, wire: Any,
                                                                           sandbox: Any) -> None:
    schemas = await tool_schemas(settings, wire)
    before = len(sandbox.requests)
    async with Client(create_server(settings, transport=wire)) as client:
        for name, schema in schemas.items():
            props = list(schema.get("properties", {}))
            misspelled = (props[0][:-1] + "x") if props else "anything"
            result = await client.call_tool(name, {misspelled: "x"})
            text = result.content[0].text
            assert result.is_error, name
            assert f"Unknown argument '{misspelled}'" in text and "Nothing was sent or charged" in text, text
            if props:
                assert f"did you mean '{props[0]}'" in text, text
    assert len(sandbox.requests) == before


async def test_list_voices_lang_is_refused_not_ignored(mcp: Any, sandbox: Any) -> None:
    """`lang` for `language` used to return an unfiltered page; now it says what was meant."""
    result = await mcp.call_tool("list_voices", {"lang": "de"})
    assert result.is_error and "did you mean 'language'" in result.content[0].text
    assert sandbox.requests == []


@pytest.mark.parametrize("junk", ["a\x00b", "\ud800", "x\udfff"], ids=["nul", "lone-high", "lone-low"])
async def test_nul_bytes_and_lone_surrogates_are_refused_on_every_string_argument(
        settings: Any, wire: Any, sandbox: Any, junk: str) -> None:
    schemas = await tool_schemas(settings, wire)
    checked = 0
    async with Client(create_server(settings, transport=wire)) as client:
        for name, schema in schemas.items():
            for arg in string_args(schema):
                result = await client.call_tool(name, {arg: junk})
                text = result.content[0].text
                assert result.is_error and text.strip() != f"{HIDDEN} {name}", (name, arg, text)
                assert f"Argument '{arg}' contains a NUL byte or an unpaired surrogate" in text, (name, arg, text)
                checked += 1
    assert checked >= 40  # every tool with a free string (upload_asset, create_avatar_video, reply_to_agent…)
    assert sandbox.requests == []


async def test_nested_strings_are_screened_too(mcp: Any, sandbox: Any) -> None:
    scenes = [{"script": "Hello\x00", "avatar_id": "a"}]
    result = await mcp.call_tool("create_studio_video", {"scenes": scenes})
    assert result.is_error and "'scenes[0].script' contains a NUL byte" in result.content[0].text
    assert sandbox.requests == []
