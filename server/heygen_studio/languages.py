"""Language codes → the names HeyGen's catalogues use (a light module: no imports)."""

LANGUAGES = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French", "it": "Italian", "pt": "Portuguese",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "hi": "Hindi", "ar": "Arabic", "nl": "Dutch",
    "pl": "Polish", "ru": "Russian", "tr": "Turkish", "sv": "Swedish", "da": "Danish", "fi": "Finnish",
    "no": "Norwegian", "cs": "Czech", "el": "Greek", "he": "Hebrew", "id": "Indonesian", "vi": "Vietnamese",
    "th": "Thai", "uk": "Ukrainian", "ro": "Romanian", "hu": "Hungarian", "ms": "Malay", "fil": "Filipino",
}  # fmt: skip


def language_name(value: str | None) -> str | None:
    """'de' or 'de-DE' → 'German'; a name passes through."""
    if not value:
        return None
    value = value.strip()
    return LANGUAGES.get(value.lower().split("-")[0], value)
