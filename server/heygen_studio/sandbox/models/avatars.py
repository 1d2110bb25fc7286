"""Request bodies of the avatars area (creation, look updates, consent)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import (
    AssetInput,
    Open,
    tagged,
)


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
