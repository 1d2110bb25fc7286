"""Translations: ``POST /v3/video-translations`` (one job per output language) and its responses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import APIModel, RequestModel, UrlOrAsset


class CreateTranslation(RequestModel):
    video: UrlOrAsset
    output_languages: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=20)]
    mode: Literal["speed", "precision"] | None = None
    title: str | None = None
    input_language: str | None = None
    translate_audio_only: bool | None = None
    enable_caption: bool | None = None
    speaker_num: Annotated[int | None, Field(ge=1, le=10)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None


class Translation(APIModel):
    id: str
    status: str
    title: str | None = None
    output_language: str | None = None
    input_language: str | None = None
    video_url: str | None = None
    audio_url: str | None = None
    srt_caption_url: str | None = None
    vtt_caption_url: str | None = None
    duration: float | None = None
    failure_message: str | None = None
    created_at: int | None = None


class CreatedTranslations(APIModel):
    video_translation_ids: list[str]
