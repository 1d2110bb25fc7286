"""Request bodies of the assets area (direct uploads)."""

from __future__ import annotations

from .base import (
    Open,
)


# -- assets ----------------------------------------------------------------------------------------
class CreateAssetUpload(Open):
    filename: str
    content_type: str
    size_bytes: int
    checksum_sha256: str | None = None


class CompleteAssetUpload(Open):
    checksum_sha256: str | None = None
