"""Video Agent tools: a brief in, a finished video out (HeyGen writes, casts and edits).

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.video_agents``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from pydantic import Field

from ..core.costs import Spend
from ..core.models import MAX_AGENT_PROMPT_CHARS
from ..workflow import video_agents as video_agents_flow
from ..workflow.outputs import AgentJob, AgentReplyOut, AgentSessionInfo, StyleList
from .common import PAID, READ_ONLY, WRITES, AppState, Context, FilesRoots, paid, reports_errors, who
from .fields import Id, JobRef, Limit, NextToken, Source

Files = Annotated[
    list[Source] | None,
    Field(max_length=20, description="Reference files: local paths, http(s) URLs or asset ids (max 20)."),
]


@paid
@reports_errors
async def create_agent_video(
    ctx: Context[AppState],
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS,
                                 description="The brief: topic, audience, length, tone, scenes.")],
    avatar_id: Annotated[Id | None, Field(description="Avatar look to present; default: the agent picks.")] = None,
    voice_id: Id | None = None,
    style_id: Annotated[Id | None, Field(description="A Video Agent style; default: the agent picks.")] = None,
    orientation: Literal["landscape", "portrait"] | None = None,
    files: Files = None,
    mode: Annotated[Literal["generate", "chat"],
                    Field(description="generate: one shot; chat: the agent may ask questions.")] = "generate",
    request_key: Annotated[str | None, Field(max_length=64, description="Only to deliberately repeat a brief.")] = None,
    roots: FilesRoots = None,
    *,
    spend: Spend,
) -> AgentJob:
    """For a brief that Video Agent should write, cast and edit (an ad, a promo): HeyGen's agent makes the whole
    video. Paid. Returns a job_id at once."""
    return await video_agents_flow.create_agent_video(who(ctx, spend, roots), prompt=prompt, avatar_id=avatar_id,
                                                      voice_id=voice_id, style_id=style_id, orientation=orientation,
                                                      files=files, mode=mode, request_key=request_key)


@reports_errors
async def get_agent_session(
    ctx: Context[AppState],
    session_id: Annotated[JobRef, Field(description="session_id or agent job_id.")],
    messages: Annotated[int, Field(ge=0, le=20, description="How many recent messages to include.")] = 5,
) -> AgentSessionInfo:
    """Status, progress, recent messages and the video id of a Video Agent session."""
    return await video_agents_flow.get_agent_session(who(ctx), session_id=session_id, messages=messages)


@paid
@reports_errors
async def reply_to_agent(
    ctx: Context[AppState],
    session_id: Annotated[JobRef, Field(description="session_id or agent job_id of a chat-mode session.")],
    message: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS)],
    files: Files = None,
    roots: FilesRoots = None,
    *,
    spend: Spend,
) -> AgentReplyOut:
    """Answer, approve a draft of, or steer a chat-mode Video Agent session.
    Paid: HeyGen may render again, priced as a Video Agent video of the length the message states."""
    return await video_agents_flow.reply_to_agent(who(ctx, spend, roots), session_id=session_id, message=message,
                                                  files=files)


@reports_errors
async def stop_agent_session(
    ctx: Context[AppState], session_id: Annotated[JobRef, Field(description="session_id or agent job_id.")]
) -> AgentReplyOut:
    """Stop a running Video Agent session at its next checkpoint."""
    return await video_agents_flow.stop_agent_session(who(ctx), session_id=session_id)


@reports_errors
async def list_agent_styles(
    ctx: Context[AppState],
    tag: Annotated[str | None, Field(max_length=40, description="Filter by tag.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> StyleList:
    """Visual styles for create_agent_video (compact rows)."""
    return await video_agents_flow.list_agent_styles(who(ctx), tag=tag, limit=limit, next_token=next_token)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(create_agent_video)
    mcp.tool(annotations=READ_ONLY)(get_agent_session)
    mcp.tool(annotations=PAID)(reply_to_agent)
    mcp.tool(annotations=WRITES)(stop_agent_session)
    mcp.tool(annotations=READ_ONLY)(list_agent_styles)
