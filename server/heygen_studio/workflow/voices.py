"""Voice: find voices, design one from a description, clone one from a sample, and text to speech.

``create_speech`` saves the audio in the output folder and uploads it as an asset, so its ``asset_id`` is
the ``audio`` the video tools and ``create_lipsync`` take. Speech and clones are paid creates, claimed in
the job store before they are sent: the same text and voice again returns the file already made (nothing
sent), and the same sample again returns the same clone (HeyGen replays the Idempotency-Key).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from ..core.errors import HeyGenError, NotFoundError
from ..core.models import AssetRef, AssetUrl, CloneVoice, CreateSpeech, DesignVoice, Page, Voice
from ..core.resources.voices import speech_key
from ..core.transfer import download, upload_file
from ..languages import language_name, locale_of
from . import catalog, files
from .errors import Refused
from .inputs import check_id, check_url, classify_source, confine_input, confine_output, not_blank
from .jobs import clone_status, make_job_id, next_step
from .outputs import DesignedVoices, SpeechOut, VoiceJob, VoiceList, VoiceRow
from .tenant import Tenant

logger = logging.getLogger(__name__)

AUDIO_TYPES = ("audio/", "video/")




def voice_row(voice: Voice) -> VoiceRow:
    return VoiceRow(voice_id=voice.voice_id, name=voice.name, language=voice.language, gender=voice.gender,
                    locales=voice.support_locale)


def _voices_note(language: str | None, lang: str | None, accent: str | None, name: str | None, gender: str | None,
                 found: bool) -> str | None:
    """What a model must know to read a voice list right: a filter widened, or why nothing matched."""
    if accent:
        design = f"design_voice(prompt='…', locale='{accent}') finds voices recorded in that accent"
        if not found:
            return (f"No {lang} voice takes a locale (HeyGen lists voices by language, not accent); {design}, or "
                    f"list_voices(language='{lang}') lists them all.")
        return (f"'{language}' widened to {lang}: HeyGen lists voices by language, not accent. These take a locale "
                f"(locales=true): pass locale='{accent}' to create_speech, or voice_locale='{accent}' to "
                f"create_avatar_video, for that accent. Or {design}.")
    if found:
        return None
    if name:
        hint = locale_of(name)
        if hint:
            return (f"No voice name contains {name!r}: names carry no accent. For {hint}: "
                    f"list_voices(language='{hint}'), or design_voice(prompt='{name} voice', locale='{hint}').")
        return f"No voice name contains {name!r}; drop name, or describe the voice to design_voice."
    if language or gender:
        return "No voice matches; try another language (name or code) or drop gender."
    return None




# -- speech -----------------------------------------------------------------------------------------------------
def _speech_step(out_asset: str | None, path: str) -> str:
    if out_asset:
        return (f"Use audio='{out_asset}' in create_avatar_video or create_studio_video scenes "
                "(the asset id, not the path).")
    return (f"Saved to {path}, but its upload to HeyGen failed: call create_speech again with the same arguments "
            "to retry the upload (not charged again), then use its asset_id as audio.")


async def _previous_speech(state: Tenant, key: str) -> SpeechOut | None:
    """The speech made before with this fingerprint, if its file is still in the output folder."""
    record = state.jobs.find(key)
    path_text = record.get("path") if record is not None else None
    if record is None or not isinstance(path_text, str):
        return None
    dest = confine_output(state.output_dir, Path(path_text).name)
    if str(dest) != path_text or not dest.is_file() or dest.is_symlink():
        return None  # moved, deleted, or the output folder changed: make the file again (a replay, not paid)
    uploaded = await upload_file(state.client, dest)  # the same content: the asset already made, checked
    return SpeechOut(path=path_text, uri=dest.as_uri(), size_bytes=dest.stat().st_size,
                     duration_s=float(record.get("duration") or 0), voice_id=str(record.get("voice_id") or ""),
                     asset_id=uploaded.asset_id, replayed=True, next_step=_speech_step(uploaded.asset_id, path_text))


async def make_speech(state: Tenant, text: str, voice_id: str, *, speed: float | None = None,
                      locale: str | None = None, filename: str | None = None,
                      request_key: str | None = None) -> SpeechOut:
    """Speech as a file in the output folder and an asset: made once per text, voice and settings."""
    not_blank(text, "text")
    await catalog.require_voice(state, voice_id)  # a clone still processing is refused here
    ssml = text.lstrip().startswith("<speak")
    req = CreateSpeech(text=text, voice_id=voice_id, input_type="ssml" if ssml else None, speed=speed, locale=locale)
    key = speech_key(req, request_key)
    previous = await _previous_speech(state, key)
    if previous is not None:
        return previous
    speech = await state.client.voices.speech(req, request_key=request_key)
    job_id = speech.request_id or key
    name = filename or f"speech-{job_id[-16:]}.mp3"
    if not Path(name).suffix:
        name += ".mp3"
    result = await download(state.client.http.client, speech.audio_url, confine_output(state.output_dir, name))
    asset_id: str | None = None
    try:
        asset_id = (await upload_file(state.client, result.path)).asset_id
    except HeyGenError as exc:  # the speech is paid and saved: say so rather than fail the call
        logger.warning("speech %s saved but not uploaded: %s", job_id, exc.describe())
    try:
        state.jobs.update(job_id, path=str(result.path), asset_id=asset_id, duration=speech.duration,
                          voice_id=voice_id)
    except HeyGenError as exc:
        logger.error("speech %s could not be recorded: %s", job_id, exc.describe())
    return SpeechOut(path=str(result.path), uri=result.path.as_uri(), size_bytes=result.size,
                     duration_s=speech.duration, voice_id=voice_id, asset_id=asset_id, replayed=speech.replayed,
                     next_step=_speech_step(asset_id, str(result.path)))







# -- cloning ----------------------------------------------------------------------------------------------------
async def audio_source(state: Tenant, value: str, what: str) -> AssetUrl | AssetRef:
    """An audio (or video) argument as HeyGen takes it, checked before anything is paid: a URL as is, a local
    file (inside the allowed folders) uploaded, an asset id looked up."""
    source = classify_source(value, what)
    if source == "url":
        return AssetUrl(url=check_url(value, what))
    if source == "path":
        with confine_input(state, value) as local:
            uploaded = await upload_file(state.client, local)
        if not uploaded.mime_type.startswith(AUDIO_TYPES):
            raise Refused(f"{what}: {local.name} is {uploaded.mime_type}; give an MP3, WAV or MP4 file. "
                            "Nothing was charged.")
        return AssetRef(asset_id=uploaded.asset_id)
    asset_id = check_id(value, f"{what} asset id")
    try:
        detail = await state.client.assets.get(asset_id)
    except NotFoundError:
        raise Refused(f"{what}: no asset '{asset_id}'; upload the file with upload_asset, or pass its path or "
                        "URL. Nothing was charged.") from None
    if detail.type not in ("audio", "video"):
        raise Refused(f"{what}: asset '{asset_id}' is {detail.type}, not audio or video. Nothing was charged.")
    return AssetRef(asset_id=asset_id)


async def list_voices(
    state: Tenant,
    *,
    language: str | None = None,
    gender: Literal['female', 'male'] | None = None,
    type: Literal['public', 'private'] | None = None,
    engine: str | None = None,
    name: str | None = None,
    limit: int = 10,
    next_token: str | None = None,
) -> VoiceList:
    """Find voices by language or accent, gender, type, engine or name (compact rows). locales=true: the voice
    takes a locale (accent) per request, e.g. create_speech(locale='en-GB')."""
    lang = language_name(language)
    accent = locale_of(language)
    matches = catalog.name_matcher(name)
    key = ("voices", lang, gender, type, engine)
    if type == "private" and not next_token:
        state.cache.put(key, catalog.CachedCatalog())  # your own voices change (clones): a first page is fresh

    async def fetch(token: str | None) -> Page[Any]:
        return await state.client.voices.list(type=type, engine=engine, language=lang, gender=gender, limit=100,
                                              token=token)

    def keep(voice: Voice) -> bool:  # an accent: HeyGen lists by language; a voice with locales speaks any of them
        return matches(voice.name) and (accent is None or bool(voice.support_locale))

    rows, nxt = await catalog.window(state, key, fetch, next_token=next_token, limit=limit, keep=keep)
    items = [voice_row(v) for v in rows]
    return VoiceList(items=items, next_token=nxt, note=_voices_note(language, lang, accent, name, gender, bool(items)))


async def design_voice(
    state: Tenant,
    *,
    prompt: str,
    gender: Literal['female', 'male'] | None = None,
    locale: str | None = None,
    seed: int = 0,
) -> DesignedVoices:
    """For a new voice from a description: up to 3 matching voices (HeyGen's voice design)."""
    not_blank(prompt, "prompt")
    designed = await state.client.voices.design(DesignVoice(prompt=prompt, gender=gender, locale=locale,
                                                               seed=seed or None))
    rows = [voice_row(v) for v in designed.voices]
    step = (f"Use a voice_id; hear it with create_speech, or call again with seed={designed.seed + 1} for others."
            if rows else "No match: describe the voice differently, or drop gender/locale.")
    return DesignedVoices(items=rows, locale=locale if rows else None, seed=designed.seed, next_step=step)


async def create_speech(
    state: Tenant,
    *,
    text: str,
    voice_id: str,
    speed: float | None = None,
    locale: str | None = None,
    filename: str | None = None,
    request_key: str | None = None,
) -> SpeechOut:
    """For words as audio, no video: saves an audio file; its asset_id is the audio for create_avatar_video and
    Studio scenes. Paid (small)."""
    out = await make_speech(state, text, voice_id, speed=speed, locale=locale, filename=filename,
                            request_key=request_key)
    return files.for_person(state, out)


async def clone_voice(
    state: Tenant,
    *,
    audio: str,
    name: str,
    speaker_consent: bool,
    language: str | None = None,
    request_key: str | None = None,
) -> VoiceJob:
    """For a voice cloned from a recording: an audio sample (yours, or a speaker who agreed). Paid.
    Returns a voice: job id; wait_for_job, then use its voice_id."""
    not_blank(name, "name")
    if not speaker_consent:
        raise Refused("Cloning a voice needs the speaker's permission: ask them, then call again with "
                        "speaker_consent=true. Nothing was sent.")
    source = await audio_source(state, audio, "audio")
    created = await state.client.voices.clone(CloneVoice(audio=source, voice_name=name, language=language),
                                              request_key=request_key)
    voice_id = created.voice_clone_id
    job_id = make_job_id("voice", voice_id)
    try:
        status = clone_status((await state.client.voices.get(voice_id)).status)
    except HeyGenError:
        status = "processing"  # the clone is paid and running; wait_for_job reads its status
    return VoiceJob(job_id=job_id, voice_id=voice_id, status=status, replayed=created.replayed,
                    next_step=next_step("voice", status, job_id))
