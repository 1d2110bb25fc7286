"""Voices: voice design (``POST /v3/voices``), text to speech (``POST /v3/voices/speech``) and voice listings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import MAX_SCRIPT_CHARS, APIModel, RequestModel


class DesignVoice(RequestModel):
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    gender: str | None = None
    locale: str | None = None
    seed: Annotated[int | None, Field(ge=0)] = None


class CreateSpeech(RequestModel):
    text: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT_CHARS)]
    voice_id: Annotated[str, Field(min_length=1)]
    input_type: Literal["text", "ssml"] | None = None
    speed: Annotated[float | None, Field(ge=0.5, le=2.0)] = None
    language: str | None = None
    locale: str | None = None


class Voice(APIModel):
    voice_id: str
    name: str | None = None
    language: str | None = None
    gender: str | None = None
    type: str | None = None
    support_pause: bool | None = None
    support_locale: bool | None = None
    preview_audio_url: str | None = None
    status: str | None = None


class DesignedVoices(APIModel):
    voices: list[Voice]
    seed: int


class Speech(APIModel):
    audio_url: str
    duration: float
    request_id: str | None = None
