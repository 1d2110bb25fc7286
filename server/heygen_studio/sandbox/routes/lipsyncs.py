"""Lipsyncs (v3): create, list, get, rename, delete. A lipsync is ``pending``, ``running``, then ``completed``."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs
from ..errors import validation_error
from ..models.base import AssetId, AssetUrl, Closed, parse_body
from ..models.lipsyncs import CreateLipsync
from ..records import Lipsync
from ..state import SandboxState
from ..views import lipsync_detail
from ..web import base_url, ok, or_404, paged, state_of
from .videos import kept_file

_MEDIA = re.compile(r"/_media/(videos|translations|lipsyncs|speech)/([0-9a-zA-Z_-]{1,64})/")


def _seconds(state: SandboxState, source: AssetUrl | AssetId) -> float | None:
    """The length of one of the sandbox's own media files named by URL (a video, translation, lipsync or speech)."""
    if not isinstance(source, AssetUrl):
        return None
    match = _MEDIA.search(source.url)
    if match is None:
        return None
    collection, ident = match.groups()
    if collection == "videos" and ident in state.videos:
        return state.videos[ident].duration
    if collection == "translations" and ident in state.translations:
        return state.translations[ident].duration
    if collection == "lipsyncs" and ident in state.lipsyncs:
        return state.lipsyncs[ident].duration
    if collection == "speech" and ident in state.speech:
        return float(state.speech[ident]["duration"])
    return None


def _named(source: AssetUrl | AssetId, collection: str, found: dict[str, Any]) -> str | None:
    """The id of one of the sandbox's own ``collection`` items a source URL names, if it is one."""
    match = _MEDIA.search(source.url) if isinstance(source, AssetUrl) else None
    if match is None or match.group(1) != collection or match.group(2) not in found:
        return None
    return match.group(2)


async def create_lipsync(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateLipsync, await request.body())
    checks.check_asset_input(state, body.video, "video", ("video",))
    checks.check_asset_input(state, body.audio, "audio", ("audio", "video"))
    checks.check_url(body.callback_url, "callback_url")
    for name in ("start_time", "end_time"):
        value = getattr(body, name)
        if value is not None and value < 0:
            raise validation_error(f"{name} must not be negative", name)
    if body.start_time is not None and body.end_time is not None and body.end_time <= body.start_time:
        raise validation_error("end_time must be after start_time", "end_time")
    video_s = _seconds(state, body.video) or costs.DEFAULT_SOURCE_SECONDS
    audio_s = _seconds(state, body.audio)
    seconds = audio_s if audio_s is not None and body.enable_dynamic_duration else video_s
    state.charge_for("/v3/lipsyncs", await request.body(), "lipsync", seconds=seconds)
    if body.start_time is not None or body.end_time is not None:
        seconds = max(1.0, (body.end_time or seconds) - (body.start_time or 0.0))
    item = Lipsync(
        id=state.new_id("lipsync"),
        title=body.title,
        created_at=state.now(),
        seconds=state.config.lipsync_seconds * (2 if body.mode == "precision" else 1),
        duration=round(seconds, 2),
        base_url=base_url(request),
        mode=body.mode,
        callback_id=body.callback_id,
        enable_caption=body.enable_caption,
        source_video_id=_named(body.video, "videos", state.videos),
        start=body.start_time or 0.0,
        speech_id=_named(body.audio, "speech", state.speech),
        audio=kept_file(state, body.audio) or None,
    )
    state.lipsyncs[item.id] = item
    return ok({"lipsync_id": item.id})


async def list_lipsyncs(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    base = base_url(request)
    items = list(reversed(state.lipsyncs.values()))
    return paged(request, items, lambda item: lipsync_detail(state, item, base, now), default=10, maximum=100)


async def get_lipsync(request: Request) -> Response:
    state = state_of(request)
    lipsync_id = request.path_params["lipsync_id"]
    item = or_404(state.lipsyncs.get(lipsync_id), "Lipsync", lipsync_id)
    return ok(lipsync_detail(state, item, base_url(request), state.now()))


class _Rename(Closed):
    title: str


async def update_lipsync(request: Request) -> Response:
    state = state_of(request)
    lipsync_id = request.path_params["lipsync_id"]
    item = or_404(state.lipsyncs.get(lipsync_id), "Lipsync", lipsync_id)
    item.title = parse_body(_Rename, await request.body()).title
    return ok(lipsync_detail(state, item, base_url(request), state.now()))


async def delete_lipsync(request: Request) -> Response:
    state = state_of(request)
    lipsync_id = request.path_params["lipsync_id"]
    or_404(state.lipsyncs.pop(lipsync_id, None), "Lipsync", lipsync_id)
    return ok({"id": lipsync_id})


routes = [
    Route("/v3/lipsyncs", create_lipsync, methods=["POST"]),
    Route("/v3/lipsyncs", list_lipsyncs, methods=["GET"]),
    Route("/v3/lipsyncs/{lipsync_id}", get_lipsync, methods=["GET"]),
    Route("/v3/lipsyncs/{lipsync_id}", update_lipsync, methods=["PATCH"]),
    Route("/v3/lipsyncs/{lipsync_id}", delete_lipsync, methods=["DELETE"]),
]
