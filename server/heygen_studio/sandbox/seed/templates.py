"""v3 and v2 templates."""

from __future__ import annotations

from .common import hex_id
from .voices import voice_id_for


# -- templates -------------------------------------------------------------------------------------
def _text(name: str, content: str) -> dict[str, object]:
    return {"name": name, "type": "text", "properties": {"content": content}}


def v3_template_rows() -> list[dict[str, object]]:
    abigail = "Abigail_expressive_2024112501"
    return [
        {
            "id": hex_id("template-v3", "product-launch"),
            "name": "Product Launch",
            "aspect_ratio": "16:9",
            "variables": {
                "product_name": _text("product_name", "HeyGen Studio"),
                "tagline": _text("tagline", "Videos from a single prompt."),
                "presenter": {
                    "name": "presenter",
                    "type": "character",
                    "properties": {"character_id": abigail, "type": "avatar"},
                },
                "narrator_voice": {
                    "name": "narrator_voice",
                    "type": "voice",
                    "properties": {"voice_id": voice_id_for("Allison", "English")},
                },
            },
            "scenes": [
                ("intro", "Introducing {{product_name}}!", ("product_name", "presenter", "narrator_voice")),
                ("pitch", "{{tagline}} Built for busy teams.", ("tagline", "presenter", "narrator_voice")),
                ("outro", "Try {{product_name}} today.", ("product_name", "narrator_voice")),
            ],
        },
        {
            "id": hex_id("template-v3", "weekly-update"),
            "name": "Weekly Team Update",
            "aspect_ratio": "9:16",
            "variables": {
                "team_name": _text("team_name", "Platform Team"),
                "highlight": _text("highlight", "We shipped the new dashboard."),
                "background_image": {
                    "name": "background_image",
                    "type": "image",
                    "properties": {"url": "https://example.com/office.jpg", "fit": "cover"},
                },
            },
            "scenes": [
                (
                    "hello",
                    "Hi everyone, here is the {{team_name}} update.",
                    ("team_name", "background_image"),
                ),
                ("news", "This week: {{highlight}}", ("highlight",)),
            ],
        },
    ]


def v2_template_rows() -> list[dict[str, object]]:
    return [
        {
            "template_id": hex_id("template-v2", "welcome"),
            "name": "Welcome Message",
            "aspect_ratio": "landscape",
            "variables": {
                "first_name": _text("first_name", "there"),
                "company": _text("company", "Acme"),
                "avatar": {
                    "name": "avatar",
                    "type": "character",
                    "properties": {"character_id": "Adrian_blue_suit_20240312", "type": "avatar"},
                },
            },
            "script": "Hello {{first_name}}, welcome to {{company}}!",
        },
        {
            "template_id": hex_id("template-v2", "course-intro"),
            "name": "Course Intro",
            "aspect_ratio": "landscape",
            "variables": {
                "course_title": _text("course_title", "Intro to Video"),
                "instructor_voice": {
                    "name": "instructor_voice",
                    "type": "voice",
                    "properties": {"voice_id": voice_id_for("Emma", "English")},
                },
                "cover": {
                    "name": "cover",
                    "type": "image",
                    "properties": {"url": "https://example.com/cover.jpg", "fit": "contain"},
                },
            },
            "script": "Welcome to {{course_title}}. Let's get started.",
        },
        {
            "template_id": hex_id("template-v2", "promo-short"),
            "name": "Promo Short",
            "aspect_ratio": "portrait",
            "variables": {
                "offer": _text("offer", "20% off this week"),
                "clip": {
                    "name": "clip",
                    "type": "video",
                    "properties": {
                        "url": "https://example.com/clip.mp4",
                        "play_style": "loop",
                        "fit": "cover",
                    },
                },
                "music": {
                    "name": "music",
                    "type": "audio",
                    "properties": {"url": "https://example.com/music.mp3"},
                },
            },
            "script": "Don't miss it: {{offer}}!",
        },
    ]
