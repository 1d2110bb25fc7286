"""Video Agent: ``/v3/video-agents`` (a prompt in, a finished video out, with questions on the way)."""

from __future__ import annotations

from pydantic import BaseModel

from ..models import (
    AgentReply,
    AgentSession,
    AgentSessionSummary,
    AgentStyle,
    CreateAgentSession,
    Page,
    SendAgentMessage,
    Video,
)
from ..scripts import headline
from ..store import Job
from ._base import Resource


class _StoppedSession(BaseModel):
    session_id: str


class VideoAgents(Resource):
    async def create(self, req: CreateAgentSession, *, request_key: str | None = None,
                     seconds: float | None = None) -> AgentSession:
        """``seconds``: the video's intended length when known (for the estimate; else read from the brief)."""
        job = Job("agent", headline(req.prompt), {"prompt_chars": len(req.prompt)})  # a failure may owe to length
        created, _ = await self._c.create("/v3/video-agents", AgentSession, req, job, lambda s: s.session_id,
                                          request_key=request_key, seconds=seconds)
        return created

    async def get(self, session_id: str) -> AgentSession:
        return await self._c.get(f"/v3/video-agents/{session_id}", AgentSession)

    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[AgentSessionSummary]:
        return await self._c.list("/v3/video-agents", AgentSessionSummary, {"limit": limit, "token": token})

    async def styles(self, *, tag: str | None = None, limit: int = 20, token: str | None = None) -> Page[AgentStyle]:
        return await self._c.list("/v3/video-agents/styles", AgentStyle, {"tag": tag, "limit": limit, "token": token})

    async def send_message(self, session_id: str, req: SendAgentMessage, *, request_key: str | None = None,
                           seconds: float | None = None) -> AgentReply:
        """A message to a chat-mode session. HeyGen may start a new paid render for it, so it takes the paid path
        (priced as a Video Agent video of the length the message states, else an assumed one; claimed; one key)."""
        job = Job("agent_reply", req.message[:80], {"session_id": session_id})
        reply, _ = await self._c.create(f"/v3/video-agents/{session_id}", AgentReply, req, job,
                                        lambda r: r.run_id or session_id, request_key=request_key, seconds=seconds)
        return reply

    async def stop(self, session_id: str) -> str:
        stopped, _ = await self._c.send("POST", f"/v3/video-agents/{session_id}/stop", _StoppedSession, {})
        return stopped.session_id

    async def videos(self, session_id: str) -> Page[Video]:
        return await self._c.list(f"/v3/video-agents/{session_id}/videos", Video)
