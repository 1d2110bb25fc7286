"""Language codes → the names HeyGen's catalogues use, and accents → BCP-47 locales (a light module)."""

import re

LANGUAGES = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French", "it": "Italian", "pt": "Portuguese",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "hi": "Hindi", "ar": "Arabic", "nl": "Dutch",
    "pl": "Polish", "ru": "Russian", "tr": "Turkish", "sv": "Swedish", "da": "Danish", "fi": "Finnish",
    "no": "Norwegian", "cs": "Czech", "el": "Greek", "he": "Hebrew", "id": "Indonesian", "vi": "Vietnamese",
    "th": "Thai", "uk": "Ukrainian", "ro": "Romanian", "hu": "Hungarian", "ms": "Malay", "fil": "Filipino",
}  # fmt: skip


# Words a model uses for an accent → the locale HeyGen takes (longest first: "canadian french" before "canadian").
ACCENTS = {
    "canadian french": "fr-CA", "swiss german": "de-CH", "swiss french": "fr-CH", "european portuguese": "pt-PT",
    "latin american": "es-MX", "english (uk)": "en-GB", "english (us)": "en-US", "british": "en-GB",
    "scottish": "en-GB", "american": "en-US", "australian": "en-AU", "irish": "en-IE", "canadian": "en-CA",
    "indian": "en-IN", "mexican": "es-MX", "castilian": "es-ES", "argentinian": "es-AR", "argentine": "es-AR",
    "colombian": "es-CO", "brazilian": "pt-BR", "quebecois": "fr-CA", "québécois": "fr-CA", "belgian": "fr-BE",
    "austrian": "de-AT",
}  # fmt: skip
_LOCALE = re.compile(r"([A-Za-z]{2,3})[-_]([A-Za-z]{2}|\d{3})")


def language_name(value: str | None) -> str | None:
    """'de', 'de-DE' or 'Austrian' → 'German'; another name passes through."""
    if not value:
        return None
    value = value.strip()
    code = (locale_of(value) or value).lower().replace("_", "-").split("-")[0]
    return LANGUAGES.get(code, value)


def locale_of(value: str | None) -> str | None:
    """The BCP-47 locale (accent) a language argument names, if it names one: 'en-GB', 'en_gb', 'British English'
    and 'English (UK)' are 'en-GB'; 'en' and 'English' name none."""
    if not value:
        return None
    text = value.strip()
    found = _LOCALE.fullmatch(text)
    if found:
        return f"{found.group(1).lower()}-{found.group(2).upper()}"
    lowered = text.lower()
    return next((locale for word, locale in ACCENTS.items() if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered)),
                None)
