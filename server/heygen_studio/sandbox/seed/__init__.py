"""The sandbox's deterministic catalog, one module per area: voices, avatars, Video Agent styles,
templates, translation languages and webhook event types. No randomness: ids are derived from names."""

from __future__ import annotations

from .avatars import avatar_rows
from .common import SEED_TIME, hex_id
from .templates import v2_template_rows, v3_template_rows
from .translations import TRANSLATION_LANGUAGES
from .video_agents import style_rows
from .voices import voice_id_for, voice_rows
from .webhooks import WEBHOOK_EVENT_NAMES, WEBHOOK_EVENT_TYPES

__all__ = [
    "SEED_TIME",
    "TRANSLATION_LANGUAGES",
    "WEBHOOK_EVENT_NAMES",
    "WEBHOOK_EVENT_TYPES",
    "avatar_rows",
    "hex_id",
    "style_rows",
    "v2_template_rows",
    "v3_template_rows",
    "voice_id_for",
    "voice_rows",
]
