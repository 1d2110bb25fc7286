"""The sandbox's lengths: how long a render lasts (deterministic, documented here and nowhere else).

What a create costs is not decided here: the sandbox charges from the server's own price table
(``core.costs.estimate`` on the request body, through ``SandboxState.charge_for``), which holds HeyGen's
published pay-as-you-go prices, so an estimate and the sandbox's wallet agree to the cent. The wallet
(``GET /v3/users/me`` → ``wallet``, currency ``usd``) holds US dollars; a create it cannot pay for is refused
with 402 ``insufficient_credit`` (``400`` in the v2 envelope on ``/v2`` paths, whose contract declares no 402)
and nothing is deducted. What the sandbox knows and a request does not say (the length of one of its own
videos given as a translation or lipsync source) is passed to the estimate as that source's length.

Render lengths
    * script text: ``words / 2.5`` seconds (150 words a minute), at least 1 s; ``<break time="Ns"/>``
      tags add their N seconds;
    * an audio input (``audio_url`` / ``audio_asset_id``): 10 s (the sandbox does not decode audio);
    * a v2 ``silence`` voice: its ``duration``; a v3 silent image scene: its ``duration``;
    * a v3 studio ``video`` scene: 10 s;
    * a Video Agent run: 60 s; a translation or lipsync of a source that is not one of the sandbox's own
      videos: 60 s.
"""

from __future__ import annotations

import re

WORDS_PER_SECOND = 2.5
AUDIO_INPUT_SECONDS = 10.0
VIDEO_SCENE_SECONDS = 10.0
AGENT_RUN_SECONDS = 60.0
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
