"""The sandbox's deterministic catalogue: public avatars, voices, Video Agent styles, templates,
translation languages and webhook event types. No randomness: ids are derived from names."""

from __future__ import annotations

import hashlib

SEED_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z, "created_at" of everything seeded


def hex_id(*parts: str, length: int = 32) -> str:
    """A HeyGen-looking lowercase hex id derived from ``parts`` (stable across runs)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:length]


# -- voices ----------------------------------------------------------------------------------------
# (name, language, language code, locale, gender)
_VOICE_ROWS: list[tuple[str, str, str, str, str]] = [
    ("Allison", "English", "en", "en-US", "female"),
    ("Brandon", "English", "en", "en-US", "male"),
    ("Chloe", "English", "en", "en-GB", "female"),
    ("Daniel", "English", "en", "en-GB", "male"),
    ("Emma", "English", "en", "en-US", "female"),
    ("Ethan", "English", "en", "en-US", "male"),
    ("Grace", "English", "en", "en-AU", "female"),
    ("Henry", "English", "en", "en-AU", "male"),
    ("Isla", "English", "en", "en-IE", "female"),
    ("Jack", "English", "en", "en-CA", "male"),
    ("Olivia", "English", "en", "en-US", "female"),
    ("Ryan", "English", "en", "en-IN", "male"),
    ("Anna", "German", "de", "de-DE", "female"),
    ("Lukas", "German", "de", "de-DE", "male"),
    ("Mia", "German", "de", "de-AT", "female"),
    ("Felix", "German", "de", "de-CH", "male"),
    ("Hannah", "German", "de", "de-DE", "female"),
    ("Lucia", "Spanish", "es", "es-ES", "female"),
    ("Mateo", "Spanish", "es", "es-MX", "male"),
    ("Sofia", "Spanish", "es", "es-ES", "female"),
    ("Diego", "Spanish", "es", "es-AR", "male"),
    ("Valentina", "Spanish", "es", "es-CO", "female"),
    ("Javier", "Spanish", "es", "es-ES", "male"),
    ("Camille", "French", "fr", "fr-FR", "female"),
    ("Louis", "French", "fr", "fr-FR", "male"),
    ("Lea", "French", "fr", "fr-CA", "female"),
    ("Hugo", "French", "fr", "fr-BE", "male"),
    ("Manon", "French", "fr", "fr-FR", "female"),
    ("Yui", "Japanese", "ja", "ja-JP", "female"),
    ("Haruto", "Japanese", "ja", "ja-JP", "male"),
    ("Sakura", "Japanese", "ja", "ja-JP", "female"),
    ("Ren", "Japanese", "ja", "ja-JP", "male"),
    ("Xiaoxiao", "Chinese", "zh", "zh-CN", "female"),
    ("Yunxi", "Chinese", "zh", "zh-CN", "male"),
    ("Xiaoyi", "Chinese", "zh", "zh-TW", "female"),
    ("Yunjian", "Chinese", "zh", "zh-CN", "male"),
    ("Beatriz", "Portuguese", "pt", "pt-BR", "female"),
    ("Thiago", "Portuguese", "pt", "pt-BR", "male"),
    ("Camila", "Portuguese", "pt", "pt-PT", "female"),
    ("Rafael", "Portuguese", "pt", "pt-PT", "male"),
    ("Larissa", "Portuguese", "pt", "pt-BR", "female"),
    ("Aarav", "Hindi", "hi", "hi-IN", "male"),
    ("Ananya", "Hindi", "hi", "hi-IN", "female"),
    ("Kabir", "Hindi", "hi", "hi-IN", "male"),
    ("Priya", "Hindi", "hi", "hi-IN", "female"),
    ("Layla", "Arabic", "ar", "ar-SA", "female"),
    ("Omar", "Arabic", "ar", "ar-EG", "male"),
    ("Fatima", "Arabic", "ar", "ar-AE", "female"),
    ("Karim", "Arabic", "ar", "ar-SA", "male"),
    ("Giulia", "Italian", "it", "it-IT", "female"),
    ("Marco", "Italian", "it", "it-IT", "male"),
    ("Francesca", "Italian", "it", "it-IT", "female"),
    ("Luca", "Italian", "it", "it-IT", "male"),
    ("Ji-woo", "Korean", "ko", "ko-KR", "female"),
    ("Min-jun", "Korean", "ko", "ko-KR", "male"),
    ("Seo-yeon", "Korean", "ko", "ko-KR", "female"),
    ("Sanne", "Dutch", "nl", "nl-NL", "female"),
    ("Daan", "Dutch", "nl", "nl-NL", "male"),
    ("Zofia", "Polish", "pl", "pl-PL", "female"),
    ("Jakub", "Polish", "pl", "pl-PL", "male"),
]

_ENGINE_SETS: tuple[tuple[str, ...], ...] = (
    ("starfish", "elevenlabs"),
    ("starfish",),
    ("elevenlabs", "fish"),
)

_VOICE_STYLES = ("Warm", "Bright", "Calm", "Confident", "Friendly", "Crisp")


def voice_id_for(name: str, language: str) -> str:
    return hex_id("voice", name, language)


def voice_rows() -> list[dict[str, object]]:
    rows = []
    for i, (name, language, code, locale, gender) in enumerate(_VOICE_ROWS):
        rows.append(
            {
                "voice_id": voice_id_for(name, language),
                "name": f"{name} - {_VOICE_STYLES[i % len(_VOICE_STYLES)]}",
                "language": language,
                "language_code": code,
                "locale": locale,
                "gender": gender,
                "engines": _ENGINE_SETS[i % len(_ENGINE_SETS)],
                "support_pause": i % 5 != 4,
                "support_locale": language in ("English", "Spanish", "Portuguese", "French"),
                "support_interactive_avatar": i % 2 == 0,
            }
        )
    return rows


# -- avatars ---------------------------------------------------------------------------------------
_STUDIO_ENGINES = ("avatar_iv", "avatar_iii")
_STUDIO_V_ENGINES = ("avatar_v", "avatar_iv", "avatar_iii")
_PHOTO_ENGINES = ("avatar_iv",)

# group name, gender, default voice (name, language), looks:
#   (look id, look name, avatar_type, engines, orientation, width, height, tags)
_AVATAR_ROWS: list[tuple[str, str, tuple[str, str], list[tuple]]] = [
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
    groups = []
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


# -- translation languages -------------------------------------------------------------------------
TRANSLATION_LANGUAGES: tuple[str, ...] = (
    "English",
    "English - Your Accent",
    "Spanish (Spain)",
    "Spanish (Mexico)",
    "French (France)",
    "French (Canada)",
    "German (Germany)",
    "Italian (Italy)",
    "Portuguese (Brazil)",
    "Portuguese (Portugal)",
    "Japanese (Japan)",
    "Korean (Korea)",
    "Chinese (Mandarin, Simplified)",
    "Chinese (Cantonese, Traditional)",
    "Hindi (India)",
    "Arabic (Saudi Arabia)",
    "Dutch (Netherlands)",
    "Polish (Poland)",
    "Turkish (Turkey)",
    "Russian (Russia)",
    "Swedish (Sweden)",
    "Indonesian (Indonesia)",
    "Vietnamese (Vietnam)",
    "Thai (Thailand)",
    "Ukrainian (Ukraine)",
    "Greek (Greece)",
    "Czech (Czech Republic)",
    "Romanian (Romania)",
    "Filipino (Philippines)",
    "Hebrew (Israel)",
)


# -- webhook event types ---------------------------------------------------------------------------
def _pair(prefix: str, thing: str) -> list[tuple[str, str]]:
    return [
        (f"{prefix}.success", f"Sent when {thing} finishes successfully."),
        (f"{prefix}.fail", f"Sent when {thing} fails."),
    ]


WEBHOOK_EVENT_TYPES: tuple[tuple[str, str], ...] = (
    *_pair("avatar_video", "an avatar video render"),
    *_pair("avatar_video_gif", "the GIF preview of a video"),
    *_pair("video_translate", "a video translation"),
    (
        "video_translate.preflight.validation_failed",
        "Sent when a translation's input does not pass validation.",
    ),
    ("video_translate.preflight.download_failed", "Sent when a translation's input video cannot be fetched."),
    ("personalized_video", "Sent when a personalized video is ready."),
    *_pair("instant_avatar", "digital-twin (instant avatar) training"),
    *_pair("photo_avatar_generation", "prompt-based avatar generation"),
    *_pair("photo_avatar_train", "photo avatar training"),
    *_pair("photo_avatar_add_motion", "adding motion to a photo avatar"),
    *_pair("proofread_creation", "a translation proofread session"),
    *_pair("live_avatar", "a live avatar session"),
    *_pair("avatar_video_caption", "the captioned version of a video"),
    *_pair("video_agent", "a Video Agent run"),
    *_pair("hyperframes_video", "a HyperFrames render"),
    *_pair("ai_clipping", "an AI clipping job"),
    ("batch.finished", "Sent when every item of a batch has reached a final state."),
)

WEBHOOK_EVENT_NAMES: frozenset[str] = frozenset(name for name, _ in WEBHOOK_EVENT_TYPES)
