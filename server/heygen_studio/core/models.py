"""Typed request and response models for the HeyGen API (v3, plus the live v2 Studio/templates).

* Request models are strict (``extra="forbid"``, enums, bounds): bad input fails here, before any
  request is sent or any credit spent. ``body()`` gives the JSON to send (``None`` fields left out).
* Response models tolerate unknown fields (the API drifts) and keep enum-like fields as plain
  strings where HeyGen may add values; missing required fields raise, and the client turns that
  into a ``ResponseFormatError`` that names the field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

# -- limits (HeyGen's documented bounds; kept in one place) ------------------------------------
MAX_SCRIPT_CHARS = 5000  # v3 text-to-speech / script limit per scene
MAX_AGENT_PROMPT_CHARS = 10000
MAX_AGENT_FILES = 20
MAX_STUDIO_SCENES = 50
MAX_PROMPT_AVATAR_CHARS = 1000
MULTIPART_LIMIT_BYTES = 32 * 1024 * 1024
# The largest file a direct upload takes. The contract gives only a per-slot ``max_bytes`` in the answer to
# POST /v3/assets/direct-uploads. The sandbox caps a direct upload at 5 GiB (sandbox/routes/assets.py), the
# figure used here so a bigger local file is refused before one byte of it is read (HeyGen's own ceiling is
# unconfirmed; its per-slot max_bytes is still checked after the slot is created).
MAX_UPLOAD_BYTES = 5 * 1024**3

Resolution = Literal["4k", "1080p", "720p"]
AspectRatio = Literal["16:9", "9:16", "4:5", "5:4", "1:1", "auto"]
Expressiveness = Literal["high", "medium", "low"]
EngineType = Literal["avatar_iv", "avatar_v", "avatar_iii"]
Orientation = Literal["landscape", "portrait"]


# defer_build: validators are built on first use, not at import (server start-up stays fast).
class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class APIModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


# -- file-like inputs ----------------------------------------------------------------------------
class AssetUrl(RequestModel):
    type: Literal["url"] = "url"
    url: Annotated[str, Field(pattern=r"^https?://", description="Public http(s) URL of the file.")]


class AssetRef(RequestModel):
    type: Literal["asset_id"] = "asset_id"
    asset_id: Annotated[str, Field(min_length=1)]


class AssetBase64(RequestModel):
    type: Literal["base64"] = "base64"
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$")]
    data: Annotated[str, Field(min_length=1)]


AssetInput = Annotated[AssetUrl | AssetRef | AssetBase64, Field(discriminator="type")]
UrlOrAsset = Annotated[AssetUrl | AssetRef, Field(discriminator="type")]


# -- video settings ------------------------------------------------------------------------------
class VoiceSettings(RequestModel):
    speed: Annotated[float | None, Field(ge=0.5, le=1.5)] = None
    pitch: Annotated[float | None, Field(ge=-50, le=50)] = None
    volume: Annotated[float | None, Field(ge=0, le=2)] = None
    locale: str | None = None


class Background(RequestModel):
    type: Literal["color", "image"]
    value: Annotated[str | None, Field(description="Hex colour, for type=color.")] = None
    url: str | None = None
    asset_id: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Background:
        if self.type == "color" and not self.value:
            raise ValueError("a color background needs value (a hex colour such as '#FFFFFF')")
        if self.type == "image" and bool(self.url) == bool(self.asset_id):
            raise ValueError("an image background needs exactly one of url or asset_id")
        return self


class Caption(RequestModel):
    file_format: Literal["srt"] = "srt"
    style: Literal["default"] | None = None


class Engine(RequestModel):
    type: EngineType
    reference_look_id: str | None = None


def _check_speech(script: str | None, audio_url: str | None, audio_asset_id: str | None, where: str) -> None:
    given = [x for x in (script, audio_url, audio_asset_id) if x]
    if len(given) != 1:
        raise ValueError(f"{where} needs exactly one of script, audio_url or audio_asset_id")


class _SpeechFields(RequestModel):
    script: Annotated[str | None, Field(min_length=1, max_length=MAX_SCRIPT_CHARS)] = None
    voice_id: str | None = None
    audio_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    audio_asset_id: str | None = None
    voice_settings: VoiceSettings | None = None


class _VideoCommon(_SpeechFields):
    title: Annotated[str | None, Field(max_length=200)] = None
    resolution: Resolution | None = None
    aspect_ratio: AspectRatio | None = None
    fit: Literal["contain", "cover"] | None = None
    background: Background | None = None
    caption: Caption | None = None
    motion_prompt: Annotated[str | None, Field(max_length=1000)] = None
    expressiveness: Expressiveness | None = None
    output_format: Literal["mp4", "webm"] | None = None
    remove_background: bool | None = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _VideoCommon:
        _check_speech(self.script, self.audio_url, self.audio_asset_id, "a video")
        if self.output_format == "webm" and self.background is not None:
            raise ValueError("output_format 'webm' has a transparent background; drop background")
        return self


class CreateAvatarVideo(_VideoCommon):
    """POST /v3/videos, type=avatar: an avatar look speaks a script or an audio file."""

    type: Literal["avatar"] = "avatar"
    avatar_id: Annotated[str, Field(min_length=1, description="An avatar LOOK id.")]
    engine: Engine | None = None

    @model_validator(mode="after")
    def _engine_rules(self) -> CreateAvatarVideo:
        if self.engine is not None and self.engine.type == "avatar_v" and self.expressiveness is not None:
            raise ValueError("expressiveness works with the Avatar IV engine only; drop it or use avatar_iv")
        return self


class CreateImageVideo(_VideoCommon):
    """POST /v3/videos, type=image: animate any image (photo-avatar style)."""

    type: Literal["image"] = "image"
    image: AssetInput


# -- v3 Studio (type=studio) ---------------------------------------------------------------------
class StudioColor(RequestModel):
    type: Literal["color"] = "color"
    color: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class StudioAvatarInput(_SpeechFields):
    type: Literal["avatar"] = "avatar"
    avatar_id: Annotated[str, Field(min_length=1)]
    background: StudioColor | None = None
    engine: Engine | None = None
    expressiveness: Expressiveness | None = None
    motion_prompt: str | None = None


class StudioAvatarScene(RequestModel):
    """A whole-frame presenter scene. Since the 2026-07-23 contract its input is an avatar look only (a
    photo-avatar look id makes a talking photo); the image-animating input is gone."""

    type: Literal["avatar_video"] = "avatar_video"
    input: StudioAvatarInput


class StudioImageScene(_SpeechFields):
    type: Literal["image"] = "image"
    source: AssetInput
    duration: Annotated[float | None, Field(gt=0, le=300)] = None


class StudioPlayback(RequestModel):
    mute: bool | None = None
    volume: Annotated[float | None, Field(ge=0, le=1)] = None


class StudioVideoScene(_SpeechFields):
    """A whole-frame clip, optionally narrated: at most one audio source (script + voice_id, audio_url or
    audio_asset_id); the narration then sets the scene's length and the clip is held behind it."""

    type: Literal["video"] = "video"
    source: AssetInput
    playback: StudioPlayback | None = None

    @model_validator(mode="after")
    def _one_voiceover(self) -> StudioVideoScene:
        if len([x for x in (self.script, self.audio_url, self.audio_asset_id) if x]) > 1:
            raise ValueError("a video scene takes at most one of script, audio_url or audio_asset_id")
        if self.script and not self.voice_id:
            raise ValueError("a video scene's script needs voice_id")
        return self


StudioScene = Annotated[StudioAvatarScene | StudioImageScene | StudioVideoScene, Field(discriminator="type")]


class CreateStudioVideoV3(RequestModel):
    type: Literal["studio"] = "studio"
    scenes: Annotated[list[StudioScene], Field(min_length=1, max_length=MAX_STUDIO_SCENES)]
    title: str | None = None
    resolution: Resolution | None = None
    aspect_ratio: AspectRatio | None = None
    caption: Caption | None = None
    callback_url: str | None = None
    callback_id: str | None = None


# -- v2 Studio (POST /v2/video/generate) ---------------------------------------------------------
class V2Offset(RequestModel):
    x: float = 0.0
    y: float = 0.0


class V2AvatarCharacter(RequestModel):
    type: Literal["avatar"] = "avatar"
    avatar_id: Annotated[str, Field(min_length=1)]
    avatar_style: Literal["normal", "circle", "closeUp"] | None = None
    scale: Annotated[float | None, Field(ge=0, le=5)] = None
    offset: V2Offset | None = None
    matting: bool | None = None


class V2TalkingPhotoCharacter(RequestModel):
    type: Literal["talking_photo"] = "talking_photo"
    talking_photo_id: Annotated[str, Field(min_length=1)]
    talking_photo_style: Literal["square", "circle"] | None = None
    talking_style: Literal["stable", "expressive"] | None = None
    expression: Literal["default", "happy"] | None = None
    scale: Annotated[float | None, Field(ge=0, le=5)] = None
    offset: V2Offset | None = None
    matting: bool | None = None


class V2TextVoice(RequestModel):
    type: Literal["text"] = "text"
    voice_id: Annotated[str, Field(min_length=1)]
    input_text: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT_CHARS)]
    speed: Annotated[float | None, Field(ge=0.5, le=1.5)] = None
    pitch: Annotated[float | None, Field(ge=-50, le=50)] = None
    emotion: Literal["Excited", "Friendly", "Serious", "Soothing", "Broadcaster"] | None = None
    locale: str | None = None


class V2AudioVoice(RequestModel):
    type: Literal["audio"] = "audio"
    audio_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    audio_asset_id: str | None = None

    @model_validator(mode="after")
    def _one(self) -> V2AudioVoice:
        if bool(self.audio_url) == bool(self.audio_asset_id):
            raise ValueError("an audio voice needs exactly one of audio_url or audio_asset_id")
        return self


class V2SilenceVoice(RequestModel):
    type: Literal["silence"] = "silence"
    duration: Annotated[float, Field(ge=1, le=100)] = 1.0


class V2ColorBackground(RequestModel):
    type: Literal["color"] = "color"
    value: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] = "#f6f6fc"


class V2ImageBackground(RequestModel):
    type: Literal["image"] = "image"
    url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    image_asset_id: str | None = None
    fit: Literal["cover", "crop", "contain", "none"] | None = None

    @model_validator(mode="after")
    def _one(self) -> V2ImageBackground:
        if bool(self.url) == bool(self.image_asset_id):
            raise ValueError("an image background needs exactly one of url or image_asset_id")
        return self


class V2VideoBackground(RequestModel):
    type: Literal["video"] = "video"
    url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    video_asset_id: str | None = None
    play_style: Literal["fit_to_scene", "freeze", "loop", "once"] | None = None
    fit: Literal["cover", "crop", "contain", "none"] | None = None

    @model_validator(mode="after")
    def _one(self) -> V2VideoBackground:
        if bool(self.url) == bool(self.video_asset_id):
            raise ValueError("a video background needs exactly one of url or video_asset_id")
        return self


class V2Scene(RequestModel):
    character: Annotated[V2AvatarCharacter | V2TalkingPhotoCharacter, Field(discriminator="type")] | None = None
    voice: Annotated[V2TextVoice | V2AudioVoice | V2SilenceVoice, Field(discriminator="type")]
    background: Annotated[
        V2ColorBackground | V2ImageBackground | V2VideoBackground, Field(discriminator="type")
    ] | None = None


class V2Dimension(RequestModel):
    width: Annotated[int, Field(ge=128, le=4096, multiple_of=2)] = 1920
    height: Annotated[int, Field(ge=128, le=4096, multiple_of=2)] = 1080


class CreateStudioVideoV2(RequestModel):
    video_inputs: Annotated[list[V2Scene], Field(min_length=1, max_length=MAX_STUDIO_SCENES)]
    dimension: V2Dimension | None = None
    title: str | None = None
    caption: bool | None = None
    callback_id: str | None = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None


# -- Video Agent ---------------------------------------------------------------------------------
class CreateAgentSession(RequestModel):
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS)]
    mode: Literal["generate", "chat"] | None = None
    avatar_id: str | None = None
    voice_id: str | None = None
    style_id: str | None = None
    brand_kit_id: str | None = None
    orientation: Orientation | None = None
    files: Annotated[list[AssetInput] | None, Field(max_length=MAX_AGENT_FILES)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None
    incognito_mode: bool | None = None


class SendAgentMessage(RequestModel):
    message: Annotated[str, Field(min_length=1, max_length=MAX_AGENT_PROMPT_CHARS)]
    files: Annotated[list[AssetInput] | None, Field(max_length=MAX_AGENT_FILES)] = None
    avatar_id: str | None = None
    voice_id: str | None = None
    brand_kit_id: str | None = None


# -- avatars -------------------------------------------------------------------------------------
class CreatePhotoAvatar(RequestModel):
    type: Literal["photo"] = "photo"
    name: Annotated[str, Field(min_length=1, max_length=255)]
    file: AssetInput
    avatar_group_id: str | None = None


class CreatePromptAvatar(RequestModel):
    type: Literal["prompt"] = "prompt"
    name: Annotated[str, Field(min_length=1, max_length=255)]
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_AVATAR_CHARS)]
    avatar_id: str | None = None
    avatar_group_id: str | None = None
    reference_images: Annotated[list[AssetInput] | None, Field(max_length=3)] = None


class CreateDigitalTwin(RequestModel):
    type: Literal["digital_twin"] = "digital_twin"
    name: Annotated[str, Field(min_length=1, max_length=255)]
    file: AssetInput
    avatar_group_id: str | None = None


class AvatarConsentRequest(RequestModel):
    consent_text: str | None = None
    reroute_url: Annotated[str | None, Field(pattern=r"^https?://")] = None


# -- voices --------------------------------------------------------------------------------------
class DesignVoice(RequestModel):
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    gender: str | None = None
    locale: str | None = None
    seed: Annotated[int | None, Field(ge=0)] = None


class CreateSpeech(RequestModel):
    text: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT_CHARS)]
    voice_id: Annotated[str, Field(min_length=1)]
    input_type: Literal["text", "ssml"] | None = None
    speed: Annotated[float | None, Field(ge=0.5, le=2.0)] = None
    language: str | None = None
    locale: str | None = None


class CloneVoice(RequestModel):
    """POST /v3/voices/clone: a private voice from one audio sample (polled at GET /v3/voices/{id})."""

    audio: AssetInput
    voice_name: Annotated[str, Field(min_length=1, max_length=200)]
    language: str | None = None
    remove_background_noise: bool | None = None


# -- lipsync -------------------------------------------------------------------------------------
class CreateLipsync(RequestModel):
    """POST /v3/lipsyncs: new audio on an existing video, the speaker's lips re-animated to match."""

    video: UrlOrAsset
    audio: UrlOrAsset
    title: Annotated[str | None, Field(max_length=200)] = None
    mode: Literal["speed", "precision"] | None = None
    enable_caption: bool | None = None
    start_time: Annotated[float | None, Field(ge=0)] = None
    end_time: Annotated[float | None, Field(gt=0)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None

    @model_validator(mode="after")
    def _window(self) -> CreateLipsync:
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self


# -- templates -----------------------------------------------------------------------------------
class GenerateFromTemplate(RequestModel):
    variables: dict[str, Any]
    title: str | None = None
    caption: bool | None = None
    callback_id: str | None = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    folder_id: str | None = None


# -- translations --------------------------------------------------------------------------------
class CreateTranslation(RequestModel):
    video: UrlOrAsset
    output_languages: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=20)]
    mode: Literal["speed", "precision"] | None = None
    title: str | None = None
    input_language: str | None = None
    translate_audio_only: bool | None = None
    enable_caption: bool | None = None
    speaker_num: Annotated[int | None, Field(ge=1, le=10)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    callback_id: str | None = None



# -- batches (POST /v3/videos/batches, /v3/video-translations/batches) ----------------------------
VideoRequest = Annotated[CreateAvatarVideo | CreateImageVideo | CreateStudioVideoV3, Field(discriminator="type")]
MAX_BATCH_ITEMS = 100  # the contract's cap (a translation batch counts one item per output language)


class CreateVideoBatch(RequestModel):
    """POST /v3/videos/batches: up to 100 bodies exactly as POST /v3/videos takes them."""

    videos: Annotated[list[VideoRequest], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    title: Annotated[str | None, Field(max_length=200)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None


class CreateTranslationBatch(RequestModel):
    """POST /v3/video-translations/batches: bodies exactly as POST /v3/video-translations takes them; each
    output language of each body is one item of the batch (at most 100 in all)."""

    video_translations: Annotated[list[CreateTranslation], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    title: Annotated[str | None, Field(max_length=200)] = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None

    @model_validator(mode="after")
    def _expanded_cap(self) -> CreateTranslationBatch:
        if sum(len(t.output_languages) for t in self.video_translations) > MAX_BATCH_ITEMS:
            raise ValueError(f"a translation batch expands to at most {MAX_BATCH_ITEMS} items (videos x languages)")
        return self

# -- webhooks ------------------------------------------------------------------------------------
WEBHOOK_EVENTS = (
    "avatar_video.success", "avatar_video.fail", "avatar_video_gif.success", "avatar_video_gif.fail",
    "avatar_video_caption.success", "avatar_video_caption.fail", "video_translate.success",
    "video_translate.fail", "video_translate.preflight.validation_failed",
    "video_translate.preflight.download_failed", "personalized_video", "instant_avatar.success",
    "instant_avatar.fail", "photo_avatar_generation.success", "photo_avatar_generation.fail",
    "photo_avatar_train.success", "photo_avatar_train.fail", "photo_avatar_add_motion.success",
    "photo_avatar_add_motion.fail", "proofread_creation.success", "proofread_creation.fail",
    "live_avatar.success", "live_avatar.fail", "video_agent.success", "video_agent.fail",
    "hyperframes_video.success", "hyperframes_video.fail", "ai_clipping.success", "ai_clipping.fail",
    "batch.finished",
)  # fmt: skip
WebhookEvent = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]


class CreateWebhook(RequestModel):
    url: Annotated[str, Field(pattern=r"^https://", description="HTTPS URL that receives events.")]
    events: list[WebhookEvent] | None = None
    entity_id: str | None = None


class UpdateWebhook(RequestModel):
    url: Annotated[str | None, Field(pattern=r"^https://")] = None
    events: list[WebhookEvent] | None = None


# =================================================================================================
# Responses
# =================================================================================================
class Video(APIModel):
    id: str
    status: str
    title: str | None = None
    created_at: int | None = None
    completed_at: int | None = None
    duration: float | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    gif_url: str | None = None
    captioned_video_url: str | None = None
    subtitle_url: str | None = None
    video_page_url: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    output_language: str | None = None
    folder_id: str | None = None


class CreatedVideo(APIModel):
    video_id: str
    status: str | None = None
    output_format: str | None = None
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")


class StatusEntry(APIModel):
    status: str
    video_id: str | None = None
    error: dict[str, Any] | None = None


class AgentMessage(APIModel):
    role: str
    content: str
    type: str
    created_at: int | None = None
    resource_ids: list[str] | None = None


class AgentSession(APIModel):
    session_id: str
    status: str
    created_at: int
    progress: int | None = None
    video_id: str | None = None
    title: str | None = None
    messages: list[AgentMessage] = Field(default_factory=list)


class AgentSessionSummary(APIModel):
    session_id: str
    created_at: int
    title: str | None = None


class AgentReply(APIModel):
    session_id: str
    run_id: str
    title: str | None = None


class AgentStyle(APIModel):
    style_id: str
    name: str
    tags: list[str] | None = None
    aspect_ratio: str | None = None
    thumbnail_url: str | None = None
    preview_video_url: str | None = None


class UploadedAsset(APIModel):
    asset_id: str
    url: str
    mime_type: str
    size_bytes: int
    status: str | None = None


class UploadInstructions(APIModel):
    asset_id: str
    upload_url: str
    upload_headers: dict[str, Any] = Field(default_factory=dict)
    expires_in_seconds: int
    max_bytes: int
    status: str


class AssetDetail(APIModel):
    id: str
    name: str
    type: str
    owner: str | None = None
    uploaded_at: int | None = None
    url: str | None = None
    folder_id: str | None = None


class AvatarGroup(APIModel):
    id: str
    name: str
    created_at: int | None = None
    looks_count: int | None = None
    gender: str | None = None
    status: str | None = None
    consent_status: str | None = None
    default_voice_id: str | None = None
    preview_image_url: str | None = None
    preview_video_url: str | None = None
    error: dict[str, Any] | None = None


class AvatarLook(APIModel):
    id: str
    name: str
    avatar_type: str
    group_id: str | None = None
    gender: str | None = None
    status: str | None = None
    default_voice_id: str | None = None
    preferred_orientation: str | None = None
    supported_api_engines: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    preview_image_url: str | None = None
    preview_video_url: str | None = None
    error: dict[str, Any] | None = None


class CreatedAvatar(APIModel):
    avatar_group: dict[str, Any] | None = None
    avatar_item: dict[str, Any] | None = None
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")


class AvatarConsent(APIModel):
    avatar_group: dict[str, Any]
    url: str | None = None


class Voice(APIModel):
    voice_id: str
    name: str | None = None
    language: str | None = None
    gender: str | None = None
    type: str | None = None
    support_pause: bool | None = None
    support_locale: bool | None = None
    preview_audio_url: str | None = None
    status: str | None = None
    created_at: int | None = None
    failure_message: str | None = None


class DesignedVoices(APIModel):
    voices: list[Voice]
    seed: int


class Speech(APIModel):
    audio_url: str
    duration: float
    request_id: str | None = None
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")


class VoiceCloneCreated(APIModel):
    voice_clone_id: str
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")


class Lipsync(APIModel):
    id: str
    status: str
    title: str | None = None
    created_at: int | None = None
    duration: float | None = None
    video_url: str | None = None
    caption_url: str | None = None
    failure_message: str | None = None
    callback_id: str | None = None


class CreatedLipsync(APIModel):
    lipsync_id: str
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")


class CurrentUser(APIModel):
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    billing_type: str | None = None
    wallet: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    usage_based: dict[str, Any] | None = None

    def balance(self) -> tuple[str | None, float | None, float | None, str | None]:
        """(plan, credits remaining, wallet balance, currency), from whichever billing object is set."""
        plan = credits = balance = currency = None
        sub: dict[str, Any] = self.subscription or {}
        if sub:
            plan = sub.get("plan")
            pools = sub.get("credits") or {}
            remaining = [(pools.get(p) or {}).get("remaining") for p in ("premium_credits", "add_on_credits")]
            if any(r is not None for r in remaining):
                credits = float(sum(r or 0 for r in remaining))
        if self.wallet:
            balance = self.wallet.get("remaining_balance")
            currency = self.wallet.get("currency")
        if self.usage_based and self.usage_based.get("remaining_credits") is not None:
            credits = float(self.usage_based["remaining_credits"])
        return plan, credits, balance, currency


class Template(APIModel):
    id: str
    name: str
    aspect_ratio: str | None = None
    thumbnail_url: str | None = None
    created_at: int | None = None
    variables: dict[str, Any] | None = None
    scene_ids: list[str] | None = None


class V2Template(APIModel):
    template_id: str
    name: str
    aspect_ratio: str | None = None
    thumbnail_image_url: str | None = None


class Translation(APIModel):
    id: str
    status: str
    title: str | None = None
    output_language: str | None = None
    input_language: str | None = None
    video_url: str | None = None
    audio_url: str | None = None
    srt_caption_url: str | None = None
    vtt_caption_url: str | None = None
    duration: float | None = None
    failure_message: str | None = None
    created_at: int | None = None


class CreatedTranslations(APIModel):
    video_translation_ids: list[str]


class CreatedBatch(APIModel):
    """A batch create's answer (202): HeyGen names the id ``batch_id`` (``id`` as well, per the contract)."""

    batch_id: str | None = None
    id: str | None = None
    replayed: bool = Field(default=False, description="True when an earlier identical request was replayed.")

    @model_validator(mode="after")
    def _named(self) -> CreatedBatch:
        if not (self.batch_id or self.id):
            raise ValueError("no batch id")
        self.batch_id = self.batch_id or self.id
        return self

    @property
    def ident(self) -> str:
        return str(self.batch_id)


class BatchItem(APIModel):
    item_index: int
    status: str  # queued | processing | completed | failed
    video_id: str | None = None  # the video (or, in a translation batch, the translation) once it exists
    error: dict[str, Any] | None = None

    def reason(self) -> str | None:
        """Why the item failed, from its ``error`` (HeyGen's shape is loose: message, code, detail)."""
        if not self.error:
            return None
        parts = [str(self.error[k]) for k in ("code", "message") if self.error.get(k)]
        return ": ".join(parts) or json.dumps(self.error)[:300]


class BatchDetail(APIModel):
    batch_id: str
    status: str  # processing | completed | failed
    total_items: int
    counts_by_status: dict[str, int] = Field(default_factory=dict)
    created_at: int | None = None
    title: str | None = None
    items: list[BatchItem] = Field(default_factory=list)
    has_more: bool = False
    next_token: str | None = None


class WebhookEndpoint(APIModel):
    endpoint_id: str
    url: str
    status: str
    created_at: str
    events: list[str] | None = None
    secret: str | None = None


class RotatedSecret(APIModel):
    endpoint_id: str
    secret: str


class WebhookEventType(APIModel):
    event_type: str
    description: str


class WebhookEventRecord(APIModel):
    event_id: str
    event_type: str
    event_data: dict[str, Any]
    created_at: str


class Deleted(APIModel):
    id: str | None = None
    deleted: bool | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: pass ``next_token`` back to get the next one."""

    items: list[T]
    has_more: bool = False
    next_token: str | None = None
