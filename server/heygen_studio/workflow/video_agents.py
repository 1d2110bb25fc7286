"""Video Agent: a brief in, a finished video out (HeyGen writes, casts and edits)."""

from __future__ import annotations

from typing import Literal

from ..core.errors import BadRequestError, NotFoundError
from ..core.models import AgentStyle, AssetInput, CreateAgentSession, Page, SendAgentMessage
from . import catalog
from .assets import resolve_asset
from .errors import Refused
from .inputs import check_id, classify_source, not_blank
from .jobs import (
    acted_on,
    agent_needs,
    agent_silent_failure,
    id_of,
    known_agent_video,
    known_job,
    make_job_id,
    next_step,
    only_mine,
    remember_agent_video,
    session_gone,
    unknown_job,
)
from .outputs import AgentJob, AgentMessageOut, AgentReplyOut, AgentSessionInfo, StyleList, StyleRow
from .tenant import Tenant


async def _files(state: Tenant, files: list[str] | None) -> list[AssetInput] | None:
    if not files:
        return None
    return [await resolve_asset(state, item) for item in files]


async def create_agent_video(
    state: Tenant,
    *,
    prompt: str,
    avatar_id: str | None = None,
    voice_id: str | None = None,
    style_id: str | None = None,
    orientation: Literal['landscape', 'portrait'] | None = None,
    files: list[str] | None = None,
    mode: Literal['generate', 'chat'] = 'generate',
    request_key: str | None = None,
) -> AgentJob:
    """For a brief that Video Agent should write, cast and edit (an ad, a promo): HeyGen's agent makes the whole
    video. Paid. Returns a job_id at once."""
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


async def get_agent_session(state: Tenant, *, session_id: str, messages: int = 5) -> AgentSessionInfo:
    """Status, progress, recent messages and the video id of a Video Agent session."""
    sid = id_of("agent", session_id, "session_id")
    only_mine(state, sid, session_id)
    job_id = make_job_id("agent", sid)
    try:
        session = await state.client.video_agents.get(sid)
    except NotFoundError:
        video_id = known_agent_video(state, sid)
        if video_id is None:
            raise unknown_job(job_id) from None
        raise Refused(f"{session_gone(sid, video_id)} wait_for_job('{job_id}') and download_video('{job_id}') "
                        "follow it.") from None
    remember_agent_video(state, sid, session.video_id)
    silent = agent_silent_failure(session, known_job(state, sid), job_id)
    recent = [AgentMessageOut(role=m.role, type=m.type, content=m.content[:400], resource_ids=m.resource_ids or None)
              for m in session.messages[:messages]]
    return AgentSessionInfo(session_id=sid, status=session.status, progress=session.progress, title=session.title,
                            video_id=session.video_id, messages=recent,
                            next_step=silent[1] if silent else next_step("agent", session.status, job_id,
                                                                         needs=agent_needs(session)))


async def reply_to_agent(state: Tenant, *, session_id: str, message: str,
                         files: list[str] | None = None) -> AgentReplyOut:
    """Answer, approve a draft of, or steer a chat-mode Video Agent session.
    Paid: HeyGen may render again, priced as a Video Agent video of the length the message states."""
    not_blank(message, "message")
    for item in files or ():
        classify_source(item, "files item")
    sid = id_of("agent", session_id, "session_id")
    only_mine(state, sid, session_id)
    try:
        reply = await state.client.video_agents.send_message(
            sid, SendAgentMessage(message=message, files=await _files(state, files)))
    except BadRequestError as exc:
        raise Refused(f"{exc.describe()} Only sessions created with mode='chat' take replies.") from None
    acted_on(state, sid)
    return AgentReplyOut(session_id=reply.session_id, run_id=reply.run_id,
                         next_step=next_step("agent", "generating", make_job_id("agent", sid)))


async def stop_agent_session(state: Tenant, *, session_id: str) -> AgentReplyOut:
    """Stop a running Video Agent session at its next checkpoint."""
    sid = id_of("agent", session_id, "session_id")
    only_mine(state, sid, session_id)
    stopped = await state.client.video_agents.stop(sid)
    acted_on(state, sid)
    return AgentReplyOut(session_id=stopped, run_id="", next_step="Stopped. get_agent_session shows where it ended.")


async def list_agent_styles(
    state: Tenant,
    *,
    tag: str | None = None,
    limit: int = 10,
    next_token: str | None = None,
) -> StyleList:
    """Visual styles for create_agent_video (compact rows)."""

    async def fetch(token: str | None) -> Page[AgentStyle]:
        return await state.client.video_agents.styles(tag=tag, limit=50, token=token)

    rows, nxt = await catalog.window(state, ("styles", tag), fetch, next_token=next_token, limit=limit)
    items = [StyleRow(style_id=s.style_id, name=s.name, tags=s.tags or [], aspect_ratio=s.aspect_ratio) for s in rows]
    return StyleList(items=items, next_token=nxt)
