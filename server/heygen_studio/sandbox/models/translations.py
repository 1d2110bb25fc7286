"""Request bodies of the translations area."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import (
    AssetUrlOrId,
    Closed,
    Open,
)


# -- translations ----------------------------------------------------------------------------------
class StockVoiceConfig(Open):
    use_stock_voice: bool = False
    preferred_stock_voice_ids: list[str] | None = None


class CreateVideoTranslation(Closed):
    video: AssetUrlOrId
    output_languages: Annotated[list[str], Field(min_length=1)]
    title: str | None = None
    mode: Literal["speed", "precision"] = "speed"
    audio: AssetUrlOrId | None = None
    srt: AssetUrlOrId | None = None
    srt_role: Literal["input", "output"] | None = None
    brand_glossary_id: str | None = None
    brand_voice_id: str | None = None
    callback_id: str | None = None
    callback_url: str | None = None
    disable_music_track: bool = False
    enable_caption: bool = False
    enable_dynamic_duration: bool = True
    enable_speech_enhancement: bool = False
    enable_watermark: bool = False
    start_time: float | None = None
    end_time: float | None = None
    folder_id: str | None = None
    fps_mode: Literal["vfr", "cfr", "passthrough"] | None = None
    input_language: str | None = None
    keep_the_same_format: bool | None = None
    speaker_num: int | None = None
    stock_voice_config: StockVoiceConfig | None = None
    translate_audio_only: bool = False
