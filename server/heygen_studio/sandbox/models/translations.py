"""Request bodies of the translations area."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import AssetUrlOrId, Closed, DubbingOptions, Open


# -- translations ----------------------------------------------------------------------------------
class StockVoiceConfig(Open):
    use_stock_voice: bool = False
    preferred_stock_voice_ids: list[str] | None = None


class CreateVideoTranslation(DubbingOptions):
    output_languages: Annotated[list[str], Field(min_length=1)]
    audio: AssetUrlOrId | None = None
    srt: AssetUrlOrId | None = None
    srt_role: Literal["input", "output"] | None = None
    brand_glossary_id: str | None = None
    brand_voice_id: str | None = None
    fps_mode: Literal["vfr", "cfr", "passthrough"] | None = None
    input_language: str | None = None
    speaker_num: int | None = None
    stock_voice_config: StockVoiceConfig | None = None
    translate_audio_only: bool = False


class CreateTranslationBatch(Closed):
    """Each entry is checked as POST /v3/video-translations's body, one by one (routes/batches.py)."""

    video_translations: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=100)]
    title: str | None = None
    callback_url: str | None = None
