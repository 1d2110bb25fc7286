"""Video translations (v3): create, list, get, supported languages."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs
from ..concurrency import admit
from ..errors import validation_error
from ..models.base import AssetId, AssetUrl, parse_body
from ..models.translations import CreateVideoTranslation
from ..records import Translation
from ..seed import TRANSLATION_LANGUAGES
from ..state import SandboxState
from ..views import translation_detail
from ..web import base_url, ok, or_404, paged, state_of

_MEDIA_VIDEO = re.compile(r"/_media/videos/([0-9a-f]{32})/")


# -- translations ----------------------------------------------------------------------------------
def _source_seconds(state: SandboxState, video: AssetUrl | AssetId) -> float:
    source = _source_video(state, video)
    return state.videos[source].duration if source is not None else costs.DEFAULT_SOURCE_SECONDS


def _source_video(state: SandboxState, video: AssetUrl | AssetId) -> str | None:
    """The id of the sandbox video a source URL names (the translation shows it), if it is one."""
    if isinstance(video, AssetUrl):
        match = _MEDIA_VIDEO.search(video.url)
        if match and match.group(1) in state.videos:
            return match.group(1)
    return None


def check_translation(state: SandboxState, body: CreateVideoTranslation) -> tuple[list[str], float]:
    """Everything POST /v3/video-translations checks beyond the schema: HeyGen's names for the output
    languages, and the seconds of source to translate."""
    checks.check_asset_input(state, body.video, "video", ("video",))
    if body.audio is not None:
        checks.check_asset_input(state, body.audio, "audio", ("audio",))
    if body.srt is not None:
        checks.check_asset_input(state, body.srt, "srt", ("srt",))
    checks.check_url(body.callback_url, "callback_url")
    canonical = {name.lower(): name for name in TRANSLATION_LANGUAGES}
    languages = []
    for i, language in enumerate(body.output_languages):
        name = canonical.get(language.strip().lower())
        if name is None:
            raise validation_error(
                f"Unsupported output language '{language}' (see GET /v3/video-translations/languages)",
                f"output_languages[{i}]"
            )
        languages.append(name)
    if body.start_time is not None and body.end_time is not None and body.end_time <= body.start_time:
        raise validation_error("end_time must be after start_time", "end_time")
    seconds = _source_seconds(state, body.video)
    if body.start_time is not None or body.end_time is not None:
        seconds = max(1.0, (body.end_time or seconds) - (body.start_time or 0.0))
    return languages, seconds


def add_translation(state: SandboxState, request: Request, body: CreateVideoTranslation, language: str,
                    seconds: float) -> Translation:
    """One checked output language of a translation, created (and paid for by the caller)."""
    item = Translation(
        id=state.new_id("translation"),
        title=body.title,
        output_language=language,
        input_language=body.input_language or "English",
        created_at=state.now(),
        seconds=state.config.translation_seconds * (2 if body.mode == "precision" else 1),
        duration=round(seconds, 2),
        base_url=base_url(request),
        mode=body.mode,
        callback_url=body.callback_url,
        callback_id=body.callback_id,
        enable_caption=body.enable_caption,
        translate_audio_only=body.translate_audio_only,
        source_video_id=_source_video(state, body.video),
        start=body.start_time or 0.0,
    )
    state.translations[item.id] = item
    return item


async def create_translation(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateVideoTranslation, await request.body())
    languages, seconds = check_translation(state, body)
    admit(state, len(languages), "translation")
    state.charge_for("/v3/video-translations", await request.body(), "translation",
                     seconds=_source_seconds(state, body.video))
    ids = [add_translation(state, request, body, language, seconds).id for language in languages]
    return ok({"video_translation_ids": ids})


async def list_translations(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    items = list(reversed(state.translations.values()))
    base = base_url(request)
    return paged(request, items, lambda t: translation_detail(state, t, base, now), default=10, maximum=100)


async def get_translation(request: Request) -> Response:
    state = state_of(request)
    translation_id = request.path_params["translation_id"]
    item = or_404(state.translations.get(translation_id), "Video translation", translation_id)
    return ok(translation_detail(state, item, base_url(request), state.now()))


async def translation_languages(request: Request) -> Response:
    return ok({"languages": list(TRANSLATION_LANGUAGES)})


routes = [
    Route("/v3/video-translations", create_translation, methods=["POST"]),
    Route("/v3/video-translations", list_translations, methods=["GET"]),
    Route("/v3/video-translations/languages", translation_languages, methods=["GET"]),
    Route("/v3/video-translations/{translation_id}", get_translation, methods=["GET"]),
]
