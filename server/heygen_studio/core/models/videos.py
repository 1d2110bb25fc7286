"""Videos: ``POST /v3/videos`` (avatar, image and v3 Studio bodies), v2 ``POST /v2/video/generate``, responses."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .common import (
    MAX_SCRIPT_CHARS,
    MAX_STUDIO_SCENES,
    APIModel,
    AspectRatio,
    AssetInput,
    EngineType,
    Expressiveness,
    RequestModel,
    Resolution,
)


# -- video settings --------------------------------------------------------------------------------
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


# -- v3 Studio (type=studio) -----------------------------------------------------------------------
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


class StudioImageInput(_SpeechFields):
    type: Literal["image"] = "image"
    image: AssetInput
    expressiveness: Expressiveness | None = None
    motion_prompt: str | None = None


class StudioAvatarScene(RequestModel):
    type: Literal["avatar_video"] = "avatar_video"
    input: Annotated[StudioAvatarInput | StudioImageInput, Field(discriminator="type")]


class StudioImageScene(_SpeechFields):
    type: Literal["image"] = "image"
    source: AssetInput
    duration: Annotated[float | None, Field(gt=0, le=300)] = None


class StudioPlayback(RequestModel):
    mute: bool | None = None
    volume: Annotated[float | None, Field(ge=0, le=1)] = None


class StudioVideoScene(RequestModel):
    type: Literal["video"] = "video"
    source: AssetInput
    playback: StudioPlayback | None = None


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


# -- v2 Studio (POST /v2/video/generate, generateStudioVideoV2) ------------------------------------
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


# -- responses -------------------------------------------------------------------------------------
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
