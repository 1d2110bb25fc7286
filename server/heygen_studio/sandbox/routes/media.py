"""Presigned media: ``/_media/{collection}/{id}/{file}?expires=..&signature=..`` (GET/HEAD, Range)."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..costs import speech_seconds
from ..media import TINY_GIF, TINY_PDF, captions, forbidden, sample, serve_bytes, sniff_mime, subtitles
from ..records import Asset, AvatarLook, Lipsync, Scene, Translation, Video, Voice
from ..render import RenderSpec, colour, even, missing, timeline, warn_fallback
from ..render import Scene as RenderScene
from ..state import SandboxState
from ..web import state_of

_BY_KIND = {
    "image": ("sample.jpg", "image/jpeg"),
    "video": ("sample.mp4", "video/mp4"),
    "audio": ("sample.mp3", "audio/mpeg"),
}


def _by_extension(ext: str) -> tuple[bytes, str] | None:
    if ext in (".mp4", ".webm", ".mov"):
        return sample("sample.mp4"), "video/mp4"
    if ext in (".jpg", ".jpeg", ".png", ".webp"):
        return sample("sample.jpg"), "image/jpeg"
    if ext in (".mp3", ".wav", ".ogg"):
        return sample("sample.mp3"), "audio/mpeg"
    if ext == ".gif":
        return TINY_GIF, "image/gif"
    if ext == ".pdf":
        return TINY_PDF, "application/pdf"
    return None


def _missing() -> Response:
    return PlainTextResponse("404 Not Found: this media no longer exists\n", status_code=404)


def _asset_file(state: SandboxState, asset: Asset) -> tuple[bytes, str]:
    """What was uploaded, when it is kept (images and audio: kept.py), else the sample file of its kind."""
    kept = state.files.get(asset.sha256)
    if kept is not None:
        return kept, asset.mime_type
    if asset.kind in _BY_KIND:
        name, content_type = _BY_KIND[asset.kind]
        return sample(name), content_type
    if asset.kind == "pdf":
        return TINY_PDF, "application/pdf"
    if asset.kind == "srt":
        return subtitles("Uploaded subtitles.", 5.0), "application/x-subrip"
    return asset.head, asset.mime_type


def _available(state: SandboxState, digest: str | None) -> str | None:
    return digest if digest and state.files.has(digest) else None


def _shown(state: SandboxState, scene: Scene) -> RenderScene:
    """A scene as the render draws it: the look's name, the voice's language, the kept files it can read."""
    look = state.looks.get(scene.look_id) if scene.look_id else None
    voice = state.voices.get(scene.voice_id) if scene.voice_id else None
    gender = (voice.gender if voice is not None else None) or (look.gender if look is not None else None)
    photo = _available(state, scene.photo) or _available(state, look.photo if look is not None else None)
    avatar = look.name if look is not None else ("Photo avatar" if scene.photo is not None else None)
    backdrop = _available(state, scene.backdrop)
    label = "Video clip" if scene.clip else ("Image" if scene.backdrop is not None and backdrop is None else None)
    return RenderScene(
        seconds=scene.seconds,
        script=scene.script,
        background=colour(scene.background),
        avatar=avatar,  # drawn when the photo cannot be read
        photo=photo,
        backdrop=backdrop,
        fit=scene.fit,
        label=label,
        language=(voice.locale or voice.language_code) if voice is not None else "en",
        female=(gender or "").lower() == "female",
        speed=scene.speed,
        audio=_available(state, scene.audio),
    )


def video_spec(state: SandboxState, video: Video) -> RenderSpec:
    """What a video's render shows: its size and its scenes (one, from the video's own fields, for a video
    made without them)."""
    scenes = video.scenes or [
        Scene(seconds=video.duration, script=video.script, look_id=video.look_id, voice_id=video.voice_id,
              background=video.background, photo="" if video.kind == "image" else None)
    ]
    return RenderSpec(video.width, video.height, tuple(_shown(state, scene) for scene in scenes))


def speech_spec(state: SandboxState, said: dict[str, Any]) -> RenderSpec:
    """What ``POST /v3/voices/speech`` said (its text, in its voice, at its speed), as long as its answer's
    ``duration``. Kept as JSON (persist.py): every field is read defensively."""
    voice_id = said.get("voice_id")
    voice = state.voices.get(voice_id) if isinstance(voice_id, str) else None
    locale = said.get("locale")
    language = locale if isinstance(locale, str) and locale else None
    if voice is not None:
        language = language or voice.locale or voice.language_code
    speed = said.get("speed")
    duration = said.get("duration")
    scene = RenderScene(
        seconds=float(duration) if isinstance(duration, int | float) else 1.0,
        script=str(said.get("text") or ""),
        language=language or "en",
        female=voice is not None and voice.gender.lower() == "female",
        speed=float(speed) if isinstance(speed, int | float) and speed > 0 else 1.0,
    )
    return RenderSpec(SPEECH_SIZE[0], SPEECH_SIZE[1], (scene,))


def _language_code(state: SandboxState, name: str) -> str:
    """An eSpeak NG voice for a translation language ("French (France)" → "fr"), English when unknown."""
    wanted = name.split("(")[0].split(" - ")[0].strip().lower()
    return next((v.language_code for v in state.voices.values() if v.language.lower() == wanted), "en")


def translation_spec(state: SandboxState, item: Translation) -> RenderSpec:
    """A translation shows its source (one of the sandbox's own videos: its size, pictures and words, from its
    ``start_time``, for the translation's length) spoken in the output language's voice; another source (the
    sandbox fetches nothing) is a card that says what it was translated into."""
    video = state.videos.get(item.source_video_id) if item.source_video_id else None
    note = f"Translated into {item.output_language}"
    if video is None:
        return RenderSpec(1920, 1080, (RenderScene(item.duration, f"{note}."),), note=note)
    source = video_spec(state, video)
    language = _language_code(state, item.output_language)
    scenes = tuple(replace(scene, language=language) for scene in source.scenes)
    return replace(source, scenes=scenes, start=item.start, length=item.duration, note=note)


def _scene_at(spec: RenderSpec, seconds: float) -> RenderScene:
    at = 0.0
    for scene in spec.scenes:
        at += scene.seconds
        if seconds < at:
            return scene
    return spec.scenes[-1]


def lipsync_spec(state: SandboxState, item: Lipsync) -> RenderSpec:
    """A lipsync shows its video (one of the sandbox's own: its size, and the presenter on screen at its
    ``start_time``; else a placeholder) saying the new speech: a speech the sandbox made (its words, voice and
    speed), an uploaded audio file it kept, or else the lipsync's title. As long as the lipsync says."""
    video = state.videos.get(item.source_video_id) if item.source_video_id else None
    if video is not None:
        source = video_spec(state, video)
        width, height, shown = source.width, source.height, _scene_at(source, item.start)
    else:
        width, height, shown = 1920, 1080, RenderScene(item.duration, avatar="Lipsync")
    said = state.speech.get(item.speech_id) if item.speech_id else None
    audio = _available(state, item.audio)
    if said is not None:
        sound = speech_spec(state, said).scenes[0]
        scene = replace(shown, seconds=sound.seconds, script=sound.script, language=sound.language,
                        female=sound.female, speed=sound.speed, audio=None)
    elif audio is not None:
        scene = replace(shown, seconds=item.duration, script="", audio=audio)
    else:
        scene = replace(shown, seconds=item.duration, script=item.title or "New speech, lips in sync.", audio=None)
    return RenderSpec(width, height, (scene,), length=item.duration)


PREVIEW_EDGE = 640  # a look preview's long edge


def look_preview_spec(state: SandboxState, look: AvatarLook) -> RenderSpec:
    """A look's preview image and video: what its videos show (its placeholder or photo, at its image's shape),
    saying hello in its default voice."""
    width, height = look.image_width or 1920, look.image_height or 1080
    scale = PREVIEW_EDGE / max(width, height, 1)
    text = f"Hello, I am {look.name}."
    scene = Scene(seconds=speech_seconds(text), script=text, look_id=look.id, voice_id=look.default_voice_id)
    return RenderSpec(even(width * scale), even(height * scale), (_shown(state, scene),))


def voice_preview_spec(voice: Voice) -> RenderSpec:
    """A voice's preview: the voice saying its name, in its language."""
    text = f"Hello, this is {voice.name}."
    scene = RenderScene(seconds=speech_seconds(text), script=text, language=voice.locale or voice.language_code,
                        female=voice.gender.lower() == "female")
    return RenderSpec(SPEECH_SIZE[0], SPEECH_SIZE[1], (scene,))


SPEECH_SIZE = (320, 180)  # a speech's spec needs a size; nothing is drawn for its ``.mp3``
_RENDERED = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".gif": "image/gif", ".mp3": "audio/mpeg"}


async def _rendered(state: SandboxState, spec: RenderSpec, ext: str) -> tuple[bytes, str] | None:
    """The render (``.mp4``), its first frame (``.jpg``), its preview (``.gif``), its sound (``.mp3``) or its
    captions (``.srt``, ``.vtt``: each phrase when it is said); the sample files without the render extra."""
    if ext in (".srt", ".vtt"):
        cues = [(p.start, p.end, p.text) for p in timeline(spec) if p.text]
        vtt = ext == ".vtt"
        return captions(cues, spec.seconds, vtt=vtt), ("text/vtt" if vtt else "application/x-subrip")
    if ext not in _RENDERED:
        return _by_extension(ext)
    reason = missing()
    if reason is not None:
        warn_fallback(reason)
        return _by_extension(ext)
    return await state.renders.get(spec, ext), _RENDERED[ext]


async def _find(state: SandboxState, collection: str, ident: str, ext: str, now: float) -> tuple[bytes, str] | None:
    """The bytes and content type behind a media URL, or ``None`` when the resource is gone or unfinished."""
    if collection == "videos":
        video = state.videos.get(ident)
        if video is None or video.status(now) != "completed":
            return None
        return await _rendered(state, video_spec(state, video), ext)
    if collection == "translations":
        item = state.translations.get(ident)
        if item is None or item.status(now) != "completed":
            return None
        return await _rendered(state, translation_spec(state, item), ext)
    if collection == "lipsyncs":
        lipsync = state.lipsyncs.get(ident)
        if lipsync is None or lipsync.status(now) != "completed":
            return None
        return await _rendered(state, lipsync_spec(state, lipsync), ext)
    if collection in ("looks", "groups"):  # a group's preview is its first look's
        look = state.looks.get(ident) if collection == "looks" else next(iter(state.group_looks(ident)), None)
        photo = state.files.get(look.photo) if look is not None and ext == ".jpg" else None
        if photo is not None:  # a photo avatar's preview image is its photo
            return photo, sniff_mime(photo[:64]) or "image/jpeg"
        if look is not None:
            return await _rendered(state, look_preview_spec(state, look), ext)
    if collection == "voices" and ident in state.voices:
        return await _rendered(state, voice_preview_spec(state.voices[ident]), ext)
    if collection == "assets":
        asset = state.assets.get(ident)
        if asset is None or asset.status != "completed":
            return None
        return _asset_file(state, asset)
    if collection == "speech":
        said = state.speech.get(ident)
        return None if said is None else await _rendered(state, speech_spec(state, said), ext)
    return _by_extension(ext)


async def serve_media(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    reason = state.media_signer.check(
        request.url.path, request.query_params.get("expires"), request.query_params.get("signature"), now
    )
    if reason is not None:
        return forbidden(reason)
    ext = posixpath.splitext(request.path_params["filename"])[1].lower()
    found = await _find(state, request.path_params["collection"], request.path_params["ident"], ext, now)
    if found is None:
        return _missing()
    data, content_type = found
    return serve_bytes(data, content_type, request.headers.get("range"), head=request.method == "HEAD")


routes = [Route("/_media/{collection}/{ident}/{filename}", serve_media, methods=["GET", "HEAD"])]
