"""The public avatar catalog (groups and their looks)."""

from __future__ import annotations

from typing import Any

from .common import hex_id
from .voices import voice_id_for

# -- avatars ---------------------------------------------------------------------------------------
_STUDIO_ENGINES = ("avatar_iv", "avatar_iii")
_STUDIO_V_ENGINES = ("avatar_v", "avatar_iv", "avatar_iii")
_PHOTO_ENGINES = ("avatar_iv",)

# group name, gender, default voice (name, language), looks:
#   (look id, look name, avatar_type, engines, orientation, width, height, tags)
_AVATAR_ROWS: list[tuple[str, str, tuple[str, str], list[tuple[Any, ...]]]] = [
    (
        "Abigail",
        "female",
        ("Allison", "English"),
        [
            (
                "Abigail_expressive_2024112501",
                "Abigail Expressive",
                "studio_avatar",
                _STUDIO_V_ENGINES,
                "landscape",
                1920,
                1080,
                ("expressive", "professional"),
            ),
            (
                "Abigail_office_front_public",
                "Abigail in Office (Front)",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("office", "business"),
            ),
            (
                "Abigail_sofa_side_public",
                "Abigail on Sofa",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("casual", "lifestyle"),
            ),
        ],
    ),
    (
        "Adrian",
        "male",
        ("Daniel", "English"),
        [
            (
                "Adrian_blue_suit_20240312",
                "Adrian in Blue Suit",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("business", "suit"),
            ),
            (
                "Adrian_casual_20240312",
                "Adrian Casual",
                "studio_avatar",
                _STUDIO_ENGINES,
                "portrait",
                1080,
                1920,
                ("casual",),
            ),
        ],
    ),
    (
        "Amara",
        "female",
        ("Olivia", "English"),
        [
            (
                "Amara_photo_portrait_20250101",
                "Amara Portrait",
                "photo_avatar",
                _PHOTO_ENGINES,
                "portrait",
                1024,
                1536,
                ("photo", "portrait"),
            ),
        ],
    ),
    (
        "Brandon",
        "male",
        ("Brandon", "English"),
        [
            (
                "Brandon_business_sitting_front",
                "Brandon Business (Sitting)",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("business", "sitting"),
            ),
            (
                "Brandon_expressive_2024120901",
                "Brandon Expressive",
                "studio_avatar",
                _STUDIO_V_ENGINES,
                "landscape",
                1920,
                1080,
                ("expressive",),
            ),
            (
                "Brandon_photo_headshot_20250115",
                "Brandon Headshot",
                "photo_avatar",
                _PHOTO_ENGINES,
                "square",
                1024,
                1024,
                ("photo", "headshot"),
            ),
        ],
    ),
    (
        "Chen",
        "male",
        ("Yunxi", "Chinese"),
        [
            (
                "Chen_lab_coat_20240815",
                "Chen in Lab Coat",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("science", "education"),
            ),
        ],
    ),
    (
        "Daisy",
        "female",
        ("Grace", "English"),
        [
            (
                "Daisy_summer_photo_20250402",
                "Daisy Summer",
                "photo_avatar",
                _PHOTO_ENGINES,
                "portrait",
                1024,
                1536,
                ("photo", "outdoor"),
            ),
            (
                "Daisy_studio_front_20250402",
                "Daisy Studio",
                "studio_avatar",
                _STUDIO_V_ENGINES,
                "portrait",
                1080,
                1920,
                ("studio", "social"),
            ),
        ],
    ),
    (
        "Elena",
        "female",
        ("Sofia", "Spanish"),
        [
            (
                "Elena_newsroom_20241003",
                "Elena Newsroom",
                "studio_avatar",
                _STUDIO_ENGINES,
                "landscape",
                1920,
                1080,
                ("news", "broadcast"),
            ),
            (
                "Elena_portrait_photo_20241003",
                "Elena Portrait",
                "photo_avatar",
                _PHOTO_ENGINES,
                "portrait",
                1024,
                1536,
                ("photo",),
            ),
            (
                "Elena_standing_20241003",
                "Elena Standing",
                "studio_avatar",
                _STUDIO_ENGINES,
                "portrait",
                1080,
                1920,
                ("standing", "presenter"),
            ),
        ],
    ),
    (
        "Kenji",
        "male",
        ("Haruto", "Japanese"),
        [
            (
                "Kenji_kimono_photo_20250210",
                "Kenji in Kimono",
                "photo_avatar",
                _PHOTO_ENGINES,
                "square",
                1024,
                1024,
                ("photo", "traditional"),
            ),
        ],
    ),
]


def avatar_rows() -> list[dict[str, object]]:
    groups: list[dict[str, object]] = []
    for name, gender, (voice_name, voice_language), looks in _AVATAR_ROWS:
        groups.append(
            {
                "id": hex_id("avatar-group", name),
                "name": name,
                "gender": gender,
                "default_voice_id": voice_id_for(voice_name, voice_language),
                "looks": [
                    {
                        "id": look_id,
                        "name": look_name,
                        "avatar_type": avatar_type,
                        "supported_api_engines": list(engines),
                        "preferred_orientation": orientation,
                        "image_width": width,
                        "image_height": height,
                        "tags": list(tags),
                    }
                    for look_id, look_name, avatar_type, engines, orientation, width, height, tags in looks
                ],
            }
        )
    return groups
