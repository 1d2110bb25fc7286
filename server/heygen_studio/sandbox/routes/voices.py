"""Voices (v3): list, get, delete, design (semantic search), clone (a private voice on the clock) and speech."""

from __future__ import annotations

import base64
import binascii
import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs, seed
from ..errors import ApiError, invalid_parameter, validation_error
from ..models.base import AssetBase64, parse_body
from ..models.voices import CloneVoice, CreateSpeech, DesignVoice
from ..records import Voice
from ..render import phrases
from ..state import SandboxState
from ..views import voice_detail, voice_item
from ..web import base_url, ok, or_404, paged, query_enum, state_of


# -- voices ----------------------------------------------------------------------------------------
async def list_voices(request: Request) -> Response:
    state = state_of(request)
    voice_type = query_enum(request, "type", ("public", "private"), "public")
    engine = (request.query_params.get("engine") or "").strip().lower()
    language = (request.query_params.get("language") or "").strip()
    gender = (request.query_params.get("gender") or "").strip().lower()
    now = state.now()
    voices = [
        v
        for v in state.voices.values()
        if v.type == voice_type
        and v.status(now) in (None, "complete")  # a clone is listed once it is ready
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
    return ok(voice_detail(state, voice, base_url(request), state.now()))


async def delete_voice(request: Request) -> Response:
    """Only a caller's own clone can be deleted; an unknown or deleted one is 404 ``voice_not_found``."""
    state = state_of(request)
    voice_id = request.path_params["voice_id"]
    voice = or_404(state.voices.get(voice_id), "Voice", voice_id, "voice_not_found")
    if voice.type != "private":
        raise ApiError(403, "forbidden", f"Voice '{voice_id}' is a library voice; only your own clones can be deleted")
    del state.voices[voice_id]
    return ok({"voice_id": voice_id})


_LANGUAGES = {v.language_code: v.language for v in (Voice(**row) for row in seed.voice_rows())}  # type: ignore[arg-type]


def _clone_language(hint: str | None) -> tuple[str, str]:
    """(language name, code) of a clone: the hint ('en', 'en-US' or 'English'), else English ("auto-detected")."""
    wanted = (hint or "").strip().lower()
    for code, name in _LANGUAGES.items():
        if wanted and (wanted in (code, name.lower()) or wanted.startswith(code + "-")):
            return name, code
    return "English", "en"


def _check_sample(state: SandboxState, body: CloneVoice) -> None:
    checks.check_asset_input(state, body.audio, "audio", ("audio", "video"))
    if isinstance(body.audio, AssetBase64):
        if not body.audio.media_type.startswith(("audio/", "video/")):
            raise invalid_parameter("audio.media_type must be an audio (or video) type", "audio.media_type")
        try:
            size = len(base64.b64decode(body.audio.data, validate=True))
        except (binascii.Error, ValueError):
            size = 0
        if size < 64:
            raise invalid_parameter("The audio sample is too short to clone a voice from", "audio.data")


async def clone_voice(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CloneVoice, await request.body())
    name = body.voice_name.strip()
    if not name:
        raise validation_error("voice_name must not be empty", "voice_name")
    _check_sample(state, body)
    state.charge_for("/v3/voices/clone", await request.body(), "voice clone")
    now = state.now()
    language, code = _clone_language(body.language)
    voice = Voice(
        voice_id=state.new_id("voice"),
        name=name,
        language=language,
        language_code=code,
        locale=code,
        gender="unknown",
        engines=("starfish",),  # "The resulting voice can be used with POST /v3/voices/speech and POST /v3/videos"
        support_pause=True,
        type="private",
        created_at=now,
        ready_at=now + state.config.voice_clone_seconds,
    )
    state.voices[voice.voice_id] = voice
    return ok({"voice_clone_id": voice.voice_id})


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
    now = state.now()
    candidates = [
        v
        for v in state.voices.values()
        if v.status(now) in (None, "complete")
        and (not gender or v.gender == gender) and (not body.locale or v.matches_language(body.locale))
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
    status = voice.status(state.now())
    if status not in (None, "complete"):
        raise invalid_parameter(f"Voice '{body.voice_id}' is not ready (clone status: {status})", "voice_id")
    if "starfish" not in voice.engines:
        raise invalid_parameter(
            f"Voice '{body.voice_id}' does not support the starfish engine "
            "(list voices with engine=starfish)",
            "voice_id"
        )
    seconds = costs.speech_seconds(body.text, body.speed)
    state.charge_for("/v3/voices/speech", await request.body(), "speech")
    request_id = state.new_id("speech", length=24)
    timestamps = []  # when each word is said in the file (render.py speaks phrase by phrase, pauses included)
    for phrase in phrases(body.text, seconds):
        words = phrase.text.split()
        step = (phrase.end - phrase.start) / max(len(words), 1)
        timestamps += [
            {"word": w, "start": round(phrase.start + i * step, 3), "end": round(phrase.start + (i + 1) * step, 3)}
            for i, w in enumerate(words)
        ]
    state.speech[request_id] = {"text": body.text, "duration": seconds, "voice_id": body.voice_id,
                                "speed": body.speed, "locale": body.locale or body.language}
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
    Route("/v3/voices/clone", clone_voice, methods=["POST"]),
    Route("/v3/voices/speech", create_speech, methods=["POST"]),
    Route("/v3/voices/{voice_id}", get_voice, methods=["GET"]),
    Route("/v3/voices/{voice_id}", delete_voice, methods=["DELETE"]),
]
