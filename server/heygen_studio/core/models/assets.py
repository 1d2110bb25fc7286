"""Assets: uploads (``POST /v3/assets``, direct uploads) and asset listings."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import APIModel


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
