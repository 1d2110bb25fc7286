"""Multi-scene Studio videos: one scene spec, two wire formats.

HeyGen keeps the v2 Studio endpoint (``POST /v2/video/generate``) live until v3's
``type: studio`` reaches parity. ``build_v2`` and ``build_v3`` turn the same scenes into either
body; ``v3_gaps`` names, per scene, what v3 cannot express, so a fallback from v2 to v3 happens
only when nothing would be lost, and is refused with the reasons otherwise.

Per the 2026-07-23 contract a v3 ``avatar_video`` scene takes an avatar look only (a photo-avatar
look id is how a photo talks; the image-animating input is gone), and a ``video`` scene may carry
a voiceover (script + voice, or audio), so speech over a background video is expressible in v3.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .models import (
    MAX_SCRIPT_CHARS,
    AspectRatio,
    AssetRef,
    AssetUrl,
    Caption,
    CreateStudioVideoV2,
    CreateStudioVideoV3,
    Resolution,
    StudioAvatarInput,
    StudioAvatarScene,
    StudioColor,
    StudioImageScene,
    StudioVideoScene,
    V2AudioVoice,
    V2AvatarCharacter,
    V2ColorBackground,
    V2Dimension,
    V2ImageBackground,
    V2Scene,
    V2SilenceVoice,
    V2TalkingPhotoCharacter,
    V2TextVoice,
    V2VideoBackground,
    VoiceSettings,
)

HEX = r"^#[0-9A-Fa-f]{6}$"
ID_MAX = 128  # HeyGen ids (tools/fields.py says the same)
SOURCE_MAX = 2048  # a URL or an asset id
URL = r"^https?://"

# A scene that asks for an image to be animated as its presenter: HeyGen's Studio no longer takes one.
IMAGE_PRESENTER_KEYS = ("image", "photo", "talking_image")
IMAGE_PRESENTER_STEP = (
    "Studio scenes no longer animate an image. Make the photo an avatar first (create_photo_avatar, then "
    "wait_for_job), and pass its look id as avatar_id; to only show a picture, use background_image")

_LONG_EDGE = {"720p": 1280, "1080p": 1920, "4k": 3840}
_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5), "5:4": (5, 4)}


class Scene(BaseModel):
    """One Studio scene: a presenter (or none), what is said, and what is behind."""

    model_config = ConfigDict(extra="forbid")

    avatar_id: Annotated[str | None, Field(max_length=ID_MAX, description="Avatar look id (list_avatars).")] = None
    talking_photo_id: Annotated[str | None, Field(max_length=ID_MAX,
                                                  description="Photo-avatar look id as a talking photo.")] = None
    avatar_style: Annotated[Literal["normal", "circle", "closeUp"] | None, Field(description="v2 only.")] = None
    script: Annotated[str | None, Field(min_length=1, max_length=MAX_SCRIPT_CHARS,
                                        description="Exact words to speak.")] = None
    voice_id: Annotated[str | None, Field(max_length=ID_MAX, description="list_voices; default: the presenter's "
                                          "own (needed without one).")] = None
    voice_speed: Annotated[float | None, Field(ge=0.5, le=1.5)] = None
    audio: Annotated[str | None, Field(max_length=SOURCE_MAX,
                                       description="Audio to lip-sync instead of a script: URL or asset id.")] = None
    silence_s: Annotated[float | None, Field(ge=1, le=100, description="A silent scene of this length.")] = None
    background_color: Annotated[str | None, Field(max_length=7, pattern=HEX, description="#RRGGBB")] = None
    background_image: Annotated[str | None, Field(max_length=SOURCE_MAX, description="URL or asset id.")] = None
    background_video: Annotated[str | None, Field(max_length=SOURCE_MAX, description="URL or asset id.")] = None

    @model_validator(mode="before")
    @classmethod
    def _no_image_presenter(cls, data: object) -> object:
        if isinstance(data, dict) and any(k in data for k in IMAGE_PRESENTER_KEYS):
            raise ValueError(IMAGE_PRESENTER_STEP)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Scene:
        speech = [x for x in (self.script, self.audio, self.silence_s) if x]
        if len(speech) != 1:
            raise ValueError("a scene needs exactly one of script, audio or silence_s")
        if self.avatar_id and self.talking_photo_id:
            raise ValueError("a scene has one presenter: avatar_id or talking_photo_id, not both")
        backgrounds = [x for x in (self.background_color, self.background_image, self.background_video) if x]
        if len(backgrounds) > 1:
            raise ValueError("a scene has at most one background")
        return self

    @property
    def presenter(self) -> str | None:
        return self.avatar_id or self.talking_photo_id


def is_url(value: str | None) -> bool:
    return bool(value) and str(value).startswith(("http://", "https://"))


def url_or_id(value: str | None) -> tuple[str | None, str | None]:
    """Split one 'URL or asset id' argument into (url, asset_id)."""
    if not value:
        return None, None
    return (value, None) if is_url(value) else (None, value)


def dimension_for(resolution: Resolution, aspect_ratio: AspectRatio) -> V2Dimension:
    w, h = _RATIOS.get(aspect_ratio, (16, 9))
    long_edge = _LONG_EDGE[resolution]
    if w >= h:
        width, height = long_edge, long_edge * h // w
    else:
        width, height = long_edge * w // h, long_edge
    if aspect_ratio == "1:1":
        width = height = long_edge * 9 // 16
    return V2Dimension(width=width - width % 2, height=height - height % 2)


def build_v2(scenes: list[Scene], *, title: str | None, resolution: Resolution, aspect_ratio: AspectRatio,
             captions: bool, callback_url: str | None = None) -> CreateStudioVideoV2:
    inputs = []
    for s in scenes:
        character: V2AvatarCharacter | V2TalkingPhotoCharacter | None = None
        if s.avatar_id:
            character = V2AvatarCharacter(avatar_id=s.avatar_id, avatar_style=s.avatar_style)
        elif s.talking_photo_id:
            style: Literal["circle"] | None = "circle" if s.avatar_style == "circle" else None
            character = V2TalkingPhotoCharacter(talking_photo_id=s.talking_photo_id, talking_photo_style=style)
        voice: V2TextVoice | V2AudioVoice | V2SilenceVoice
        if s.script:
            voice = V2TextVoice(voice_id=s.voice_id or "", input_text=s.script, speed=s.voice_speed)
        elif s.silence_s:
            voice = V2SilenceVoice(duration=s.silence_s)
        else:
            url, asset = url_or_id(s.audio)
            voice = V2AudioVoice(audio_url=url, audio_asset_id=asset)
        background: V2ColorBackground | V2ImageBackground | V2VideoBackground | None = None
        if s.background_color:
            background = V2ColorBackground(value=s.background_color)
        elif s.background_image:
            url, asset = url_or_id(s.background_image)
            background = V2ImageBackground(url=url, image_asset_id=asset)
        elif s.background_video:
            url, asset = url_or_id(s.background_video)
            background = V2VideoBackground(url=url, video_asset_id=asset, play_style="loop")
        inputs.append(V2Scene(character=character, voice=voice, background=background))
    return CreateStudioVideoV2(video_inputs=inputs, title=title, caption=captions or None,
                               dimension=dimension_for(resolution, aspect_ratio), callback_url=callback_url)


def v3_gaps(scenes: list[Scene]) -> list[str]:
    """What v3 ``type: studio`` cannot express, one line per problem (empty: it fits)."""
    gaps = []
    for n, s in enumerate(scenes, 1):
        if s.avatar_style in ("circle", "closeUp"):
            gaps.append(f"scene {n}: avatar_style '{s.avatar_style}' (v3 has no avatar styles)")
        image_bg, video_bg = s.background_image, s.background_video
        if s.presenter:
            if image_bg or video_bg:
                gaps.append(f"scene {n}: an image/video background behind a presenter (v3 scene backgrounds "
                            "are colour only)")
            if s.silence_s:
                gaps.append(f"scene {n}: a silent presenter scene (v3 presenters need a script or audio)")
        elif not (image_bg or video_bg):
            gaps.append(f"scene {n}: no presenter and no image or video to show")
    return gaps


def _source(value: str | None) -> AssetUrl | AssetRef:
    return AssetUrl(url=value or "") if is_url(value) else AssetRef(asset_id=value or "")


def build_v3(scenes: list[Scene], *, title: str | None, resolution: Resolution, aspect_ratio: AspectRatio,
             captions: bool, callback_url: str | None = None) -> CreateStudioVideoV3:
    """The v3 body; call only when ``v3_gaps(scenes)`` is empty."""
    out: list[StudioAvatarScene | StudioImageScene | StudioVideoScene] = []
    for s in scenes:
        settings = VoiceSettings(speed=s.voice_speed) if s.voice_speed else None
        audio_url, audio_asset_id = url_or_id(s.audio)
        if s.presenter:
            bg = StudioColor(color=s.background_color) if s.background_color else None
            out.append(StudioAvatarScene(input=StudioAvatarInput(
                avatar_id=s.presenter, script=s.script, voice_id=s.voice_id, audio_url=audio_url,
                audio_asset_id=audio_asset_id, voice_settings=settings, background=bg)))
        elif s.background_image:
            out.append(StudioImageScene(
                source=_source(s.background_image), script=s.script, voice_id=s.voice_id, audio_url=audio_url,
                audio_asset_id=audio_asset_id, voice_settings=settings, duration=s.silence_s))
        else:  # a clip, narrated when the scene has a script or audio (held behind the narration)
            out.append(StudioVideoScene(
                source=_source(s.background_video), script=s.script, voice_id=s.voice_id, audio_url=audio_url,
                audio_asset_id=audio_asset_id, voice_settings=settings))
    return CreateStudioVideoV3(scenes=out, title=title, resolution=resolution, aspect_ratio=aspect_ratio,
                               caption=Caption(style="default") if captions else None, callback_url=callback_url)
