"""Templates: ``/v3/templates`` and the v2 ``/v2/templates`` (generation from variables)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .common import APIModel, RequestModel


class GenerateFromTemplate(RequestModel):
    variables: dict[str, Any]
    title: str | None = None
    caption: bool | None = None
    callback_id: str | None = None
    callback_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    folder_id: str | None = None


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
