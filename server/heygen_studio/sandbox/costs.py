"""Credit accounting of the sandbox (deterministic, documented here and nowhere else).

Estimated output length
    * script text: ``words / 2.5`` seconds (150 words a minute), at least 1 s; ``<break time="Ns"/>``
      tags add their N seconds;
    * an audio input (``audio_url`` / ``audio_asset_id``): 10 s (the sandbox does not decode audio);
    * a v2 ``silence`` voice: its ``duration``; a v3 silent image scene: its ``duration``;
    * a v3 studio ``video`` scene: 10 s.

Prices (``state.credits`` is in HeyGen API credits: 1 credit = 1 minute of avatar video)
    * video — ``POST /v3/videos`` (avatar, image, studio, cinematic), ``POST /v2/video/generate``,
      ``POST /v3/templates/{id}``, ``POST /v2/template/{id}/generate``:
      ``0.5 × ceil(seconds / 30)``, i.e. 1 credit a minute billed in 30-second increments;
    * Video Agent run (create, and every chat message): a 60 s estimate → 1.0 credit;
    * avatar creation (``POST /v3/avatars``, any type): 1.0 credit per call;
    * video translation: ``0.5 × ceil(source_seconds / 30)`` per output language (source length is
      the sandbox video's duration when the input is one of its own media URLs, else 60 s),
      doubled in ``precision`` mode;
    * text to speech (``POST /v3/voices/speech``): ``0.02 × ceil(seconds / 30)`` where
      ``seconds = words / 2.5 / speed``;
    * lipsync (``POST /v3/lipsyncs``): ``0.5 × ceil(seconds / 30)`` of the output (the source video's
      length when it is one of the sandbox's own media URLs or a speech/lipsync file, else 60 s; a
      ``start_time``/``end_time`` window counts only its length), doubled in ``precision`` mode;
    * voice clone (``POST /v3/voices/clone``): 1.0 credit per call;
    * everything else (uploads, voice design, consent, webhooks, reads): free.

A create whose price exceeds ``state.credits`` is refused with 402 ``insufficient_credit``
(``400 insufficient_credit`` in the v2 envelope on ``/v2`` paths, whose contract declares no 402)
and nothing is deducted.
"""

from __future__ import annotations

import math
import re

WORDS_PER_SECOND = 2.5
AUDIO_INPUT_SECONDS = 10.0
VIDEO_SCENE_SECONDS = 10.0
AGENT_RUN_SECONDS = 60.0
AGENT_RUN_COST = 1.0
AVATAR_COST = 1.0
VOICE_CLONE_COST = 1.0
DEFAULT_SOURCE_SECONDS = 60.0

_BREAK = re.compile(r"<break\s+time\s*=\s*[\"']?([0-9.]+)\s*(ms|s)?[\"']?\s*/>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def speech_seconds(text: str, speed: float = 1.0) -> float:
    """Estimated spoken length of ``text`` in seconds."""
    pauses = 0.0
    for amount, unit in _BREAK.findall(text):
        try:
            value = float(amount)
        except ValueError:
            continue
        pauses += value / 1000 if unit.lower() == "ms" else value
    words = len(_TAG.sub(" ", text).split())
    seconds = words / WORDS_PER_SECOND / (speed or 1.0) + pauses
    return round(max(1.0, seconds), 2)


def video_cost(seconds: float) -> float:
    return 0.5 * math.ceil(max(seconds, 1.0) / 30.0)


def translation_cost(source_seconds: float, languages: int, mode: str = "speed") -> float:
    per_language = 0.5 * math.ceil(max(source_seconds, 1.0) / 30.0)
    return per_language * languages * (2 if mode == "precision" else 1)


def speech_cost(seconds: float) -> float:
    return round(0.02 * math.ceil(max(seconds, 1.0) / 30.0), 4)


def lipsync_cost(seconds: float, mode: str = "speed") -> float:
    return 0.5 * math.ceil(max(seconds, 1.0) / 30.0) * (2 if mode == "precision" else 1)
