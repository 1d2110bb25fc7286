"""Request bodies of the voices area (design, clone, speech)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import (
    AssetInput,
    Closed,
    Open,
)


# -- voices ----------------------------------------------------------------------------------------
class DesignVoice(Closed):
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    gender: str | None = None
    locale: str | None = None
    seed: Annotated[int, Field(ge=0)] = 0


class CloneVoice(Open):
    """CloneVoiceRequest is not a closed object in the contract (no additionalProperties: false)."""

    audio: AssetInput
    voice_name: str
    language: str | None = None
    remove_background_noise: bool = True


class CreateSpeech(Closed):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    voice_id: str
    input_type: str = "text"
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1
    language: str | None = None
    locale: str | None = None
