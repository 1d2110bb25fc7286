"""Tool registration: from the tool modules (eager), or from the checked-in manifest (fast).

Deriving 31 tools' schemas from their signatures costs the SDK ~85 ms, and importing the tool
modules (and the domain core behind them) ~100 ms more: too much for a server that a host may
start for every chat. ``manifest.json`` holds what ``tools/list`` needs (names, descriptions,
compacted input schemas, annotations) and where each tool lives. At start-up the server
registers ``LazyTool``s from it; a tool's module is imported, and the SDK's ``Tool`` built, on
its first call.

The manifest is keyed by a digest of the files that define the tools. A stale manifest is never
used: the server falls back to eager registration, and ``tests/test_tool_manifest.py`` fails until
it is regenerated with ``python -m heygen_studio.tools.registry``. The mcp and pydantic versions
that generated it are recorded: another pydantic may word a schema differently, which is harmless
for a listing (each tool's real schema is rebuilt from its signature on first call).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.tools.base import Tool
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr

from .schema import compact_tool_schemas

logger = logging.getLogger(__name__)

TOOL_MODULES = ("video_agents", "videos", "jobs", "assets", "avatars", "voices", "account", "templates", "translations",
                "webhooks", "scripts", "docs")
PACKAGE = Path(__file__).resolve().parents[1]
MANIFEST = Path(__file__).with_name("manifest.json")
SCHEMA_SOURCES = ("tools/*.py", "core/models.py", "core/studio.py", "core/scripts.py", "languages.py")


def library_versions() -> dict[str, str]:
    return {"mcp": version("mcp"), "pydantic": version("pydantic")}


def source_digest() -> str:
    """What the listed tools are made of: the source files that define them."""
    digest = hashlib.sha256()
    files = sorted({p for pattern in SCHEMA_SOURCES for p in PACKAGE.glob(pattern)})
    for path in files:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def register_eager(server: MCPServer[Any]) -> dict[str, dict[str, Any] | None]:
    """Import every tool module and register its tools; returns each tool's result schema."""
    for name in TOOL_MODULES:
        import_module(f"heygen_studio.tools.{name}").register(server)
    return {tool.name: compact_tool_schemas(tool) for tool in server._tool_manager.list_tools()}


def build_manifest(server: MCPServer[Any], result_schemas: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    tools = []
    for tool in server._tool_manager.list_tools():
        tools.append({
            "name": tool.name,
            "target": f"{tool.fn.__module__}:{tool.fn.__qualname__}",
            "description": tool.description,
            "input_schema": tool.parameters,
            "annotations": tool.annotations.model_dump(mode="json", exclude_none=True) if tool.annotations else None,
            "result_schema": result_schemas.get(tool.name),
        })
    return {"digest": source_digest(), "versions": library_versions(), "tools": tools}


class LazyTool(Tool):
    """A listed tool whose function is imported, and whose SDK ``Tool`` is built, on first call."""

    target: str = ""
    _real: Tool | None = PrivateAttr(default=None)

    def materialize(self) -> Tool:
        if self._real is None:
            module, _, name = self.target.partition(":")
            fn = getattr(import_module(module), name)
            self._real = Tool.from_function(fn, name=self.name, description=self.description,
                                            annotations=self.annotations)
        return self._real

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.materialize().run(arguments, context, convert_result=convert_result)


def register_from_manifest(server: MCPServer[Any], manifest: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    schemas = {}
    for entry in manifest["tools"]:
        annotations = ToolAnnotations(**entry["annotations"]) if entry.get("annotations") else None
        tool = LazyTool.model_construct(
            fn=None, name=entry["name"], title=None, description=entry["description"],
            parameters=entry["input_schema"], fn_metadata=None, is_async=True, context_kwarg=None,
            annotations=annotations, icons=None, meta=None, target=entry["target"],
        )
        tool.__dict__["output_schema"] = None  # result schemas are served as resources, not listed
        server._tool_manager._tools[tool.name] = tool
        schemas[tool.name] = entry.get("result_schema")
    return schemas


def register(server: MCPServer[Any]) -> dict[str, dict[str, Any] | None]:
    """Register every tool: from the manifest when it is current, else from the modules."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if manifest is not None and manifest.get("digest") == source_digest():
        return register_from_manifest(server, manifest)
    logger.info("tool manifest missing or stale; registering tools from their modules")
    return register_eager(server)


def write_manifest() -> Path:
    server: MCPServer[Any] = MCPServer("manifest")
    manifest = build_manifest(server, register_eager(server))
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return MANIFEST


if __name__ == "__main__":
    path = write_manifest()
    print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)
