"""Tool registration on the SDK's public seams: listed from a checked-in manifest, registered on first call.

Deriving 32 tools' schemas from their signatures costs the SDK ~85 ms, and importing the tool
modules (and the domain core behind them) ~100 ms more: too much for a server that a host may
start for every chat. ``manifest.json`` holds what ``tools/list`` needs (names, descriptions,
compacted input schemas, annotations, ``_meta`` such as the inline player's link) and where each tool's
function lives.

``ToolServer`` is an ``MCPServer`` that overrides the public ``list_tools`` (answered from the
manifest) and ``call_tool`` (which imports a tool's module and registers it with the public
``add_tool`` on its first call). No SDK internals are touched, so any ``mcp`` 2.x works:

* The manifest records the mcp and pydantic versions that wrote it. Under any other version the
  server registers every tool eagerly from its module (correct, just slower) and lists that.
* Start-up never hashes sources. ``tests/test_tool_manifest.py`` compares the manifest with the
  schemas the tools emit now, so only a real change to what is listed fails it (regenerate with
  ``python -m heygen_studio.tools.registry``). A tool whose real input schema differs from its
  listing when it is first called logs a warning saying so; its arguments are always validated
  against the real signature.

Toolsets (``toolsets.py``): ``list_tools`` lists the tools of the enabled sets only (filtering the
manifest; nothing is imported), ``known_tools`` names every tool, and calling a known tool of a set
that is not enabled answers which set holds it, how to enable it and the arguments it takes; a listed
tool's error that names a tool not listed says which set holds it. Results: ``call_tool`` rewrites a
result's JSON text from its structured content, compactly (``text.py``); the structured content is
left as the tool made it.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from ..core.errors import HeyGenError
from . import text
from . import toolsets as toolsets_module
from .schema import compact

logger = logging.getLogger(__name__)

TOOL_MODULES = ("video_agents", "videos", "jobs", "assets", "avatars", "voices", "account", "templates", "translations",
                "lipsync", "webhooks", "scripts", "batches", "docs")
MANIFEST = Path(__file__).with_name("manifest.json")
FORMAT = 2

Manifest = dict[str, Any]


def library_versions() -> dict[str, str]:
    return {"mcp": version("mcp"), "pydantic": version("pydantic")}


def listed(tool: MCPTool) -> tuple[MCPTool, dict[str, Any] | None]:
    """A tool as we list it, and its result schema (served as a resource, not listed).

    Tokens are a budget: docstring indentation is not content, input schemas are compacted
    (``schema.py``), and result schemas, rarely shown to models, would cost a seventh of the listing.
    """
    result = compact(tool.output_schema, output=True) if tool.output_schema is not None else None
    slim = tool.model_copy(update={
        "description": " ".join((tool.description or "").split()),
        "input_schema": compact(tool.input_schema, output=False),
        "output_schema": None,
    })
    return slim, result


def load_manifest(path: Path | None = None) -> Manifest | None:
    """The manifest when it can serve this process: same format, written under these library versions."""
    try:
        manifest: Manifest = json.loads((path or MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or manifest.get("versions") != library_versions():
        return None
    return manifest


class ToolServer(MCPServer[Any]):
    """An ``MCPServer`` whose tools are listed from the manifest and registered on their first call.

    ``toolsets``: the sets whose tools are listed and callable (default: every set)."""

    def __init__(self, *args: Any, toolsets: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.toolsets = frozenset(toolsets_module.SETS if toolsets is None else toolsets)
        self._targets: dict[str, str] = {}  # tool name -> "module:qualname", as registered
        self._pending: dict[str, dict[str, Any]] = {}  # listed, not yet registered: manifest entries
        self._listing: list[MCPTool] | None = None
        self._result_schemas: dict[str, dict[str, Any] | None] = {}
        self.from_manifest = False

    @property
    def pending_tools(self) -> frozenset[str]:
        """Tools listed but not yet imported and registered (all of them, right after a fast start)."""
        return frozenset(self._pending)

    def add_tool(self, fn: Callable[..., Any], name: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().add_tool(fn, name, *args, **kwargs)
        self._targets[name or fn.__name__] = f"{fn.__module__}:{fn.__qualname__}"
        if not self.from_manifest:
            self._listing = None  # listed afresh from the registered tools

    def register_modules(self) -> None:
        """Import every tool module and register its tools (the eager path)."""
        for name in TOOL_MODULES:
            import_module(f"heygen_studio.tools.{name}").register(self)

    def register_manifest(self, manifest: Manifest) -> None:
        """List the manifest's tools; each is imported and registered on its first call."""
        self.from_manifest = True
        self._pending = {entry["name"]: entry for entry in manifest["tools"]}
        self._listing = [MCPTool(name=e["name"], description=e["description"], input_schema=e["input_schema"],
                                 annotations=ToolAnnotations(**e["annotations"]) if e.get("annotations") else None,
                                 _meta=e.get("meta"))
                         for e in manifest["tools"]]
        self._result_schemas = {e["name"]: e.get("result_schema") for e in manifest["tools"]}

    async def _eager_listing(self) -> list[MCPTool]:
        if self._listing is None:
            pairs = [listed(tool) for tool in await super().list_tools()]
            self._listing = [tool for tool, _ in pairs]
            self._result_schemas = {tool.name: schema for tool, schema in pairs}
        return self._listing

    def enabled(self, name: str) -> bool:
        """Whether a tool's set is enabled (a tool in no set is listed: the table's test names it)."""
        group = toolsets_module.set_of(name)
        return group is None or group in self.toolsets

    async def list_tools(self) -> list[MCPTool]:
        return [tool for tool in await self._eager_listing() if self.enabled(tool.name)]

    async def known_tools(self) -> frozenset[str]:
        """Every tool's name, enabled or not."""
        return frozenset(tool.name for tool in await self._eager_listing())

    async def result_schema(self, name: str) -> dict[str, Any] | None:
        await self._eager_listing()
        return self._result_schemas.get(name)

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> CallToolResult | InputRequiredResult:
        tool = next((t for t in await self._eager_listing() if t.name == name), None)
        if tool is not None and not self.enabled(name):
            said = toolsets_module.not_enabled_message(name, self.toolsets, arguments_of(tool))
            raise ToolError(f"Error executing tool {name}: {said}")
        if tool is not None:
            try:
                screen_arguments(tool, arguments)
            except ToolError as exc:  # worded as the SDK words a tool's own ToolError, so every refusal reads alike
                raise ToolError(f"Error executing tool {name}: {exc}") from None
        entry = self._pending.pop(name, None)
        if entry is not None:
            await self._materialize(entry)
        try:
            result = await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            if isinstance(exc.__cause__, HeyGenError):  # a resolver's refusal (``reports_errors`` wraps tools only)
                raise ToolError(f"Error executing tool {name}: {exc.__cause__.describe()}") from None
            raise
        except ToolError as exc:
            # The SDK's own argument check raises from a ValidationError and words it as pydantic does
            # ("1 validation error for <tool>Arguments … errors.pydantic.dev"): say it as every other refusal.
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(f"Error executing tool {name}: {arguments_refused(exc.__cause__)}") from None
            note = toolsets_module.hidden_note(str(exc), self.toolsets)
            if note is not None:  # a step naming a tool that is not listed here says how to get it
                raise ToolError(f"{exc} {note}") from exc
            raise
        return self._compact(name, result)

    def _compact(self, name: str, result: CallToolResult | InputRequiredResult) -> CallToolResult | InputRequiredResult:
        """The result with its JSON text written compactly from its structured content (errors untouched)."""
        if not isinstance(result, CallToolResult) or result.is_error or result.structured_content is None:
            return result
        structured = result.structured_content
        content = list(result.content)
        for i, item in enumerate(content):
            if isinstance(item, TextContent) and item.text.lstrip().startswith(("{", "[")):
                try:
                    same = json.loads(item.text) == structured
                except ValueError:
                    same = False
                if same:
                    content[i] = item.model_copy(update={"text": text.render(structured,
                                                                              self._result_schemas.get(name))})
        return result.model_copy(update={"content": content})

    async def _materialize(self, entry: dict[str, Any]) -> None:
        module, _, qualname = entry["target"].partition(":")
        fn = getattr(import_module(module), qualname)
        annotations = ToolAnnotations(**entry["annotations"]) if entry.get("annotations") else None
        self.add_tool(fn, name=entry["name"], description=entry["description"], annotations=annotations,
                      meta=entry.get("meta"))
        real = next(t for t in await super().list_tools() if t.name == entry["name"])
        if listed(real)[0].input_schema != entry["input_schema"]:
            logger.warning("tool %s: its listed schema is out of date; regenerate the manifest with "
                           "`python -m heygen_studio.tools.registry`", entry["name"])

    async def manifest(self) -> Manifest:
        """What ``manifest.json`` should say for the tools registered now (eagerly)."""
        tools = []
        for tool in await self._eager_listing():
            tools.append({
                "name": tool.name,
                "target": self._targets[tool.name],
                "description": tool.description,
                "input_schema": tool.input_schema,
                "annotations": tool.annotations.model_dump(mode="json", exclude_none=True)
                if tool.annotations else None,
                "result_schema": self._result_schemas.get(tool.name),
                **({"meta": tool.meta} if tool.meta else {}),
            })
        return {"format": FORMAT, "versions": library_versions(), "tools": tools}


def _type_of(schema: Any, defs: dict[str, Any]) -> str:
    """A listed argument's type in a few characters: string, 'a'|'b', string[], {x, y}[], …"""
    if not isinstance(schema, dict):
        return "any"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs.get(ref.removeprefix("#/$defs/"), {})
    if "enum" in schema:
        return "|".join(json.dumps(value) for value in schema["enum"])
    if "anyOf" in schema:
        return "|".join(_type_of(branch, defs) for branch in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"{_type_of(schema.get('items'), defs)}[]"
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        return "{" + ", ".join(props) + "}" if props else "object"
    return str(kind or "any")


def arguments_of(tool: MCPTool) -> str:
    """A tool's arguments as its listed schema says, on one line: ``photo: string (required), group_id: string``."""
    schema = tool.input_schema or {}
    required = set(schema.get("required", ()))
    defs = schema.get("$defs", {})
    parts = [f"{name}: {_type_of(prop, defs)}" + (" (required)" if name in required else "")
             for name, prop in schema.get("properties", {}).items()]
    return ", ".join(parts) or "no arguments"


_UNSAFE_CHARS = re.compile(r"[\x00\ud800-\udfff]")
NOTHING_SENT = "Nothing was sent or charged."


def _unsafe_strings(value: Any, where: str) -> str | None:
    """The first argument path holding a NUL byte or a lone surrogate, if any."""
    if isinstance(value, str):
        return where if _UNSAFE_CHARS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unsafe_strings(key, where) or _unsafe_strings(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _unsafe_strings(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _too_long(value: Any, schema: Any, defs: dict[str, Any], where: str) -> tuple[str, int, int] | None:
    """The first string under ``value`` longer than its listed ``maxLength``: (path, length, limit)."""
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = {**defs.get(ref.removeprefix("#/$defs/"), {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    for branch in schema.get("anyOf", ()):
        found = _too_long(value, branch, defs, where)
        if found:
            return found
    if isinstance(value, str):
        limit = schema.get("maxLength")
        return (where, len(value), limit) if isinstance(limit, int) and len(value) > limit else None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _too_long(item, schema.get("items"), defs, f"{where}[{i}]")
            if found:
                return found
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, item in value.items():
            found = _too_long(item, props.get(key), defs, f"{where}.{key}")
            if found:
                return found
    return None


def arguments_refused(exc: ValidationError) -> str:
    """A refused argument list in one line per problem (at most five), with the next step."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{where}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return f"Invalid arguments: {'; '.join(parts)}. Fix them and call again. {NOTHING_SENT}"


def screen_arguments(tool: MCPTool, arguments: dict[str, Any]) -> None:
    """Refuse, before any tool code runs, what no tool can use: unknown argument names (with the
    closest valid one), strings holding NUL bytes or lone surrogates (which would otherwise crash
    deep in the OS or an encoder, behind the SDK's hidden generic error), and strings longer than
    their listed ``maxLength`` (named, with the limit, rather than pydantic's dump of the value)."""
    schema = tool.input_schema or {}
    props: dict[str, Any] = schema.get("properties", {})
    known = list(props)
    for arg in arguments:
        if arg not in known:
            close = difflib.get_close_matches(arg, known, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            valid = ", ".join(known) or "none"
            raise ToolError(f"Unknown argument '{arg[:40]}' for {tool.name}: {hint}Valid arguments: {valid}. "
                            f"{NOTHING_SENT}")
        bad = _unsafe_strings(arguments[arg], arg)
        if bad:
            raise ToolError(f"Argument '{bad[:60]}' contains a NUL byte or an unpaired surrogate; send plain text. "
                            f"{NOTHING_SENT}")
        long = _too_long(arguments[arg], props[arg], schema.get("$defs", {}), arg)
        if long:
            where, length, limit = long
            step = ("pass the next_token of the previous page exactly, or omit it" if where == "next_token"
                    else "shorten it")
            raise ToolError(f"Argument '{where[:60]}' has {length} characters; at most {limit} characters are "
                            f"allowed: {step}. {NOTHING_SENT}")


def register(server: ToolServer) -> None:
    """Register every tool: listed from the manifest when it fits these libraries, else from the modules."""
    manifest = load_manifest()
    if manifest is not None:
        server.register_manifest(manifest)
        return
    logger.info("tool manifest missing or written under other mcp/pydantic versions; registering tools eagerly")
    server.register_modules()


async def fresh_manifest() -> Manifest:
    server = ToolServer("manifest")
    server.register_modules()
    return await server.manifest()


def write_manifest() -> Path:
    import anyio

    manifest = anyio.run(fresh_manifest)
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return MANIFEST


if __name__ == "__main__":
    path = write_manifest()
    print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)
