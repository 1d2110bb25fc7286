"""Voices: ``/v3/voices`` (list, get, design, delete), ``/v3/voices/clone`` and ``/v3/voices/speech``.

Speech and cloning are paid creates: both go through ``HeyGenClient.create`` (claimed in the job store
first; a repeat resends the same Idempotency-Key, which HeyGen replays without charging). Speech is
answered at once (an audio URL), so its claim is settled with the request id, kind ``speech``; a clone is a
job, kind ``voice``, polled at ``GET /v3/voices/{voice_clone_id}`` until ``complete``.
"""

from __future__ import annotations

from ..http import idempotency_key_for
from ..models import (
    CloneVoice,
    CreateSpeech,
    Deleted,
    DesignedVoices,
    DesignVoice,
    Page,
    Speech,
    Voice,
    VoiceCloneCreated,
)
from ..store import Job
from ._base import Resource

SPEECH_PATH = "/v3/voices/speech"


def speech_key(req: CreateSpeech, request_key: str | None = None) -> str:
    """The fingerprint (and Idempotency-Key) of a speech request: the same text, voice and settings."""
    return idempotency_key_for("POST", SPEECH_PATH, req.body(), request_key)


class Voices(Resource):
    async def list(self, *, type: str | None = None, engine: str | None = None, language: str | None = None,
                   gender: str | None = None, limit: int = 20, token: str | None = None) -> Page[Voice]:
        params = {"type": type, "engine": engine, "language": language, "gender": gender, "limit": limit,
                  "token": token}
        return await self._c.list("/v3/voices", Voice, params)

    async def get(self, voice_id: str) -> Voice:
        return await self._c.get(f"/v3/voices/{voice_id}", Voice)

    async def delete(self, voice_id: str) -> Deleted:
        return await self._c.delete(f"/v3/voices/{voice_id}", where="DELETE /v3/voices", fallback={"id": voice_id})

    async def design(self, req: DesignVoice) -> DesignedVoices:
        designed, _ = await self._c.send("POST", "/v3/voices", DesignedVoices, req)
        return designed

    async def speech(self, req: CreateSpeech, *, request_key: str | None = None) -> Speech:
        key = speech_key(req, request_key)
        job = Job("speech", req.text[:60], {"voice_id": req.voice_id})
        speech, env = await self._c.create(SPEECH_PATH, Speech, req, job, lambda s: s.request_id or key,
                                           request_key=request_key)
        speech.replayed = env.replayed
        return speech

    async def clone(self, req: CloneVoice, *, request_key: str | None = None) -> VoiceCloneCreated:
        job = Job("voice", req.voice_name)
        created, env = await self._c.create("/v3/voices/clone", VoiceCloneCreated, req, job,
                                            lambda c: c.voice_clone_id, request_key=request_key)
        created.replayed = env.replayed
        return created
