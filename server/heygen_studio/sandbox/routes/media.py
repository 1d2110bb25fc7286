"""Presigned media: ``/_media/{collection}/{id}/{file}?expires=..&signature=..`` (GET/HEAD, Range)."""

from __future__ import annotations

import posixpath

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..media import TINY_GIF, TINY_PDF, forbidden, sample, serve_bytes, subtitles
from ..records import Asset, Video
from ..render import RenderSpec, colour, missing, thumbnail, warn_fallback
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


def _text_track(text: str, duration: float, ext: str) -> tuple[bytes, str] | None:
    """Subtitles for ``.srt``/``.vtt``; any other extension is a sample file of its kind."""
    if ext in (".srt", ".vtt"):
        vtt = ext == ".vtt"
        return subtitles(text, duration, vtt=vtt), ("text/vtt" if vtt else "application/x-subrip")
    return _by_extension(ext)


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


def video_spec(state: SandboxState, video: Video) -> RenderSpec:
    """What a video's render shows: its size, script and length, background, presenter and voice."""
    look = state.looks.get(video.look_id) if video.look_id else None
    voice = state.voices.get(video.voice_id) if video.voice_id else None
    avatar = look.name if look is not None else ("Photo avatar" if video.kind == "image" else None)
    gender = (voice.gender if voice is not None else None) or (look.gender if look is not None else None)
    return RenderSpec(
        width=video.width,
        height=video.height,
        duration=video.duration,
        script=video.script,
        background=colour(video.background),
        avatar=avatar,
        language=(voice.locale or voice.language_code) if voice is not None else "en",
        female=(gender or "").lower() == "female",
    )


async def _rendered(state: SandboxState, spec: RenderSpec, text: str, ext: str) -> tuple[bytes, str] | None:
    """The render for an ``.mp4`` and its first frame for a ``.jpg`` (the sample files without the render
    extra), else ``_text_track``."""
    if ext not in (".mp4", ".jpg"):
        return _text_track(text, spec.duration, ext)
    reason = missing()
    if reason is not None:
        warn_fallback(reason)
        return _by_extension(ext)
    if ext == ".jpg":
        return await anyio.to_thread.run_sync(thumbnail, spec), "image/jpeg"
    return await state.renders.get(spec), "video/mp4"


async def _find(state: SandboxState, collection: str, ident: str, ext: str, now: float) -> tuple[bytes, str] | None:
    """The bytes and content type behind a media URL, or ``None`` when the resource is gone or unfinished."""
    if collection == "videos":
        video = state.videos.get(ident)
        if video is None or video.status(now) != "completed":
            return None
        return await _rendered(state, video_spec(state, video), video.script, ext)
    if collection == "translations":
        item = state.translations.get(ident)
        if item is None or item.status(now) != "completed":
            return None
        text = f"Translated into {item.output_language}."
        return await _rendered(state, RenderSpec(1920, 1080, item.duration, text), text, ext)
    if collection == "lipsyncs":
        lipsync = state.lipsyncs.get(ident)
        if lipsync is None or lipsync.status(now) != "completed":
            return None
        text = lipsync.title or "New speech, lips in sync."
        return await _rendered(state, RenderSpec(1920, 1080, lipsync.duration, text), text, ext)
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
