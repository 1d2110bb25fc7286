"""Assets: ``/v3/assets`` (multipart uploads up to 32 MB, direct uploads beyond)."""

from __future__ import annotations

from ..models import AssetDetail, Deleted, Page, UploadedAsset, UploadInstructions
from ._base import Resource, parse


class Assets(Resource):
    async def upload_multipart(self, filename: str, content: bytes, mime_type: str) -> UploadedAsset:
        """POST /v3/assets (≤ 32 MB): the bytes as read once from an opened file (``core.files``)."""
        env = await self._c.http.request("POST", "/v3/assets", files={"file": (filename, content, mime_type)})
        return parse(UploadedAsset, env.data, "POST /v3/assets")

    async def create_direct_upload(self, filename: str, content_type: str, size_bytes: int,
                                   checksum_sha256: str | None = None, *, attempt: str | None = None
                                   ) -> UploadInstructions:
        """An upload slot. ``attempt`` names this upload (its Idempotency-Key, kept by retries of this request):
        a slot is for one send, and a replay of an earlier one (same name and size, within 24 h) would hand back
        a slot already used, whose upload URL then answers 404."""
        body = {"filename": filename, "content_type": content_type, "size_bytes": size_bytes,
                "checksum_sha256": checksum_sha256}
        body = {k: v for k, v in body.items() if v is not None}
        identity = None if attempt is None else {**body, "attempt": attempt}
        instructions, _ = await self._c.send("POST", "/v3/assets/direct-uploads", UploadInstructions, body,
                                             identity=identity)
        return instructions

    async def complete_direct_upload(self, asset_id: str, checksum_sha256: str | None = None) -> UploadedAsset:
        body = {"checksum_sha256": checksum_sha256} if checksum_sha256 else {}
        done, _ = await self._c.send("POST", f"/v3/assets/{asset_id}/complete", UploadedAsset, body)
        return done

    async def get(self, asset_id: str) -> AssetDetail:
        return await self._c.get(f"/v3/assets/{asset_id}", AssetDetail)

    async def list(self, *, username: str, limit: int = 20, token: str | None = None) -> Page[AssetDetail]:
        return await self._c.list("/v3/assets", AssetDetail, {"username": username, "limit": limit, "token": token})

    async def delete(self, asset_id: str) -> Deleted:
        return await self._c.delete(f"/v3/assets/{asset_id}", where="DELETE /v3/assets", fallback={"id": asset_id})
