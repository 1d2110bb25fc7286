"""Request bodies of the templates area: v3 generate and v2 template generate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from .base import (
    Open,
    tagged,
)
from .videos import (
    V2Dimension,
)


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


if TYPE_CHECKING:
    V2TemplateVariable = (
        V2TextVariable | V2ImageVariable | V2VideoVariable | V2VoiceVariable | V2AudioVariable | V2CharacterVariable
    )
else:
    V2TemplateVariable = tagged(
        V2TextVariable, V2ImageVariable, V2VideoVariable, V2VoiceVariable, V2AudioVariable, V2CharacterVariable
    )


class V2TemplateGenerate(Open):
    variables: dict[str, V2TemplateVariable]
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
