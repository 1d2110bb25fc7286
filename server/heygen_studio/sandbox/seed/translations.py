"""Languages video translation supports."""

from __future__ import annotations

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
