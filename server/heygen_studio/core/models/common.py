"""What every area shares: HeyGen's documented limits, the request/response bases, file inputs, pages."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# HeyGen's documented bounds, kept in one place
MAX_SCRIPT_CHARS = 5000  # v3 text-to-speech / script limit per scene
MAX_AGENT_PROMPT_CHARS = 10000
MAX_AGENT_FILES = 20
MAX_STUDIO_SCENES = 50
MAX_PROMPT_AVATAR_CHARS = 1000
MULTIPART_LIMIT_BYTES = 32 * 1024 * 1024  # POST /v3/assets (uploadAsset); larger files use direct uploads

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


class Deleted(APIModel):
    id: str | None = None
    deleted: bool | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: pass ``next_token`` back to get the next one."""

    items: list[T]
    has_more: bool = False
    next_token: str | None = None
