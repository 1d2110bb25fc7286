"""Request bodies of the lipsync area."""

from __future__ import annotations

from .base import AssetUrlOrId, DubbingOptions


# -- lipsyncs --------------------------------------------------------------------------------------
class CreateLipsync(DubbingOptions):
    audio: AssetUrlOrId
    fps_mode: str | None = None  # a free string in CreateLipsyncRequest (an enum for translations)
