"""The tool manifest (fast start-up) must say exactly what eager registration says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from heygen_studio.server import create_server
from heygen_studio.tools import registry

pytestmark = pytest.mark.anyio
REGENERATE = "run: .venv/bin/python -m heygen_studio.tools.registry"


def essence(manifest: dict[str, Any]) -> list[Any]:
    """What the tools are, whatever library wrote their schemas."""
    return [(t["name"], t["target"], t["description"], t["annotations"], sorted(t["input_schema"]["properties"]))
            for t in manifest["tools"]]


def check_manifest() -> None:
    manifest = json.loads(registry.MANIFEST.read_text())
    assert manifest["digest"] == registry.source_digest(), f"the tool manifest is stale; {REGENERATE}"
    server: MCPServer[Any] = MCPServer("eager")
    fresh = registry.build_manifest(server, registry.register_eager(server))
    if manifest["versions"] == registry.library_versions():
        assert fresh == manifest, f"the tool manifest differs from the tools; {REGENERATE}"
    else:  # another pydantic may word schemas differently; what the tools are must still agree
        assert essence(fresh) == essence(manifest), f"the tool manifest differs from the tools; {REGENERATE}"


def test_manifest_is_current() -> None:
    check_manifest()


def test_manifest_check_under_other_library_versions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with a newer pydantic must not fail on wording, but must on a changed tool."""
    monkeypatch.setattr(registry, "library_versions", lambda: {"mcp": "9", "pydantic": "9"})
    check_manifest()
    changed = json.loads(registry.MANIFEST.read_text())
    changed["tools"][0]["description"] += " (edited)"
    edited = tmp_path / "manifest.json"
    edited.write_text(json.dumps(changed))
    monkeypatch.setattr(registry, "MANIFEST", edited)
    with pytest.raises(AssertionError, match="differs from the tools"):
        check_manifest()


async def test_listing_from_manifest_equals_eager_listing(settings: Any, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    lazy = create_server(settings)
    assert all(isinstance(t, registry.LazyTool) for t in lazy._tool_manager.list_tools())
    stale = tmp_path / "manifest.json"
    stale.write_text(json.dumps({"digest": "stale", "tools": []}))
    monkeypatch.setattr(registry, "MANIFEST", stale)
    eager = create_server(settings)  # a stale manifest is never used
    assert not any(isinstance(t, registry.LazyTool) for t in eager._tool_manager.list_tools())
    as_json = [[t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in await s.list_tools()]
               for s in (lazy, eager)]
    assert as_json[0] == as_json[1]


async def test_tools_materialize_on_first_call_only(settings: Any, wire: Any) -> None:
    server = create_server(settings, transport=wire)
    tool = server._tool_manager.get_tool("list_voices")
    assert isinstance(tool, registry.LazyTool) and tool._real is None
    async with Client(server) as client:
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
        real = tool._real
        assert real is not None
        assert not (await client.call_tool("list_voices", {"limit": 1})).is_error
        assert tool._real is real
    assert server._tool_manager.get_tool("get_account")._real is None  # untouched tools stay lazy
