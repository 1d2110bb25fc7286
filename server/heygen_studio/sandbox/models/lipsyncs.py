"""Request bodies of the lipsync area."""

from __future__ import annotations

from typing import Literal

from .base import (
    AssetUrlOrId,
    Closed,
)


# -- lipsyncs --------------------------------------------------------------------------------------
class CreateLipsync(Closed):
    video: AssetUrlOrId
    audio: AssetUrlOrId
    title: str | None = None
    mode: Literal["speed", "precision"] = "speed"
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
    fps_mode: str | None = None
    keep_the_same_format: bool | None = None
