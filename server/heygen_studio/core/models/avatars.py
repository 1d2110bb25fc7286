"""Avatars: creating photo, prompt and digital-twin avatars (``POST /v3/avatars``), consent, groups and looks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import MAX_PROMPT_AVATAR_CHARS, APIModel, AssetInput, RequestModel


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


class AvatarConsent(APIModel):
    avatar_group: dict[str, Any]
    url: str | None = None
