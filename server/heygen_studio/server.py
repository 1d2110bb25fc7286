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
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from . import __version__
from .core.client import HeyGenClient
from .core.jobs import JobJournal
from .settings import Settings
from .tools import account, agent, assets, avatars, catalog, docs, scripts, videos
from .tools.common import AppState
from .tools.schema import compact_tool_schemas

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
Make HeyGen AI-avatar videos. Pick the route by what the user has:
- a brief or idea → create_agent_video (Video Agent writes, casts and edits);
- an exact script for one presenter → create_avatar_video (find ids with list_avatars and list_voices);
- an exact multi-scene script → create_studio_video.
Every create returns a job_id at once; renders take minutes. Then call wait_for_job(job_id) (returns within
~45 s; call again until done: never create the same video twice), then download_video(job_id).
Creates spend credits (get_account shows them); repeating an identical create is not charged twice.
Photo avatars: create_photo_avatar (returns a consent link when needed), then use the look id as avatar_id."""


def reject_unknown_tools(server: MCPServer[Any]):  # type: ignore[no-untyped-def]
    """Spec conformance: an unknown tool is a -32602 protocol error, not a tool result."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.params is not None:
            name = ctx.params.get("name")
            if isinstance(name, str) and name not in {t.name for t in await server.list_tools()}:
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name}")
        return await call_next(ctx)

    return middleware


def make_lifespan(settings: Settings, transport: httpx2.AsyncBaseTransport | None):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        base_url = settings.heygen_base_url
        wire = transport
        sandbox_app = None
        poll = settings.heygen_poll_interval
        if settings.heygen_sandbox:
            from .sandbox import SANDBOX_BASE_URL

            base_url = SANDBOX_BASE_URL
            poll = min(poll, 1.0)
            if wire is None:
                from .sandbox import SandboxConfig, create_app

                render = settings.heygen_sandbox_render_s
                sandbox_app = create_app(config=SandboxConfig(
                    render_seconds=render, agent_thinking_seconds=render / 3, agent_generating_seconds=render,
                    avatar_seconds=render / 2, translation_seconds=render))
                wire = httpx2.ASGITransport(app=sandbox_app)
            logger.info("using the embedded HeyGen sandbox (no real API calls, no credits)")
        journal = JobJournal(settings.state_dir / "jobs.jsonl")
        client = HeyGenClient(
            api_key=settings.api_key,
            base_url=base_url,
            timeout=settings.heygen_timeout,
            max_retries=settings.heygen_max_retries,
            transport=wire,
            journal=journal,
        )
        try:
            yield AppState(settings=settings, client=client, journal=journal, poll_interval=poll,
                           sandbox=sandbox_app, transport=wire)
        finally:
            await client.aclose()

    return lifespan


def create_server(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> MCPServer[AppState]:
    """Build the server. ``transport`` replaces the network (tests pass the sandbox's ASGI transport)."""
    server: MCPServer[AppState] = MCPServer(
        "heygen-studio",
        title="HeyGen Studio",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=make_lifespan(settings, transport),
        subscriptions=False,
    )
    server.middleware.append(reject_unknown_tools(server))
    for area in (agent, videos, assets, catalog, avatars, account, scripts, docs):
        area.register(server)
    result_schemas = {tool.name: compact_tool_schemas(tool) for tool in server._tool_manager.list_tools()}

    @server.resource("heygen://schemas/{tool}", name="result-schema", mime_type="application/json",
                     description="JSON Schema of a tool's structured result.")
    def result_schema(tool: str) -> dict[str, Any]:
        schema = result_schemas.get(tool)
        if schema is None:
            raise ResourceNotFoundError(f"No tool '{tool}' with a structured result.")
        return schema

    return server
