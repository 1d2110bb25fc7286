"""Presigned media: ``/_media/{collection}/{id}/{file}?expires=..&signature=..`` (GET/HEAD, Range)."""

from __future__ import annotations

import posixpath

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..media import TINY_GIF, TINY_PDF, captions, forbidden, sample, serve_bytes, subtitles
from ..records import Asset, Scene, Video
from ..render import RenderSpec, colour, missing, timeline, warn_fallback
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
    photo = _available(state, scene.photo)
    avatar = look.name if look is not None else ("Photo avatar" if scene.photo is not None else None)
    backdrop = _available(state, scene.backdrop)
    label = "Video clip" if scene.clip else ("Image" if scene.backdrop is not None and backdrop is None else None)
    return RenderScene(
        seconds=scene.seconds,
        script=scene.script,
        background=colour(scene.background),
        avatar=None if photo else avatar,
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
        text = f"Translated into {item.output_language}."
        return await _rendered(state, RenderSpec.single(1920, 1080, item.duration, text), ext)
    if collection == "lipsyncs":
        lipsync = state.lipsyncs.get(ident)
        if lipsync is None or lipsync.status(now) != "completed":
            return None
        text = lipsync.title or "New speech, lips in sync."
        return await _rendered(state, RenderSpec.single(1920, 1080, lipsync.duration, text), ext)
    if collection == "assets":
        asset = state.assets.get(ident)
        if asset is None or asset.status != "completed":
            return None
        return _asset_file(state, asset)
    if collection == "speech" and ident not in state.speech:
        return None
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
