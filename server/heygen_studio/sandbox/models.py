"""Request models of the sandbox (pydantic v2, strict JSON), written from the API's documented shapes.

Closed objects (unknown keys → 400 ``validation_error``): AssetUrl / AssetId / AssetBase64,
CreateVideoAgentSessionRequest, SendVideoAgentMessageRequest, the stop body, CreateSpeechRequest,
DesignVoiceRequest, CreateVideoTranslationRequest, Create/UpdateWebhookEndpointRequest. Everything
else is open (extra keys ignored), as HeyGen documents nothing stricter.

Discriminated unions use tags prefixed with ``~`` so error locations can drop them when they are
turned into HeyGen's dotted ``param`` (``scenes[0].input.avatar_id``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar, Union, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from .errors import ApiError
from .seed import WEBHOOK_EVENT_NAMES

M = TypeVar("M", bound=BaseModel)


class Open(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def tagged(*models: type[BaseModel], field: str = "type") -> Any:
    """A union discriminated by ``field`` (whose annotation on each model is a ``Literal``)."""
    members = []
    names = []
    for model in models:
        (value,) = get_args(model.model_fields[field].annotation)
        names.append(value)
        members.append(Annotated[model, Tag(f"~{value}")])

    def pick(raw: Any) -> str | None:
        value = raw.get(field) if isinstance(raw, dict) else getattr(raw, field, None)
        return f"~{value}" if isinstance(value, str) and value in names else None

    expected = ", ".join(repr(n) for n in names)
    return Annotated[
        Union[tuple(members)],  # noqa: UP007 - a runtime-built union
        Discriminator(
            pick,
            custom_error_type="bad_discriminator",
            custom_error_message=f"'{field}' must be one of {expected}",
        ),
    ]


# -- asset inputs ----------------------------------------------------------------------------------
class AssetUrl(Closed):
    type: Literal["url"]
    url: str


class AssetId(Closed):
    type: Literal["asset_id"]
    asset_id: str


class AssetBase64(Closed):
    type: Literal["base64"]
    media_type: str
    data: str


AssetInput = tagged(AssetUrl, AssetId, AssetBase64)
AssetUrlOrId = tagged(AssetUrl, AssetId)

# -- video pieces ----------------------------------------------------------------------------------
AspectRatio = Literal["16:9", "9:16", "4:5", "5:4", "1:1", "auto"]
Resolution = Literal["4k", "1080p", "720p"]


class BackgroundSetting(Open):
    type: Literal["color", "image"]
    value: str | None = None
    url: str | None = None
    asset_id: str | None = None


class CaptionSettings(Open):
    file_format: Literal["srt"] = "srt"
    style: Literal["default"] | None = None


class AvatarIVEngine(Open):
    type: Literal["avatar_iv"]


class AvatarVEngine(Open):
    type: Literal["avatar_v"]
    reference_look_id: str | None = None


class AvatarIIIEngine(Open):
    type: Literal["avatar_iii"]


VideoEngine = tagged(AvatarVEngine, AvatarIVEngine, AvatarIIIEngine)


class ElevenLabsSettings(Open):
    engine_type: Literal["elevenlabs"]
    model: Literal["eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_v3"] | None = (
        None
    )
    similarity_boost: float | None = None
    stability: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None


class FishSettings(Open):
    engine_type: Literal["fish"]
    model: Literal["s1", "s2-pro"] | None = None
    similarity: float | None = None
    stability: float | None = None


class StarfishSettings(Open):
    engine_type: Literal["starfish"]


VoiceEngineSettings = tagged(ElevenLabsSettings, FishSettings, StarfishSettings, field="engine_type")


class VoiceSettings(Open):
    engine_settings: VoiceEngineSettings | None = None
    locale: str | None = None
    pitch: Annotated[float, Field(ge=-50, le=50)] = 0
    speed: Annotated[float, Field(ge=0.5, le=1.5)] = 1
    volume: float = 1


class WatermarkPlacement(Open):
    offset_x: float | None = None
    offset_y: float | None = None
    position: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "bottom_right"


class WatermarkSettings(Open):
    image: AssetInput
    opacity: Annotated[float, Field(ge=0, le=1)] = 1
    placement: WatermarkPlacement | None = None
    scale: float = 1


class _SpeechSource(Open):
    script: Annotated[str, Field(min_length=1)] | None = None
    voice_id: str | None = None
    audio_url: str | None = None
    audio_asset_id: str | None = None
    voice_settings: VoiceSettings | None = None


class _VideoOutput(Open):
    title: str | None = None
    callback_url: str | None = None
    callback_id: str | None = None
    caption: CaptionSettings | None = None
    aspect_ratio: AspectRatio | None = "16:9"
    resolution: Resolution | None = None
    watermark: WatermarkSettings | None = None


class CreateVideoFromAvatar(_VideoOutput, _SpeechSource):
    type: Literal["avatar"]
    avatar_id: str
    background: BackgroundSetting | None = None
    engine: VideoEngine | None = None
    expressiveness: Literal["high", "medium", "low"] | None = None
    fit: Literal["contain", "cover"] | None = None
    motion_prompt: str | None = None
    output_format: Literal["mp4", "webm"] = "mp4"
    remove_background: bool | None = None


class CreateVideoFromImage(_VideoOutput, _SpeechSource):
    type: Literal["image"]
    image: AssetInput
    background: BackgroundSetting | None = None
    expressiveness: Literal["high", "medium", "low"] | None = None
    fit: Literal["contain", "cover"] | None = None
    motion_prompt: str | None = None
    output_format: Literal["mp4", "webm"] = "mp4"
    remove_background: bool | None = None


class CreateVideoFromCinematic(Open):
    type: Literal["cinematic_avatar"]
    prompt: str
    avatar_id: Annotated[list[str], Field(min_length=1, max_length=3)]
    aspect_ratio: AspectRatio = "16:9"
    auto_duration: bool = False
    duration: Annotated[int, Field(ge=4, le=15)] | None = None
    enhance_prompt: bool = False
    references: list[AssetInput] | None = None
    resolution: Literal["720p", "1080p"] = "720p"
    title: str | None = None


class StudioColorBackground(Open):
    type: Literal["color"]
    color: str


class StudioAvatarInput(_SpeechSource):
    type: Literal["avatar"]
    avatar_id: str
    background: StudioColorBackground | None = None
    engine: VideoEngine | None = None
    expressiveness: Literal["high", "medium", "low"] | None = None
    motion_prompt: str | None = None


class StudioImageInput(_SpeechSource):
    type: Literal["image"]
    image: AssetInput
    expressiveness: Literal["high", "medium", "low"] | None = None
    motion_prompt: str | None = None


class AvatarVideoScene(Open):
    type: Literal["avatar_video"]
    input: tagged(StudioAvatarInput, StudioImageInput)  # type: ignore[valid-type]


class ImageScene(Open):
    type: Literal["image"]
    source: AssetInput
    duration: Annotated[float, Field(gt=0, le=300)] | None = None
    script: str | None = None
    voice_id: str | None = None
    audio_url: str | None = None
    audio_asset_id: str | None = None
    voice_settings: VoiceSettings | None = None


class VideoScenePlayback(Open):
    mute: bool = False
    volume: Annotated[float, Field(ge=0, le=1)] = 1


class VideoScene(Open):
    type: Literal["video"]
    source: AssetInput
    playback: VideoScenePlayback | None = None


class CreateVideoFromStudio(_VideoOutput):
    type: Literal["studio"]
    scenes: Annotated[
        list[tagged(AvatarVideoScene, ImageScene, VideoScene)],  # type: ignore[valid-type]
        Field(min_length=1, max_length=50),
    ]


class CreateVideoEnvelope(Open):
    body: tagged(CreateVideoFromAvatar, CreateVideoFromImage, CreateVideoFromCinematic, CreateVideoFromStudio)  # type: ignore[valid-type]


# -- video agent -----------------------------------------------------------------------------------
class CreateVideoAgentSession(Closed):
    prompt: Annotated[str, Field(min_length=1, max_length=10000)]
    mode: Literal["generate", "chat"] = "generate"
    avatar_id: str | None = None
    voice_id: str | None = None
    style_id: str | None = None
    brand_kit_id: str | None = None
    orientation: Literal["landscape", "portrait"] | None = None
    files: Annotated[list[AssetInput], Field(max_length=20)] | None = None
    callback_url: str | None = None
    callback_id: str | None = None
    incognito_mode: bool = False


class SendVideoAgentMessage(Closed):
    message: Annotated[str, Field(min_length=1, max_length=10000)]
    avatar_id: str | None = None
    voice_id: str | None = None
    brand_kit_id: str | None = None
    files: Annotated[list[AssetInput], Field(max_length=20)] | None = None


class StopSession(Closed):
    pass


# -- assets ----------------------------------------------------------------------------------------
class CreateAssetUpload(Open):
    filename: str
    content_type: str
    size_bytes: int
    checksum_sha256: str | None = None


class CompleteAssetUpload(Open):
    checksum_sha256: str | None = None


# -- avatars ---------------------------------------------------------------------------------------
class CreatePhotoAvatar(Open):
    type: Literal["photo"]
    name: str
    file: AssetInput
    avatar_group_id: str | None = None


class CreateDigitalTwin(Open):
    type: Literal["digital_twin"]
    name: str
    file: AssetInput
    avatar_group_id: str | None = None


class CreatePromptAvatar(Open):
    type: Literal["prompt"]
    name: str
    prompt: Annotated[str, Field(max_length=1000)]
    avatar_group_id: str | None = None
    avatar_id: str | None = None
    reference_images: Annotated[list[AssetInput], Field(max_length=3)] | None = None


class CreateAvatarEnvelope(Open):
    body: tagged(CreatePhotoAvatar, CreateDigitalTwin, CreatePromptAvatar)  # type: ignore[valid-type]


class UpdateAvatarLook(Open):
    name: Annotated[str, Field(max_length=255)] | None = None


class CreateAvatarConsent(Open):
    consent_text: str | None = None
    consent_video: AssetInput | None = None
    reroute_url: str | None = None


# -- voices ----------------------------------------------------------------------------------------
class DesignVoice(Closed):
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    gender: str | None = None
    locale: str | None = None
    seed: Annotated[int, Field(ge=0)] = 0


class CreateSpeech(Closed):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    voice_id: str
    input_type: str = "text"
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1
    language: str | None = None
    locale: str | None = None


# -- templates -------------------------------------------------------------------------------------
class TemplateDimension(Open):
    width: Annotated[int, Field(ge=128, le=4096)]
    height: Annotated[int, Field(ge=128, le=4096)]


class TemplateSubtitles(Open):
    preset_name: str


class GenerateFromTemplate(Open):
    variables: dict[str, Any]
    title: str | None = None
    caption: bool = False
    callback_id: str | None = None
    callback_url: str | None = None
    folder_id: str | None = None
    brand_voice_id: str | None = None
    dimension: TemplateDimension | None = None
    fps: Literal[25, 30, 60] = 25
    scene_ids: list[str] | None = None
    include_gif: bool = False
    enable_sharing: bool = False
    keep_text_vertically_centered: bool = False
    reorder_music: bool = True
    subtitles: TemplateSubtitles | None = None


# -- translations ----------------------------------------------------------------------------------
class StockVoiceConfig(Open):
    use_stock_voice: bool = False
    preferred_stock_voice_ids: list[str] | None = None


class CreateVideoTranslation(Closed):
    video: AssetUrlOrId
    output_languages: Annotated[list[str], Field(min_length=1)]
    title: str | None = None
    mode: Literal["speed", "precision"] = "speed"
    audio: AssetUrlOrId | None = None
    srt: AssetUrlOrId | None = None
    srt_role: Literal["input", "output"] | None = None
    brand_glossary_id: str | None = None
    brand_voice_id: str | None = None
    callback_id: str | None = None
    callback_url: str | None = None
    disable_music_track: bool = False
    enable_caption: bool = False
    enable_dynamic_duration: bool = True
    enable_speech_enhancement: bool = False
    enable_watermark: bool = False
    start_time: float | None = None
    end_time: float | None = None
    folder_id: str | None = None
    fps_mode: Literal["vfr", "cfr", "passthrough"] | None = None
    input_language: str | None = None
    keep_the_same_format: bool | None = None
    speaker_num: int | None = None
    stock_voice_config: StockVoiceConfig | None = None
    translate_audio_only: bool = False


# -- webhooks --------------------------------------------------------------------------------------
EventName = Literal[tuple(sorted(WEBHOOK_EVENT_NAMES))]  # type: ignore[valid-type]


class CreateWebhookEndpoint(Closed):
    url: str
    events: list[EventName] | None = None  # type: ignore[valid-type]
    entity_id: str | None = None


class UpdateWebhookEndpoint(Closed):
    url: str | None = None
    events: list[EventName] | None = None  # type: ignore[valid-type]


# -- v2 --------------------------------------------------------------------------------------------
class V2Offset(Open):
    x: float = 0
    y: float = 0


class V2Dimension(Open):
    width: Annotated[int, Field(ge=128, le=4096)] = 1920
    height: Annotated[int, Field(ge=128, le=4096)] = 1080


class _V2CharacterBase(Open):
    scale: Annotated[float, Field(ge=0, le=5)] = 1
    offset: V2Offset | None = None
    matting: bool | None = None
    circle_background_color: str | None = None
    use_avatar_iv_model: bool | None = None


class V2AvatarCharacter(_V2CharacterBase):
    type: Literal["avatar"]
    avatar_id: str
    avatar_style: Literal["normal", "circle", "closeUp"] = "normal"


class V2TalkingPhotoCharacter(_V2CharacterBase):
    type: Literal["talking_photo"]
    talking_photo_id: str
    talking_photo_style: Literal["square", "circle"] | None = None
    talking_style: Literal["stable", "expressive"] = "stable"
    expression: Literal["default", "happy"] = "default"
    super_resolution: bool | None = None


class V2ElevenLabsSettings(Open):
    model: str | None = None
    similarity_boost: float | None = None
    stability: float | None = None
    style: float | None = None


class V2TextVoice(Open):
    type: Literal["text"]
    voice_id: str
    input_text: str
    speed: Annotated[float, Field(ge=0.5, le=1.5)] = 1
    pitch: Annotated[float, Field(ge=-50, le=50)] = 0
    emotion: Literal["Excited", "Friendly", "Serious", "Soothing", "Broadcaster"] | None = None
    locale: str | None = None
    elevenlabs_settings: V2ElevenLabsSettings | None = None


class V2AudioVoice(Open):
    type: Literal["audio"]
    audio_url: str | None = None
    audio_asset_id: str | None = None


class V2SilenceVoice(Open):
    type: Literal["silence"]
    duration: Annotated[float, Field(ge=1, le=100)] = 1


class V2ColorBackground(Open):
    type: Literal["color"]
    value: str = "#f6f6fc"


class V2ImageBackground(Open):
    type: Literal["image"]
    url: str | None = None
    image_asset_id: str | None = None
    fit: Literal["cover", "crop", "contain", "none"] = "cover"


class V2VideoBackground(Open):
    type: Literal["video"]
    url: str | None = None
    video_asset_id: str | None = None
    play_style: Literal["fit_to_scene", "freeze", "loop", "once", "full_video"] | None = None
    fit: Literal["cover", "crop", "contain", "none"] | None = None


class V2TextOverlay(Open):
    type: str | None = None
    text: str | None = None
    font_family: str | None = None
    font_size: float | None = None
    font_weight: str | None = None
    color: str | None = None
    position: V2Offset | None = None
    text_align: str | None = None
    line_height: float | None = None
    width: float | None = None


class V2VideoInput(Open):
    character: tagged(V2AvatarCharacter, V2TalkingPhotoCharacter) | None = None  # type: ignore[valid-type]
    voice: tagged(V2TextVoice, V2AudioVoice, V2SilenceVoice)  # type: ignore[valid-type]
    background: tagged(V2ColorBackground, V2ImageBackground, V2VideoBackground) | None = None  # type: ignore[valid-type]
    text: V2TextOverlay | None = None


class V2VideoGenerate(Open):
    video_inputs: Annotated[list[V2VideoInput], Field(min_length=1, max_length=50)]
    dimension: V2Dimension | None = None
    title: str | None = None
    caption: bool = False
    caption_mode: Literal["file_only", "burn_in"] | None = None
    callback_id: str | None = None
    callback_url: str | None = None
    folder_id: str | None = None
    test: bool = False
    fps: float = 25
    enable_watermark: bool = False
    subtitles: dict[str, Any] | None = None
    aspect_ratio: str | None = None
    use_avatar_iv_model: bool | None = None


class V2TextVariableProps(Open):
    content: str


class V2TextVariable(Open):
    type: Literal["text"]
    name: str | None = None
    properties: V2TextVariableProps


class V2MediaProps(Open):
    url: str | None = None
    asset_id: str | None = None
    fit: Literal["cover", "contain", "crop", "none"] | None = None
    play_style: Literal["fit_to_scene", "freeze", "loop", "once"] | None = None


class V2ImageVariable(Open):
    type: Literal["image"]
    name: str | None = None
    properties: V2MediaProps


class V2VideoVariable(Open):
    type: Literal["video"]
    name: str | None = None
    properties: V2MediaProps


class V2AudioVariable(Open):
    type: Literal["audio"]
    name: str | None = None
    properties: V2MediaProps


class V2VoiceVariableProps(Open):
    voice_id: str


class V2VoiceVariable(Open):
    type: Literal["voice"]
    name: str | None = None
    properties: V2VoiceVariableProps


class V2CharacterVariableProps(Open):
    character_id: str
    type: Literal["avatar", "talking_photo"] | None = None


class V2CharacterVariable(Open):
    type: Literal["character"]
    name: str | None = None
    properties: V2CharacterVariableProps


V2TemplateVariable = tagged(
    V2TextVariable, V2ImageVariable, V2VideoVariable, V2VoiceVariable, V2AudioVariable, V2CharacterVariable
)


class V2TemplateGenerate(Open):
    variables: dict[str, V2TemplateVariable]  # type: ignore[valid-type]
    title: str | None = None
    caption: bool | None = None
    callback_id: str | None = None
    callback_url: str | None = None
    folder_id: str | None = None
    brand_voice_id: str | None = None
    dimension: V2Dimension | None = None
    fps: Literal[25, 30, 60] | None = None
    scene_ids: list[str] | None = None
    test: bool | None = None


# -- parsing ---------------------------------------------------------------------------------------
def param_from_loc(loc: tuple[Any, ...], skip: int = 0) -> str | None:
    out = ""
    for part in loc[skip:]:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("~"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or None


def _describe(error: dict[str, Any], param: str | None) -> str:
    kind = error["type"]
    where = f"'{param}'" if param else "body"
    if kind == "extra_forbidden":
        return f"Unknown field {where}: this object does not accept extra keys"
    if kind == "missing":
        return f"Missing required field {where}"
    return f"Invalid value for {where}: {error['msg']}"


def error_from_validation(exc: ValidationError, skip: int = 0) -> ApiError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    param = param_from_loc(tuple(first["loc"]), skip)
    if first["type"] == "bad_discriminator":
        field = "engine_type" if "engine_type" in first["msg"] else "type"
        param = f"{param}.{field}" if param else field
    message = _describe(first, param)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ApiError(400, "validation_error", message, param=param)


def load_json(raw: bytes, *, required: bool = True) -> Any:
    if not raw.strip():
        if required:
            raise ApiError(400, "validation_error", "A JSON request body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "validation_error", "The request body is not valid JSON") from None


def parse_model(model: type[M], raw: bytes, *, required: bool = True) -> M | None:
    payload = load_json(raw, required=required)
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise ApiError(400, "validation_error", "The request body must be a JSON object")
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise error_from_validation(exc) from None


def parse_union(envelope: type[BaseModel], raw: bytes) -> Any:
    """Parse a discriminated-union body through a one-field ``body`` envelope model."""
    payload = load_json(raw)
    if not isinstance(payload, dict):
        raise ApiError(400, "validation_error", "The request body must be a JSON object")
    if "type" not in payload:
        raise ApiError(400, "validation_error", "Missing required field 'type'", param="type")
    try:
        return envelope.model_validate_json(b'{"body":' + raw + b"}", strict=True).body  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise error_from_validation(exc, skip=1) from None
