"""The MCP adapter: ``create_server(settings, transport=None) -> MCPServer``.

Design contract (after the 2.3-era reference servers):

* Tools are thin: they validate input, check ids before anything is paid for, delegate to the
  domain core (``heygen_studio.core``), and return pydantic models as structured output.
* Every failure a model can act on is a ``ToolError`` with a next step (``tools.common``).
  Anything else is a bug and stays a crash, whose text the SDK hides.
* An unknown tool name is a protocol error (-32602), not a tool result.
* Both protocol eras are served (2025-11-25 sessions and stateless 2026-07-28).
* Without HEYGEN_API_KEY the server still starts; HeyGen tools answer with how to set the key or
  how to use the offline sandbox (HEYGEN_SANDBOX=1, which embeds it in process).
* Over stdio every line gets an answer: the SDK's reader drops a line it cannot read, so the
  client would wait forever; ``serve_stdio`` answers it with the JSON-RPC error the spec asks for.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp.types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    GetPromptResult,
    InputRequiredResult,
    JSONRPCError,
    jsonrpc_message_adapter,
)
from mcp.types import Prompt as MCPPrompt
from mcp.types import Resource as MCPResource
from mcp.types import ResourceTemplate as MCPResourceTemplate
from pydantic import AnyUrl, ValidationError

from . import __version__
from .house import open_state, replicas
from .settings import Settings
from .tools import content, player, registry, routes, spoken, toolsets
from .workflow.state import AppState, Live

logger = logging.getLogger(__name__)

INTRO = "Make HeyGen AI-avatar videos. One route per request (what the user has → the tool):"
WORKFLOW = """\
Find ids with list_avatars and list_voices. Every create returns a job_id at once; renders take minutes. Then call
wait_for_job(job_id) (returns within ~45 s; call again until done: never create the same video twice), then
download_video(job_id). Lost a job_id? list_jobs lists every job this server submitted.
Creates spend US dollars from the API wallet at HeyGen's published prices (get_account shows the balance and
what the daily limit leaves); repeating an identical create is not charged twice. Every paid tool takes
dry_run=true (returns the request and its estimated_usd; sends nothing) and max_credits (in dollars: refuses a
larger estimate); results carry estimated_usd."""


def instructions(enabled: tuple[str, ...] | frozenset[str]) -> str:
    """The routes whose tool is listed (``tools/routes.py``), the workflow, and one line for each tool this server
    does not list: what it does and which set holds it. No line names a tool that is not listed, except that list."""
    on = set(enabled)
    listed = {tool for tool, group in toolsets.TOOLSETS.items() if group in on}
    said = f"{INTRO}\n{routes.lines(listed)}\n{WORKFLOW}"
    missing = [(tool, group) for group, tools in toolsets.others(on, toolsets.TOOLSETS).items() for tool in tools]
    if not missing:
        return said
    hidden = "\n".join(f"- {tool} ({group}): {toolsets.SUMMARIES[tool]}" for tool, group in missing)
    return (f"{said}\nNot listed here (the user adds a set with HEYGEN_TOOLSETS=default,<set> or all, then restarts "
            f"the server; calling one answers with its arguments):\n{hidden}")


INSTRUCTIONS = instructions(frozenset(toolsets.SETS))  # every set enabled


def reject_unknown_tools(server: MCPServer[Any]) -> ServerMiddleware[Any]:
    """Spec conformance: an unknown tool is a -32602 protocol error, not a tool result.

    The SDK answers an unknown name with a tool result (``isError``); the 2.3-era ``mcp-server-git``
    adds this same middleware, on the public ``list_tools``. A tool of a toolset that is not enabled is
    known: its call answers (a tool error) which set holds it.
    """

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.params is not None:
            name = ctx.params.get("name")
            known = await server.known_tools() if isinstance(server, registry.ToolServer) else {
                tool.name for tool in await server.list_tools()}
            if isinstance(name, str) and name not in known:
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name}")
        return await call_next(ctx)

    return middleware


def make_lifespan(settings: Settings, transport: httpx2.AsyncBaseTransport | None, live: Live | None = None
                  ) -> Callable[[MCPServer[AppState]], AbstractAsyncContextManager[AppState]]:
    """The server's state for its lifetime; ``live`` shares its wake-up signals (and the running state)
    with the HTTP-mode webhook receiver."""
    live = live or Live()

    @asynccontextmanager
    async def lifespan(server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        state = open_state(settings, transport, signals=live.signals)
        state.people, state.public_base, state.link_key = live.people, live.public_base, live.link_key
        live.state = state
        try:
            async with replicas(state):  # PostgreSQL: hear every replica's job news
                yield state
        finally:
            if live.state is state:
                live.state = None
            await state.aclose()

    return lifespan


class StudioServer(registry.ToolServer):
    """The tool server, plus ``live``: what HTTP mode's webhook receiver shares with the tools.

    The bundled docs (``tools/content.py``: resources and prompts) are read from disk and registered on the
    first request that lists or reads resources or prompts, through the SDK's public methods overridden here:
    a server started to list its tools, or a shell command, never reads them."""

    live: Live
    _content_pending = True

    def _content(self) -> None:
        if self._content_pending:
            self._content_pending = False
            content.register_content(self)

    async def list_resources(self) -> list[MCPResource]:
        self._content()
        return await super().list_resources()

    async def list_resource_templates(self) -> list[MCPResourceTemplate]:
        self._content()
        return await super().list_resource_templates()

    async def list_prompts(self) -> list[MCPPrompt]:
        self._content()
        return await super().list_prompts()

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None,
                         context: Context[Any, Any] | None = None) -> GetPromptResult | InputRequiredResult:
        self._content()
        return await super().get_prompt(name, arguments, context)

    async def read_resource(self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
                            ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """The SDK's read; a saved video then carries the type of its own bytes (``player.typed``)."""
        self._content()
        result = await super().read_resource(uri, context)
        return result if isinstance(result, InputRequiredResult) else player.typed(str(uri), result)


def create_server(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> StudioServer:
    """Build the server. ``transport`` replaces the network (tests pass the sandbox's ASGI transport)."""
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per request is noise; retries log
    if any(d == d.parent for d in settings.heygen_allowed_dirs):
        logger.warning("HEYGEN_ALLOWED_DIRS includes the root folder (the server was started in /?): every "
                       "local file is readable by tools. Set HEYGEN_ALLOWED_DIRS to the folders you mean.")
    live = Live()
    server = StudioServer(
        "heygen-studio",
        title="HeyGen Studio",
        version=__version__,
        instructions=instructions(settings.heygen_toolsets),
        toolsets=settings.heygen_toolsets,
        lifespan=make_lifespan(settings, transport, live),
        subscriptions=False,
        extensions=[player.apps(settings.heygen_base_url)],  # MCP Apps: the inline video player
    )
    server.live = live
    server.middleware.append(reject_unknown_tools(server))
    registry.register(server)
    content.register_completions(server)  # the docs themselves: on the first resources/prompts request
    player.register_files(server)  # heygen://files/{+path}: saved videos, for the player
    spoken.register(server)  # heygen://scripts/{key}: the whole of a long produce_video script

    @server.resource("heygen://schemas/{tool}", name="result-schema", mime_type="application/json",
                     description="JSON Schema of a tool's structured result.")
    async def result_schema(tool: str) -> dict[str, Any]:
        schema = await server.result_schema(tool)
        if schema is None:
            raise ResourceNotFoundError(f"No tool '{tool}' with a structured result.")
        return schema

    return server


# -- stdio: an answer for every line ------------------------------------------------------------------------

def unreadable_line(exc: Exception) -> tuple[SessionMessage | None, JSONRPCError | None]:
    """What a line the SDK's stdio reader could not read deserves: the message, when a byte order mark
    was all that was in the way (RFC 8259 §8.1 lets a parser ignore it), or the error to answer (JSON-RPC
    2.0 §5.1: -32700 with id null for text that is not JSON, -32600 for JSON that is no request object,
    with its id when one can be read), or neither (a blank line; a response, which is never answered)."""
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else []
    if not errors:
        return None, JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error"))
    line = errors[0].get("input")
    if errors[0]["type"] == "json_invalid":
        if isinstance(line, str) and line.startswith("\ufeff"):
            try:
                return SessionMessage(jsonrpc_message_adapter.validate_json(line[1:], by_name=False)), None
            except ValidationError as again:
                return unreadable_line(again)
        if isinstance(line, str) and not line.strip():
            return None, None
        message = f"Parse error: {errors[0]['msg']}"[:200]
        return None, JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message=message))
    found = next((e["input"] for e in errors if isinstance(e.get("input"), dict)
                  and {"jsonrpc", "id", "method"} & e["input"].keys()), None)
    if isinstance(found, dict) and "method" not in found and ({"result", "error"} & found.keys()):
        return None, None
    ident = found.get("id") if isinstance(found, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, str | int):
        ident = None
    return None, JSONRPCError(jsonrpc="2.0", id=ident, error=ErrorData(
        code=INVALID_REQUEST, message="Invalid Request: not a JSON-RPC 2.0 request object"))


class AnswerUnreadable:
    """The stdio read stream, less the exceptions the SDK's reader puts on it for lines it cannot parse
    (mcp 2.3 ``server/stdio.py`` ``stdin_reader``); each is answered on the write stream instead of being
    dropped with a debug log (``JSONRPCDispatcher._dispatch``, whose ``on_stream_exception`` observer the
    server side cannot set)."""

    def __init__(self, inner: Any, write: Any) -> None:  # the SDK's (private) context stream types
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> Any:  # the sender's contextvars, read by the SDK's serving loop
        return getattr(self._inner, "last_context", None)

    async def _readable(self, item: SessionMessage | Exception) -> SessionMessage | None:
        if not isinstance(item, Exception):
            return item
        message, error = unreadable_line(item)
        if error is not None:
            logger.info("answered an unreadable stdin line with JSON-RPC error %s", error.error.code)
            try:
                await self._write.send(SessionMessage(error))
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass
        return message

    async def receive(self) -> SessionMessage:
        while True:
            message = await self._readable(await self._inner.receive())
            if message is not None:
                return message

    def __aiter__(self) -> AnswerUnreadable:
        return self

    async def __anext__(self) -> SessionMessage:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnswerUnreadable:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def serve_stdio(server: MCPServer[Any]) -> None:
    """``server.run()`` over stdio (``MCPServer.run_stdio_async`` in mcp 2.3, line for line), with every
    line answered. The SDK offers no public way to run a server on streams of one's own, hence
    ``_lowlevel_server`` (the SDK's in-memory ``Client`` reaches it the same way); under an SDK without it
    the server runs the SDK's own loop, where an unreadable line goes unanswered again.
    Upstream reproduction: ``bench/repro_stdio_malformed.py``."""
    lowlevel = getattr(server, "_lowlevel_server", None)
    if lowlevel is None:
        await server.run_stdio_async()
        return
    async with stdio_server() as (read_stream, write_stream):
        await lowlevel.run(AnswerUnreadable(read_stream, write_stream), write_stream,
                           lowlevel.create_initialization_options())
