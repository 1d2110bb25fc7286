"""Video Agent tools: a brief in, a finished video out (HeyGen writes, casts and edits)."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.costs import Spend
from ..core.errors import BadRequestError, NotFoundError
from ..core.models import MAX_AGENT_PROMPT_CHARS, AgentStyle, AssetInput, CreateAgentSession, Page, SendAgentMessage
from ..workflow import catalog
from ..workflow.assets import resolve_asset
from ..workflow.inputs import check_id, classify_source, not_blank
from ..workflow.jobs import (
    agent_needs,
    agent_silent_failure,
    id_of,
    known_agent_video,
    known_job,
    make_job_id,
    next_step,
    remember_agent_video,
    session_gone,
    unknown_job,
)
from ..workflow.outputs import AgentJob, AgentMessageOut, AgentReplyOut, AgentSessionInfo, StyleList, StyleRow
from ..workflow.tenant import Tenant
from .common import PAID, READ_ONLY, WRITES, AppState, Context, FilesRoots, paid, reports_errors, who
from .fields import Id, JobRef, Limit, NextToken, Source

Files = Annotated[
    list[Source] | None,
    Field(max_length=20, description="Reference files: local paths, http(s) URLs or asset ids (max 20)."),
]


async def _files(state: Tenant, files: list[str] | None) -> list[AssetInput] | None:
    if not files:
        return None
    return [await resolve_asset(state, item) for item in files]


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
    state = who(ctx, spend, roots)
    not_blank(prompt, "prompt")
    for item in files or ():
        classify_source(item, "files item")  # refuses ftp:// and other URLs HeyGen cannot fetch, before any request
    if avatar_id:
        await catalog.require_look(state, avatar_id)
    if voice_id:
        await catalog.require_voice(state, voice_id)
    if style_id:
        check_id(style_id, "style_id")
    req = CreateAgentSession(prompt=prompt, mode=mode, avatar_id=avatar_id, voice_id=voice_id, style_id=style_id,
                             orientation=orientation, files=await _files(state, files))
    session = await state.client.video_agents.create(req, request_key=request_key)
    job_id = make_job_id("agent", session.session_id)
    return AgentJob(job_id=job_id, session_id=session.session_id, status=session.status, video_id=session.video_id,
                    next_step=next_step("agent", session.status, job_id)
                    + (" In chat mode, read get_agent_session for questions." if mode == "chat" else ""))


@reports_errors
async def get_agent_session(
    ctx: Context[AppState],
    session_id: Annotated[JobRef, Field(description="session_id or agent job_id.")],
    messages: Annotated[int, Field(ge=0, le=20, description="How many recent messages to include.")] = 5,
) -> AgentSessionInfo:
    """Status, progress, recent messages and the video id of a Video Agent session."""
    sid = id_of("agent", session_id, "session_id")
    state = who(ctx)
    job_id = make_job_id("agent", sid)
    try:
        session = await state.client.video_agents.get(sid)
    except NotFoundError:
        video_id = known_agent_video(state, sid)
        if video_id is None:
            raise unknown_job(job_id) from None
        raise ToolError(f"{session_gone(sid, video_id)} wait_for_job('{job_id}') and download_video('{job_id}') "
                        "follow it.") from None
    remember_agent_video(state, sid, session.video_id)
    silent = agent_silent_failure(session, known_job(state, sid), job_id)
    recent = [AgentMessageOut(role=m.role, type=m.type, content=m.content[:400], resource_ids=m.resource_ids or None)
              for m in session.messages[:messages]]
    return AgentSessionInfo(session_id=sid, status=session.status, progress=session.progress, title=session.title,
                            video_id=session.video_id, messages=recent,
                            next_step=silent[1] if silent else next_step("agent", session.status, job_id,
                                                                         needs=agent_needs(session)))


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
    state = who(ctx, spend, roots)
    not_blank(message, "message")
    for item in files or ():
        classify_source(item, "files item")
    sid = id_of("agent", session_id, "session_id")
    try:
        reply = await state.client.video_agents.send_message(
            sid, SendAgentMessage(message=message, files=await _files(state, files)))
    except BadRequestError as exc:
        raise ToolError(f"{exc.describe()} Only sessions created with mode='chat' take replies.") from None
    return AgentReplyOut(session_id=reply.session_id, run_id=reply.run_id,
                         next_step=next_step("agent", "generating", make_job_id("agent", sid)))


@reports_errors
async def stop_agent_session(
    ctx: Context[AppState], session_id: Annotated[JobRef, Field(description="session_id or agent job_id.")]
) -> AgentReplyOut:
    """Stop a running Video Agent session at its next checkpoint."""
    sid = id_of("agent", session_id, "session_id")
    stopped = await who(ctx).client.video_agents.stop(sid)
    return AgentReplyOut(session_id=stopped, run_id="", next_step="Stopped. get_agent_session shows where it ended.")


@reports_errors
async def list_agent_styles(
    ctx: Context[AppState],
    tag: Annotated[str | None, Field(max_length=40, description="Filter by tag.")] = None,
    limit: Limit = 10,
    next_token: NextToken = None,
) -> StyleList:
    """Visual styles for create_agent_video (compact rows)."""
    state = who(ctx)

    async def fetch(token: str | None) -> Page[AgentStyle]:
        return await state.client.video_agents.styles(tag=tag, limit=50, token=token)

    rows, nxt = await catalog.window(state, ("styles", tag), fetch, next_token=next_token, limit=limit)
    items = [StyleRow(style_id=s.style_id, name=s.name, tags=s.tags or [], aspect_ratio=s.aspect_ratio) for s in rows]
    return StyleList(items=items, next_token=nxt)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(create_agent_video)
    mcp.tool(annotations=READ_ONLY)(get_agent_session)
    mcp.tool(annotations=PAID)(reply_to_agent)
    mcp.tool(annotations=WRITES)(stop_agent_session)
    mcp.tool(annotations=READ_ONLY)(list_agent_styles)
