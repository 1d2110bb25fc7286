"""Request bodies of the video area: POST /v3/videos (avatar, image, cinematic, studio), its batches, and POST
/v2/video/generate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from .base import (
    AssetInput,
    Closed,
    Open,
    tagged,
)

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


if TYPE_CHECKING:
    VideoEngine = AvatarVEngine | AvatarIVEngine | AvatarIIIEngine
else:
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


if TYPE_CHECKING:
    VoiceEngineSettings = ElevenLabsSettings | FishSettings | StarfishSettings
else:
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


class AvatarVideoScene(Open):
    """The 2026-07-23 contract: the input is an avatar look only (``StudioImageInput`` is gone)."""

    type: Literal["avatar_video"]
    input: StudioAvatarInput


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
    """A clip, with an optional voiceover (at most one audio source; then the narration sets the length)."""

    type: Literal["video"]
    source: AssetInput
    playback: VideoScenePlayback | None = None
    script: str | None = None
    voice_id: str | None = None
    audio_url: str | None = None
    audio_asset_id: str | None = None
    voice_settings: VoiceSettings | None = None


class CreateVideoFromStudio(_VideoOutput):
    type: Literal["studio"]
    scenes: Annotated[
        list[tagged(AvatarVideoScene, ImageScene, VideoScene)],  # type: ignore[valid-type]
        Field(min_length=1, max_length=50),
    ]


class CreateVideoEnvelope(Open):
    body: tagged(CreateVideoFromAvatar, CreateVideoFromImage, CreateVideoFromCinematic, CreateVideoFromStudio)  # type: ignore[valid-type]


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


# -- batches ---------------------------------------------------------------------------------------
MAX_BATCH_ITEMS = 100


class CreateVideoBatch(Closed):
    """Each entry is checked as POST /v3/videos's body, one by one (routes/batches.py)."""

    videos: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    title: str | None = None
    callback_url: str | None = None
