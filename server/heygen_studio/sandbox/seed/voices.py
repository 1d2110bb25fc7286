"""The public voice catalog."""

from __future__ import annotations

from .common import hex_id

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
