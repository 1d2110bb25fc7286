"""Request bodies of the video agent area (/v3/video-agents)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import (
    AssetInput,
    Closed,
)


# -- video agent -----------------------------------------------------------------------------------
class CreateVideoAgentSession(Closed):
    prompt: Annotated[str, Field(min_length=1, max_length=10000)]
    mode: Literal["generate", "chat"] = "generate"
    avatar_id: str | None = None
    voice_id: str | None = None
    style_id: str | None = None
    brand_kit_id: str | None = None
    orientation: Literal["landscape", "portrait"] | None = None
    files: Annotated[list[AssetInput], Field(max_length=20)] | None = None
    callback_url: str | None = None
    callback_id: str | None = None
    incognito_mode: bool = False


class SendVideoAgentMessage(Closed):
    message: Annotated[str, Field(min_length=1, max_length=10000)]
    avatar_id: str | None = None
    voice_id: str | None = None
    brand_kit_id: str | None = None
    files: Annotated[list[AssetInput], Field(max_length=20)] | None = None


class StopSession(Closed):
    pass
