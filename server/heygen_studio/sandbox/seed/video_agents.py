"""Video Agent styles."""

from __future__ import annotations

from .common import hex_id

# -- Video Agent styles ----------------------------------------------------------------------------
_STYLE_ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Cinematic Documentary", "16:9", ("cinematic", "documentary")),
    ("Retro Tech", "16:9", ("retro-tech", "80s", "neon")),
    ("Minimal Whiteboard", "16:9", ("minimal", "explainer")),
    ("Bold Social", "9:16", ("social", "vertical", "bold")),
    ("Corporate Clean", "16:9", ("corporate", "business")),
    ("Kinetic Typography", "16:9", ("typography", "motion")),
    ("Warm Storyteller", "16:9", ("storytelling", "warm", "cinematic")),
    ("News Desk", "16:9", ("news", "broadcast")),
    ("Playful Cartoon", "1:1", ("cartoon", "playful")),
    ("Iconic Artist", "9:16", ("iconic-artist", "art", "vertical")),
]


def style_rows() -> list[dict[str, object]]:
    return [
        {
            "style_id": hex_id("style", name, length=24),
            "name": name,
            "aspect_ratio": ratio,
            "tags": list(tags),
        }
        for name, ratio, tags in _STYLE_ROWS
    ]
