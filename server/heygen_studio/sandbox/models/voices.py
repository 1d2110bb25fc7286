"""Request bodies of the voices area (design, speech)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import (
    Closed,
)


# -- voices ----------------------------------------------------------------------------------------
class DesignVoice(Closed):
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    gender: str | None = None
    locale: str | None = None
    seed: Annotated[int, Field(ge=0)] = 0


class CreateSpeech(Closed):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    voice_id: str
    input_type: str = "text"
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1
    language: str | None = None
    locale: str | None = None
