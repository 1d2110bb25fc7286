"""Voices (v3): list, get, design (semantic search) and speech (text to speech)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import costs
from ..errors import ApiError, invalid_parameter, validation_error
from ..models.base import parse_body
from ..models.voices import CreateSpeech, DesignVoice
from ..views import voice_detail, voice_item
from ..web import base_url, ok, or_404, paged, query_enum, state_of


# -- voices ----------------------------------------------------------------------------------------
async def list_voices(request: Request) -> Response:
    state = state_of(request)
    voice_type = query_enum(request, "type", ("public", "private"), "public")
    engine = (request.query_params.get("engine") or "").strip().lower()
    language = (request.query_params.get("language") or "").strip()
    gender = (request.query_params.get("gender") or "").strip().lower()
    voices = [
        v
        for v in state.voices.values()
        if v.type == voice_type
        and (not engine or engine in v.engines)
        and (not language or v.matches_language(language))
        and (not gender or v.gender == gender)
    ]
    base = base_url(request)
    return paged(request, voices, lambda v: voice_item(state, v, base), default=20, maximum=100)


async def get_voice(request: Request) -> Response:
    state = state_of(request)
    voice_id = request.path_params["voice_id"]
    voice = or_404(state.voices.get(voice_id), "Voice", voice_id, "voice_not_found")
    return ok(voice_detail(state, voice, base_url(request)))


async def design_voice(request: Request) -> Response:
    """Deterministic "semantic search": rank the catalog by a hash of the prompt, page by seed."""
    state = state_of(request)
    body = parse_body(DesignVoice, await request.body())
    gender = (body.gender or "").strip().lower()
    if gender and gender not in ("male", "female"):
        raise validation_error("gender must be 'male' or 'female'", "gender")
    prompt = body.prompt.lower()
    if not gender:
        gender = (
            "female" if "female" in prompt or "woman" in prompt else "male" if " male" in f" {prompt}" else ""
        )
    candidates = [
        v
        for v in state.voices.values()
        if (not gender or v.gender == gender) and (not body.locale or v.matches_language(body.locale))
    ]
    candidates.sort(key=lambda v: hashlib.sha256(f"{body.prompt}|{v.voice_id}".encode()).hexdigest())
    picked = candidates[body.seed * 3 : body.seed * 3 + 3]
    base = base_url(request)
    return ok({"seed": body.seed, "voices": [voice_item(state, v, base) for v in picked]})


async def create_speech(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateSpeech, await request.body())
    if body.input_type not in ("text", "ssml"):
        raise validation_error("input_type must be 'text' or 'ssml'", "input_type")
    voice = state.voices.get(body.voice_id)
    if voice is None:
        raise ApiError(400, "voice_not_found", f"Voice '{body.voice_id}' not found", param="voice_id")
    if "starfish" not in voice.engines:
        raise invalid_parameter(
            f"Voice '{body.voice_id}' does not support the starfish engine "
            "(list voices with engine=starfish)",
            "voice_id"
        )
    seconds = costs.speech_seconds(body.text, body.speed)
    state.charge(costs.speech_cost(seconds), "speech")
    request_id = state.new_id("speech", length=24)
    words = [w for w in body.text.replace("<", " <").split() if not w.startswith("<")]
    step = seconds / max(len(words), 1)
    timestamps = [
        {"word": w, "start": round(i * step, 3), "end": round((i + 1) * step, 3)} for i, w in enumerate(words)
    ]
    state.speech[request_id] = {"text": body.text, "duration": seconds}
    return ok(
        {
            "audio_url": state.media_url(base_url(request), f"/_media/speech/{request_id}/speech.mp3"),
            "duration": seconds,
            "request_id": request_id,
            "word_timestamps": timestamps,
        }
    )


routes = [
    Route("/v3/voices", list_voices, methods=["GET"]),
    Route("/v3/voices", design_voice, methods=["POST"]),
    Route("/v3/voices/speech", create_speech, methods=["POST"]),
    Route("/v3/voices/{voice_id}", get_voice, methods=["GET"]),
]
