"""Presigned media: ``/_media/{collection}/{id}/{file}?expires=..&signature=..`` (GET/HEAD, Range)."""

from __future__ import annotations

import posixpath

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..media import TINY_GIF, TINY_PDF, forbidden, sample, serve_bytes, subtitles
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


async def serve_media(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    reason = state.media_signer.check(
        request.url.path, request.query_params.get("expires"), request.query_params.get("signature"), now
    )
    if reason is not None:
        return forbidden(reason)
    collection = request.path_params["collection"]
    ident = request.path_params["ident"]
    filename = request.path_params["filename"]
    ext = posixpath.splitext(filename)[1].lower()
    found: tuple[bytes, str] | None
    if collection == "videos":
        video = state.videos.get(ident)
        if video is None or video.status(now) != "completed":
            return _missing()
        if ext in (".srt", ".vtt"):
            found = (
                subtitles(video.script, video.duration, vtt=ext == ".vtt"),
                ("text/vtt" if ext == ".vtt" else "application/x-subrip"),
            )
        else:
            found = _by_extension(ext)
    elif collection == "translations":
        item = state.translations.get(ident)
        if item is None or item.status(now) != "completed":
            return _missing()
        text = f"Translated into {item.output_language}."
        if ext in (".srt", ".vtt"):
            found = (
                subtitles(text, item.duration, vtt=ext == ".vtt"),
                ("text/vtt" if ext == ".vtt" else "application/x-subrip"),
            )
        else:
            found = _by_extension(ext)
    elif collection == "assets":
        asset = state.assets.get(ident)
        if asset is None or asset.status != "completed":
            return _missing()
        if asset.kind in _BY_KIND:
            name, content_type = _BY_KIND[asset.kind]
            found = sample(name), content_type
        elif asset.kind == "pdf":
            found = TINY_PDF, "application/pdf"
        elif asset.kind == "srt":
            found = subtitles("Uploaded subtitles.", 5.0), "application/x-subrip"
        else:
            found = asset.head, asset.mime_type
    elif collection == "speech":
        if ident not in state.speech:
            return _missing()
        found = _by_extension(ext)
    else:
        found = _by_extension(ext)
    if found is None:
        return _missing()
    data, content_type = found
    return serve_bytes(data, content_type, request.headers.get("range"), head=request.method == "HEAD")


routes = [Route("/_media/{collection}/{ident}/{filename}", serve_media, methods=["GET", "HEAD"])]
