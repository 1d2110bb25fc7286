"""Voices: ``/v3/voices`` (list, design) and ``/v3/voices/speech`` (text to speech)."""

from __future__ import annotations

from ..models import CreateSpeech, DesignedVoices, DesignVoice, Page, Speech, Voice
from ._base import Resource


class Voices(Resource):
    async def list(self, *, type: str | None = None, engine: str | None = None, language: str | None = None,
                   gender: str | None = None, limit: int = 20, token: str | None = None) -> Page[Voice]:
        params = {"type": type, "engine": engine, "language": language, "gender": gender, "limit": limit,
                  "token": token}
        return await self._c.list("/v3/voices", Voice, params)

    async def get(self, voice_id: str) -> Voice:
        return await self._c.get(f"/v3/voices/{voice_id}", Voice)

    async def design(self, req: DesignVoice) -> DesignedVoices:
        designed, _ = await self._c.send("POST", "/v3/voices", DesignedVoices, req)
        return designed

    async def speech(self, req: CreateSpeech) -> Speech:
        speech, _ = await self._c.send("POST", "/v3/voices/speech", Speech, req)
        return speech
