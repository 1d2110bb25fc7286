"""Video Agent: ``/v3/video-agents`` sessions, messages and styles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import MAX_AGENT_FILES, MAX_AGENT_PROMPT_CHARS, APIModel, AssetInput, Orientation, RequestModel


class CreateAgentSession(RequestModel):
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS)]
    mode: Literal["generate", "chat"] | None = None
    avatar_id: str | None = None
    voice_id: str | None = None
    style_id: str | None = None
    brand_kit_id: str | None = None
    orientation: Orientation | None = None
    files: Annotated[list[AssetInput] | None, Field(max_length=MAX_AGENT_FILES)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None
    incognito_mode: bool | None = None


class SendAgentMessage(RequestModel):
    message: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS)]
    files: Annotated[list[AssetInput] | None, Field(max_length=MAX_AGENT_FILES)] = None
    avatar_id: str | None = None
    voice_id: str | None = None
    brand_kit_id: str | None = None


class AgentMessage(APIModel):
    role: str
    content: str
    type: str
    created_at: int | None = None


class AgentSession(APIModel):
    session_id: str
    status: str
    created_at: int
    progress: int | None = None
    video_id: str | None = None
    title: str | None = None
    messages: list[AgentMessage] = Field(default_factory=list)


class AgentSessionSummary(APIModel):
    session_id: str
    created_at: int
    title: str | None = None


class AgentReply(APIModel):
    session_id: str
    run_id: str
    title: str | None = None


class AgentStyle(APIModel):
    style_id: str
    name: str
    tags: list[str] | None = None
    aspect_ratio: str | None = None
    thumbnail_url: str | None = None
    preview_video_url: str | None = None
