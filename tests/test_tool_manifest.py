"""The tool manifest (fast start-up) must say exactly what eager registration says.

Only a real change to what is listed fails these tests: the manifest is compared with the schemas
the tools emit now, not with a digest of their source files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from heygen_studio.server import create_server
from heygen_studio.tools import registry

pytestmark = pytest.mark.anyio
REGENERATE = "run: .venv/bin/python -m heygen_studio.tools.registry"


def essence(manifest: dict[str, Any]) -> list[Any]:
    """What the tools are, whatever library wrote their schemas."""
    return [(t["name"], t["target"], t["description"], t["annotations"], sorted(t["input_schema"]["properties"]))
            for t in manifest["tools"]]


async def check_manifest(path: Path = registry.MANIFEST) -> None:
    manifest = json.loads(path.read_text())
    fresh = await registry.fresh_manifest()
    if manifest["versions"] == registry.library_versions():
        assert fresh == manifest, f"the tool manifest differs from the tools; {REGENERATE}"
    else:  # another pydantic may word schemas differently; what the tools are must still agree
        assert essence(fresh) == essence(manifest), f"the tool manifest differs from the tools; {REGENERATE}"


async def test_manifest_is_current() -> None:
    await check_manifest()


async def test_manifest_check_under_other_library_versions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with a newer pydantic must not fail on wording, but must on a changed tool."""
    monkeypatch.setattr(registry, "library_versions", lambda: {"mcp": "9", "pydantic": "9"})
    await check_manifest()
    changed = json.loads(registry.MANIFEST.read_text())
    changed["tools"][0]["description"] += " (edited)"
    edited = tmp_path / "manifest.json"
    edited.write_text(json.dumps(changed))
    with pytest.raises(AssertionError, match="differs from the tools"):
        await check_manifest(edited)


async def test_manifest_flags_a_changed_schema(tmp_path: Path) -> None:
    changed = json.loads(registry.MANIFEST.read_text())
    changed["tools"][0]["input_schema"]["properties"]["extra"] = {"type": "string"}
    edited = tmp_path / "manifest.json"
    edited.write_text(json.dumps(changed))
    with pytest.raises(AssertionError, match="differs from the tools"):
        await check_manifest(edited)


def wire(tools: list[Any]) -> list[dict[str, Any]]:
    return [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in tools]


async def test_listing_from_manifest_equals_eager_listing(settings: Any) -> None:
    lazy = create_server(settings)
    assert lazy.from_manifest and lazy.pending_tools == {t.name for t in await lazy.list_tools()}
    eager = registry.ToolServer("eager")
    eager.register_modules()
    assert not eager.from_manifest and not eager.pending_tools
    assert wire(await lazy.list_tools()) == wire(await eager.list_tools())
    for name in ("get_video", "wait_for_job", "list_voices"):
        assert await lazy.result_schema(name) == await eager.result_schema(name) is not None


async def test_other_sdk_versions_fall_back_to_eager_registration(settings: Any, wire: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest written under other mcp/pydantic versions is not used: every tool is registered from
    its module (correct, just slower), and the server still lists and calls them all."""
    expected = [t.name for t in await create_server(settings).list_tools()]
    monkeypatch.setattr(registry, "library_versions", lambda: {"mcp": "2.9.0", "pydantic": "2.99.0"})
    server = create_server(settings, transport=wire)
    assert not server.from_manifest and not server.pending_tools
    async with Client(server) as client:
        assert [t.name for t in (await client.list_tools()).tools] == expected
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
        result = await client.read_resource("heygen://schemas/get_video")
        assert "video_id" in result.contents[0].text


async def test_a_missing_or_foreign_manifest_falls_back(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "old.json").write_text(json.dumps({"digest": "abc", "tools": []}))  # format 1
    for name in ("absent.json", "broken.json", "old.json"):
        assert registry.load_manifest(tmp_path / name) is None
    assert registry.load_manifest() is not None


async def test_tools_register_on_first_call_only(settings: Any, wire: Any) -> None:
    server = create_server(settings, transport=wire)
    assert "list_voices" in server.pending_tools
    async with Client(server) as client:
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
        assert "list_voices" not in server.pending_tools
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
        assert "get_account" in server.pending_tools  # untouched tools stay unimported
        listed = [t.name for t in (await client.list_tools()).tools]
        assert "list_voices" in listed and len(listed) == len(set(listed))  # listed once


async def test_an_outdated_listing_warns_on_first_call(settings: Any, wire: Any, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """A manifest edited by hand (or left behind by a changed tool) still calls the real tool, and says so."""
    manifest = json.loads(registry.MANIFEST.read_text())
    entry = next(t for t in manifest["tools"] if t["name"] == "list_voices")
    entry["input_schema"]["properties"].pop("gender")
    server = create_server(settings, transport=wire)
    server.register_manifest(manifest)
    async with Client(server) as client:
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
    assert "list_voices: its listed schema is out of date" in caplog.text


def test_no_sdk_internals() -> None:
    """Public SDK seams only (issue #7): no private tool or resource manager, no Tool or template subclasses."""
    source = "\n".join(p.read_text() for p in Path(registry.__file__).parents[1].rglob("*.py"))
    assert "_tool_manager" not in source and "LazyTool" not in source
    assert "_resource_manager" not in source and "(ResourceTemplate)" not in source
