"""Videos: POST/GET/DELETE /v3/videos, bulk statuses, and the v2 Studio endpoint POST /v2/video/generate."""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks, costs
from ..concurrency import admit
from ..errors import invalid_parameter, not_found, validation_error
from ..kept import worth_keeping
from ..media import sniff_mime
from ..models.base import AssetBase64, AssetId, AssetUrl, parse_body, parse_union
from ..models.videos import (
    AvatarVideoScene,
    CreateVideoEnvelope,
    CreateVideoFromAvatar,
    CreateVideoFromCinematic,
    CreateVideoFromImage,
    CreateVideoFromStudio,
    ImageScene,
    V2AudioVoice,
    V2AvatarCharacter,
    V2ColorBackground,
    V2Dimension,
    V2ImageBackground,
    V2SilenceVoice,
    V2TextVoice,
    V2VideoBackground,
    V2VideoGenerate,
    V2VideoInput,
    VideoScene,
)
from ..records import Scene, Video
from ..render import dimensions
from ..state import SandboxState
from ..views import batch_item, bulk_status, video_detail
from ..web import base_url, ok, ok_list, or_404, paged, split_ids, state_of, v2_ok


def new_video(
    state: SandboxState,
    request: Request,
    *,
    kind: str,
    title: str | None,
    duration: float,
    script: str = "",
    callback_url: str | None = None,
    callback_id: str | None = None,
    folder_id: str | None = None,
    output_format: str = "mp4",
    captioned: bool = False,
    size: tuple[int, int] = (1920, 1080),
    background: str | None = None,
    look_id: str | None = None,
    voice_id: str | None = None,
    scenes: list[Scene] | None = None,
) -> Video:
    checks.check_url(callback_url, "callback_url")
    video = Video(
        id=state.new_id("video"),
        kind=kind,
        title=title,
        created_at=state.now(),
        render_seconds=state.config.render_seconds,
        duration=round(duration, 2),
        base_url=base_url(request),
        script=script,
        callback_url=callback_url,
        callback_id=callback_id,
        folder_id=folder_id,
        output_format=output_format,
        captioned=captioned,
        width=size[0],
        height=size[1],
        background=background,
        look_id=look_id,
        voice_id=voice_id,
        scenes=scenes or [],
    )
    return video


# -- POST /v3/videos -------------------------------------------------------------------------------
def _studio_seconds(state: SandboxState, body: CreateVideoFromStudio, now: float) -> tuple[float, str]:
    seconds, scripts = 0.0, []
    for i, scene in enumerate(body.scenes):
        prefix = f"scenes[{i}]"
        if isinstance(scene, VideoScene):
            checks.check_asset_input(state, scene.source, f"{prefix}.source", ("video",))
            if scene.script is not None or scene.audio_url or scene.audio_asset_id:  # a narrated clip
                scene_seconds, script = checks.speech_source(state, scene, prefix)
                seconds += scene_seconds
                scripts.append(script)
            else:
                seconds += costs.VIDEO_SCENE_SECONDS
        elif isinstance(scene, ImageScene):
            checks.check_asset_input(state, scene.source, f"{prefix}.source", ("image",))
            narrated = scene.script is not None or scene.audio_url or scene.audio_asset_id
            if scene.duration is not None and narrated:
                raise validation_error("duration is exclusive with script/audio", f"{prefix}.duration")
            if scene.duration is not None:
                seconds += scene.duration
            elif narrated:
                scene_seconds, script = checks.speech_source(state, scene, prefix)
                seconds += scene_seconds
                scripts.append(script)
            else:
                raise validation_error(
                    "An image scene needs either duration (silent) or script/audio (narrated)",
                    f"{prefix}.duration"
                )
        else:
            source = scene.input
            input_prefix = f"{prefix}.input"
            look = checks.require_look(state, source.avatar_id, f"{input_prefix}.avatar_id", now)
            checks.check_engine(look, source.engine, f"{input_prefix}.engine")
            if source.background is not None:
                checks.check_color(source.background.color, f"{input_prefix}.background.color")
            default_voice = look.default_voice_id
            scene_seconds, script = checks.speech_source(state, source, input_prefix, default_voice)
            seconds += scene_seconds
            scripts.append(script)
    return seconds, " ".join(s for s in scripts if s)


VideoBody = CreateVideoFromAvatar | CreateVideoFromImage | CreateVideoFromCinematic | CreateVideoFromStudio


def _seconds_and_script(state: SandboxState, body: VideoBody, now: float) -> tuple[float, str]:
    """Check what the video is made of; return its estimated length and its script."""
    if isinstance(body, CreateVideoFromAvatar):
        look = checks.require_look(state, body.avatar_id, "avatar_id", now)
        checks.check_engine(look, body.engine, "engine")
        return checks.speech_source(state, body, default_voice=look.default_voice_id)
    if isinstance(body, CreateVideoFromImage):
        checks.check_asset_input(state, body.image, "image", ("image",))
        return checks.speech_source(state, body)
    if isinstance(body, CreateVideoFromCinematic):
        for i, look_id in enumerate(body.avatar_id):
            checks.require_look(state, look_id, f"avatar_id[{i}]", now)
        if body.auto_duration and body.duration is not None:
            raise validation_error("Omit duration when auto_duration is true", "duration")
        for i, reference in enumerate(body.references or []):
            checks.check_asset_input(state, reference, f"references[{i}]")
        return float(body.duration or 10), body.prompt
    return _studio_seconds(state, body, now)


def _check_background(state: SandboxState, body: CreateVideoFromAvatar | CreateVideoFromImage) -> None:
    if body.output_format == "webm" and body.background is not None:
        raise validation_error("background is not supported with output_format 'webm'", "background")
    if body.background is None:
        return
    if body.background.type == "color":
        if body.background.value is None:
            raise validation_error("value is required for a color background", "background.value")
        checks.check_color(body.background.value, "background.value")
    elif bool(body.background.url) == bool(body.background.asset_id):
        raise validation_error("Provide exactly one of url or asset_id", "background.url")
    elif body.background.asset_id:
        checks.check_asset_id(state, body.background.asset_id, "background.asset_id", ("image",))


# -- what the render shows ---------------------------------------------------------------------------
_OWN_ASSET = re.compile(r"/_media/assets/([0-9a-zA-Z_-]{1,64})/")


def kept_file(state: SandboxState, value: Any = None, *, url: str | None = None, asset_id: str | None = None
              ) -> str | None:
    """The picture or sound a request names, as a kept file's SHA-256 (kept.py): an uploaded asset's, inline
    base64 (kept now), or one of the sandbox's own asset URLs; ``""`` when it is not kept (another URL: the
    sandbox fetches nothing); ``None`` when nothing is named."""
    if isinstance(value, AssetId):
        asset_id = value.asset_id
    elif isinstance(value, AssetUrl):
        url = value.url
    elif isinstance(value, AssetBase64):
        try:
            data = base64.b64decode(value.data, validate=True)
        except (binascii.Error, ValueError):
            return ""
        return state.files.put(data) if worth_keeping(sniff_mime(data[:64]), len(data)) else ""
    if url and not asset_id:
        match = _OWN_ASSET.search(url)
        if match is None:
            return ""
        asset_id = match.group(1)
    if not asset_id:
        return None
    asset = state.assets.get(asset_id)
    return asset.sha256 if asset is not None and asset.sha256 else ""


def image_size(state: SandboxState, digest: str | None) -> tuple[int, int] | None:
    """A kept image's width and height (``aspect_ratio: auto`` keeps them), when Pillow can read them."""
    data = state.files.get(digest)
    if data is None:
        return None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (ImportError, OSError, ValueError, SyntaxError):
        return None


def _speed(src: Any) -> float:
    settings = getattr(src, "voice_settings", None)
    return float(settings.speed) if settings is not None else 1.0


def _spoken(state: SandboxState, src: Any, default_voice: str | None = None) -> dict[str, Any]:
    """A scene's words or sound (checked before: ``checks.speech_source``) and its length."""
    if src.script is not None:
        return {"seconds": costs.speech_seconds(src.script, _speed(src)), "script": src.script,
                "voice_id": src.voice_id or default_voice, "speed": _speed(src)}
    return {"seconds": costs.AUDIO_INPUT_SECONDS, "audio": kept_file(state, url=src.audio_url,
                                                                     asset_id=src.audio_asset_id)}


def _backdrop(state: SandboxState, body: CreateVideoFromAvatar | CreateVideoFromImage) -> dict[str, Any]:
    if body.background is None:
        return {}
    if body.background.type == "color":
        return {"background": body.background.value}
    return {"backdrop": kept_file(state, url=body.background.url, asset_id=body.background.asset_id)}


def _studio_scene(state: SandboxState, scene: Any) -> Scene:
    if isinstance(scene, AvatarVideoScene):
        source = scene.input
        look = state.look(source.avatar_id)
        colour = source.background.color if source.background is not None else None
        return Scene(look_id=source.avatar_id, background=colour,
                     **_spoken(state, source, look.default_voice_id if look else None))
    if isinstance(scene, ImageScene):
        narrated = scene.script is not None or scene.audio_url or scene.audio_asset_id
        words = _spoken(state, scene) if narrated else {"seconds": float(scene.duration or 0)}
        return Scene(backdrop=kept_file(state, scene.source), **words)
    narrated = scene.script is not None or scene.audio_url or scene.audio_asset_id
    words = _spoken(state, scene) if narrated else {"seconds": costs.VIDEO_SCENE_SECONDS}
    return Scene(clip=True, **words)


def _scenes(state: SandboxState, body: VideoBody) -> list[Scene]:
    """The video's scenes as its render shows them (the body was checked: ``check_video``)."""
    if isinstance(body, CreateVideoFromAvatar):
        look = state.look(body.avatar_id)
        return [Scene(look_id=body.avatar_id, **_backdrop(state, body),
                      **_spoken(state, body, look.default_voice_id if look else None))]
    if isinstance(body, CreateVideoFromImage):
        return [Scene(photo=kept_file(state, body.image), fit=body.fit, **_backdrop(state, body),
                      **_spoken(state, body))]
    if isinstance(body, CreateVideoFromCinematic):
        return [Scene(seconds=float(body.duration or 10), script=body.prompt, look_id=body.avatar_id[0])]
    return [_studio_scene(state, scene) for scene in body.scenes]


def _presentation(state: SandboxState, body: VideoBody) -> dict[str, Any]:
    """What the render shows: its size and its scenes (the first presenter, voice and colour on their own too)."""
    scenes = _scenes(state, body)
    first = next((scene for scene in scenes if scene.look_id), scenes[0])
    look = state.look(first.look_id) if first.look_id else None
    source = (look.image_width, look.image_height) if look and look.image_width and look.image_height else None
    if isinstance(body, CreateVideoFromImage):
        source = image_size(state, scenes[0].photo)
    return {
        "size": dimensions(body.aspect_ratio, body.resolution, source),
        "background": first.background,
        "look_id": first.look_id,
        "voice_id": first.voice_id or (look.default_voice_id if look else None),
        "scenes": scenes,
    }


def check_video(state: SandboxState, body: VideoBody, now: float) -> tuple[float, str]:
    """Everything POST /v3/videos checks beyond the schema; the video's length and script."""
    seconds, script = _seconds_and_script(state, body, now)
    if isinstance(body, CreateVideoFromAvatar | CreateVideoFromImage):
        _check_background(state, body)
    watermark = getattr(body, "watermark", None)
    if watermark is not None:
        checks.check_asset_input(state, watermark.image, "watermark.image", ("image",))
    checks.check_url(getattr(body, "callback_url", None), "callback_url")
    return seconds, script


def add_video(state: SandboxState, request: Request, body: VideoBody, seconds: float, script: str) -> Video:
    """A checked video, created (and paid for by the caller)."""
    caption = getattr(body, "caption", None)
    video = new_video(
        state,
        request,
        kind={"avatar": "avatar", "image": "image", "cinematic_avatar": "cinematic", "studio": "studio"}[
            body.type
        ],
        title=body.title,
        duration=seconds,
        script=script,
        callback_url=getattr(body, "callback_url", None),
        callback_id=getattr(body, "callback_id", None),
        output_format=getattr(body, "output_format", "mp4"),
        captioned=caption is not None and caption.style is not None,
        **_presentation(state, body),
    )
    state.videos[video.id] = video
    return video


async def create_video(request: Request) -> Response:
    state = state_of(request)
    body = parse_union(CreateVideoEnvelope, await request.body())
    seconds, script = check_video(state, body, state.now())
    admit(state, 1, "video")
    state.charge_for("/v3/videos", await request.body(), "video")
    video = add_video(state, request, body, seconds, script)
    return ok({"video_id": video.id, "status": "waiting", "output_format": video.output_format})


# -- reads -----------------------------------------------------------------------------------------
async def list_videos(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    title = (request.query_params.get("title") or "").lower()
    folder = request.query_params.get("folder_id")
    videos = [
        v
        for v in reversed(state.videos.values())
        if v.visible(now)
        and (not title or title in (v.title or "").lower())
        and (not folder or v.folder_id == folder)
    ]
    base = base_url(request)
    return paged(request, videos, lambda v: video_detail(state, v, base, now), default=10, maximum=100)


async def get_video(request: Request) -> Response:
    state = state_of(request)
    video_id = request.path_params["video_id"]
    video = or_404(state.video(video_id), "Video", video_id, "video_not_found")
    return ok(video_detail(state, video, base_url(request), state.now()))


async def delete_video(request: Request) -> Response:
    state = state_of(request)
    video_id = request.path_params["video_id"]
    if state.video(video_id) is None:
        raise not_found("Video", video_id, "video_not_found")
    del state.videos[video_id]
    return ok({"id": video_id, "deleted": True})


async def video_statuses(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    ids = split_ids(request.query_params.get("video_ids"))
    batches = split_ids(request.query_params.get("batch_ids"))
    if not ids and not batches:
        raise validation_error("Pass video_ids and/or batch_ids", "video_ids")
    if len(ids) + len(batches) > 100:
        raise validation_error("At most 100 ids per request", "video_ids")
    entries = [bulk_status(state.video(i, now), i, now) for i in ids]
    for b in batches:
        batch = state.batches.get(b)
        if batch is None or batch.kind != "video":
            entries.append({"batch_id": b, "video_id": None, "status": "not_found", "error": None})
            continue
        entries += [{"batch_id": b, **batch_item(state, batch, entry, now)} for entry in batch.items]
    return ok_list(entries)


# -- POST /v2/video/generate -----------------------------------------------------------------------
def _v2_exactly_one(a: str | None, b: str | None, names: tuple[str, str], prefix: str) -> None:
    if bool(a) == bool(b):
        raise invalid_parameter(f"{prefix}: provide exactly one of {names[0]} or {names[1]}", f"{prefix}.{names[0]}")


def _v2_media(
    state: SandboxState, url: str | None, asset_id: str | None, names: tuple[str, str], prefix: str,
    kinds: tuple[str, ...],
) -> None:
    """A v2 media input: exactly one of its URL or asset id; the asset must exist and be of ``kinds``."""
    _v2_exactly_one(url, asset_id, names, prefix)
    if asset_id:
        checks.check_asset_id(state, asset_id, f"{prefix}.{names[1]}", kinds)


def _v2_scene(state: SandboxState, scene: V2VideoInput, prefix: str, now: float) -> tuple[float, str | None]:
    """Check one ``video_inputs[i]`` entry; return its estimated seconds and its script (if spoken)."""
    character = scene.character
    if character is not None:
        look_id = (
            character.avatar_id
            if isinstance(character, V2AvatarCharacter)
            else character.talking_photo_id
        )
        field = "avatar_id" if isinstance(character, V2AvatarCharacter) else "talking_photo_id"
        checks.require_look(state, look_id, f"{prefix}.character.{field}", now)
        checks.check_color(
            character.circle_background_color, f"{prefix}.character.circle_background_color"
        )
    background = scene.background
    voice = scene.voice
    seconds, script = 0.0, None
    if isinstance(voice, V2TextVoice):
        checks.require_voice(state, voice.voice_id, f"{prefix}.voice.voice_id")
        if not voice.input_text.strip():
            raise invalid_parameter("input_text must not be empty", f"{prefix}.voice.input_text")
        if len(voice.input_text) > checks.MAX_SCRIPT:
            raise invalid_parameter("input_text is too long", f"{prefix}.voice.input_text")
        seconds, script = costs.speech_seconds(voice.input_text, voice.speed), voice.input_text
    elif isinstance(voice, V2AudioVoice):
        names = ("audio_url", "audio_asset_id")
        _v2_media(state, voice.audio_url, voice.audio_asset_id, names, f"{prefix}.voice", ("audio", "video"))
        seconds = costs.AUDIO_INPUT_SECONDS
    elif isinstance(voice, V2SilenceVoice):
        seconds = voice.duration
    if isinstance(background, V2ColorBackground):
        checks.check_color(background.value, f"{prefix}.background.value")
    elif isinstance(background, V2ImageBackground):
        names = ("url", "image_asset_id")
        _v2_media(state, background.url, background.image_asset_id, names, f"{prefix}.background", ("image",))
    elif isinstance(background, V2VideoBackground):
        names = ("url", "video_asset_id")
        _v2_media(state, background.url, background.video_asset_id, names, f"{prefix}.background", ("video",))
    return seconds, script


def _v2_scene_shown(state: SandboxState, scene: V2VideoInput) -> Scene:
    """One ``video_inputs[i]`` as the render shows it (checked before: ``_v2_scene``)."""
    character, voice, background = scene.character, scene.voice, scene.background
    shown: dict[str, Any] = {}
    if isinstance(character, V2AvatarCharacter):
        shown["look_id"] = character.avatar_id
    elif character is not None:
        shown["look_id"] = character.talking_photo_id
    if isinstance(voice, V2TextVoice):
        shown.update(seconds=costs.speech_seconds(voice.input_text, voice.speed), script=voice.input_text,
                     voice_id=voice.voice_id, speed=float(voice.speed))
    elif isinstance(voice, V2AudioVoice):
        shown.update(seconds=costs.AUDIO_INPUT_SECONDS,
                     audio=kept_file(state, url=voice.audio_url, asset_id=voice.audio_asset_id))
    else:
        shown["seconds"] = float(voice.duration)
    if isinstance(background, V2ColorBackground):
        shown["background"] = background.value
    elif isinstance(background, V2ImageBackground):
        shown["backdrop"] = kept_file(state, url=background.url, asset_id=background.image_asset_id)
    elif isinstance(background, V2VideoBackground):
        shown["clip"] = True
    return Scene(**shown)


def _v2_presentation(state: SandboxState, body: V2VideoGenerate) -> dict[str, Any]:
    """What the render shows: ``dimension`` (HeyGen's default 1920×1080) and the scenes (the first presenter,
    voice and colour on their own too)."""
    dimension = body.dimension or V2Dimension()
    scenes = [_v2_scene_shown(state, scene) for scene in body.video_inputs]
    return {
        "size": (dimension.width, dimension.height),
        "background": next((s.background for s in scenes if s.background), None),
        "look_id": next((s.look_id for s in scenes if s.look_id), None),
        "voice_id": next((s.voice_id for s in scenes if s.voice_id), None),
        "scenes": scenes,
    }


async def v2_generate(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    body = parse_body(V2VideoGenerate, await request.body())
    seconds, scripts = 0.0, []
    for i, scene in enumerate(body.video_inputs):
        scene_seconds, script = _v2_scene(state, scene, f"video_inputs[{i}]", now)
        seconds += scene_seconds
        if script is not None:
            scripts.append(script)
    if body.dimension is not None and (body.dimension.width % 2 or body.dimension.height % 2):
        raise invalid_parameter("dimension width and height must be even", "dimension")
    video = new_video(
        state,
        request,
        **_v2_presentation(state, body),
        kind="v2_studio",
        title=body.title,
        duration=seconds,
        script=" ".join(scripts),
        callback_url=body.callback_url,
        callback_id=body.callback_id,
        folder_id=body.folder_id,
        captioned=body.caption or body.caption_mode == "burn_in",
    )
    admit(state, 1, "video")
    if not body.test:
        state.charge_for("/v2/video/generate", await request.body(), "video")
    state.videos[video.id] = video
    return v2_ok({"video_id": video.id})


routes = [
    Route("/v3/videos", create_video, methods=["POST"]),
    Route("/v3/videos", list_videos, methods=["GET"]),
    Route("/v3/videos/statuses", video_statuses, methods=["GET"]),
    Route("/v3/videos/{video_id}", get_video, methods=["GET"]),
    Route("/v3/videos/{video_id}", delete_video, methods=["DELETE"]),
    Route("/v2/video/generate", v2_generate, methods=["POST"]),
]
