"""Assets (v3): multipart upload (streamed, ≤ 32 MB), presigned direct uploads, list/get/delete.

Uploads are read chunk by chunk: the sandbox counts the bytes, hashes them (SHA-256) and keeps the first
64 bytes (for MIME sniffing from magic numbers). The bytes of images and audio up to ``kept.KEEP_BYTES`` are
kept too (``kept.py``), so renders show and play them and the asset's media URL serves them; anything else
(a video, a large file) streams through in flat memory, and its media URL serves the sample file of its kind.
"""

from __future__ import annotations

import hashlib
import os
import re

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..errors import ApiError, invalid_parameter, not_found, validation_error
from ..kept import KEEP_BYTES, worth_keeping
from ..media import forbidden, sniff_mime
from ..models.assets import CompleteAssetUpload, CreateAssetUpload
from ..models.base import parse_body, parse_model
from ..records import Asset
from ..state import SandboxState
from ..views import asset_detail, asset_url
from ..web import base_url, ok, or_404, paged, state_of

MULTIPART_LIMIT = 32 * 1024 * 1024
DIRECT_UPLOAD_LIMIT = 5 * 1024 * 1024 * 1024
HEAD_BYTES = 64
ACCEPTED_KINDS = ("image", "video", "audio", "pdf", "srt")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class ByteSink:
    """Counts and hashes a stream, keeping its first 64 bytes, and all of it while it is an image or audio
    (sniffed from those first bytes) of at most ``KEEP_BYTES``."""

    def __init__(self, limit: int | None = None) -> None:
        self.size = 0
        self.sha = hashlib.sha256()
        self.head = bytearray()
        self.limit = limit
        self._body: bytearray | None = bytearray()  # None once it is not worth keeping

    def write(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise ApiError(
                413, "payload_too_large", f"File exceeds {self.limit // (1024 * 1024)} MB.", param="file"
            )
        self.sha.update(data)
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(data[: HEAD_BYTES - len(self.head)])
        if self._body is not None:
            known = len(self.head) >= HEAD_BYTES
            if self.size > KEEP_BYTES or (known and not worth_keeping(sniff_mime(bytes(self.head)), 1)):
                self._body = None
            else:
                self._body += data

    def kept(self) -> bytes | None:
        """All the bytes, when they are an image or audio worth keeping (``kept.py``)."""
        if self._body is None or not worth_keeping(sniff_mime(bytes(self.head)), self.size):
            return None
        return bytes(self._body)


class _FilePart:
    """Callbacks for python-multipart: routes the ``file`` part's bytes into a ``ByteSink``."""

    def __init__(self, limit: int) -> None:
        self.sink = ByteSink(limit)
        self.found = False
        self.filename: str | None = None
        self.content_type: str | None = None
        self._headers: dict[str, str] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._is_file = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._is_file = False

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        if options.get(b"name") == b"file" and not self.found:
            self.found = self._is_file = True
            raw_name = options.get(b"filename")
            self.filename = raw_name.decode("utf-8", "replace") if raw_name else None
            self.content_type = self._headers.get("content-type")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.sink.write(memoryview(data)[start:end])


def _mime_or_400(head: bytes, param: str) -> str:
    mime = sniff_mime(head)
    kind = (mime or "").split("/")[0]
    if mime is None or (
        kind not in ("image", "video", "audio") and mime not in ("application/pdf", "application/x-subrip")
    ):
        raise invalid_parameter(
            "Unsupported file type: upload an image (PNG/JPEG), video (MP4/WebM), "
            "audio (MP3/WAV), PDF or SRT",
            param
        )
    return mime


async def upload_asset(request: Request) -> Response:
    state = state_of(request)
    content_type = request.headers.get("content-type", "")
    media, options = parse_options_header(content_type)
    if media != b"multipart/form-data" or b"boundary" not in options:
        raise validation_error("Send the file as multipart/form-data (field 'file')", "file")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MULTIPART_LIMIT + 64 * 1024:
        raise ApiError(413, "payload_too_large", "File exceeds 32 MB.", param="file")
    part = _FilePart(MULTIPART_LIMIT)
    parser = MultipartParser(options[b"boundary"], part.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise validation_error("Malformed multipart body", "file") from None
    if not part.found:
        raise validation_error("Missing required multipart field 'file'", "file")
    if part.sink.size == 0:
        raise validation_error("The uploaded file is empty", "file")
    mime = _mime_or_400(bytes(part.sink.head), "file")
    kept = part.sink.kept()
    if kept is not None:
        state.files.put(kept)
    asset = Asset(
        id=state.new_id("asset"),
        name=os.path.basename(part.filename or "upload"),
        owner=state.config.username,
        created_at=state.now(),
        status="completed",
        mime_type=mime,
        size_bytes=part.sink.size,
        sha256=part.sink.sha.hexdigest(),
        head=bytes(part.sink.head),
    )
    state.assets[asset.id] = asset
    return ok(
        {
            "asset_id": asset.id,
            "url": asset_url(state, asset, base_url(request)),
            "mime_type": asset.mime_type,
            "size_bytes": asset.size_bytes,
        }
    )


async def create_direct_upload(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateAssetUpload, await request.body())
    if body.size_bytes <= 0:
        raise validation_error("size_bytes must be positive", "size_bytes")
    if body.size_bytes > DIRECT_UPLOAD_LIMIT:
        raise ApiError(413, "payload_too_large", "Direct uploads are limited to 5 GB.", param="size_bytes")
    if "/" not in body.content_type:
        raise validation_error("content_type must be a MIME type", "content_type")
    if body.checksum_sha256 is not None and not _SHA256.match(body.checksum_sha256):
        raise validation_error("checksum_sha256 must be 64 hex characters", "checksum_sha256")
    asset = Asset(
        id=state.new_id("asset"),
        name=os.path.basename(body.filename) or "upload",
        owner=state.config.username,
        created_at=state.now(),
        status="pending_upload",
        declared_content_type=body.content_type,
        declared_size=body.size_bytes,
        declared_checksum=body.checksum_sha256.lower() if body.checksum_sha256 else None,
    )
    state.assets[asset.id] = asset
    return ok(
        {
            "asset_id": asset.id,
            "upload_url": state.upload_url(base_url(request), asset.id),
            "upload_headers": {"Content-Type": body.content_type},
            "expires_in_seconds": int(state.config.upload_url_ttl),
            "max_bytes": body.size_bytes,
            "status": "pending_upload",
        }
    )


async def put_upload(request: Request) -> Response:
    """The presigned upload URL (stands in for S3): streams the body, 1 GiB in flat memory."""
    state = state_of(request)
    asset_id = request.path_params["asset_id"]
    reason = state.upload_signer.check(
        request.url.path,
        request.query_params.get("expires"),
        request.query_params.get("signature"),
        state.now(),
    )
    if reason is not None:
        return forbidden(reason)
    asset = state.assets.get(asset_id)
    if asset is None or asset.status == "completed":
        return PlainTextResponse("404 Not Found: no pending upload for this URL\n", status_code=404)
    limit = asset.declared_size
    sink = ByteSink()
    async for chunk in request.stream():
        if not chunk:
            continue
        sink.write(chunk)
        if limit is not None and sink.size > limit:
            return PlainTextResponse(
                f"400 EntityTooLarge: body exceeds the signed size of {limit} bytes\n", status_code=400
            )
    kept = sink.kept()
    if kept is not None:
        state.files.put(kept)
    asset.size_bytes = sink.size
    asset.sha256 = sink.sha.hexdigest()
    asset.head = bytes(sink.head)
    asset.mime_type = sniff_mime(asset.head) or asset.declared_content_type or "application/octet-stream"
    asset.status = "uploaded"
    return Response(b"", status_code=200, headers={"ETag": f'"{asset.sha256[:32]}"'})


async def complete_upload(request: Request) -> Response:
    state = state_of(request)
    asset_id = request.path_params["asset_id"]
    asset = or_404(state.assets.get(asset_id), "Asset", asset_id)
    body = parse_model(CompleteAssetUpload, await request.body(), required=False)
    if asset.status == "pending_upload":
        raise ApiError(
            400, "asset_not_available", "No bytes were uploaded to the upload_url yet", param="asset_id"
        )
    if asset.status == "uploaded":
        wanted = [c.lower() for c in (asset.declared_checksum, body.checksum_sha256 if body else None) if c]
        if any(c != asset.sha256 for c in wanted):
            raise validation_error("checksum_sha256 does not match the uploaded bytes", "checksum_sha256")
        if asset.declared_size is not None and asset.size_bytes != asset.declared_size:
            raise validation_error(
                f"Uploaded {asset.size_bytes} bytes but size_bytes was {asset.declared_size}",
                "size_bytes"
            )
        asset.mime_type = _mime_or_400(asset.head, "asset_id")
        asset.status = "completed"
    return ok(
        {
            "asset_id": asset.id,
            "url": asset_url(state, asset, base_url(request)),
            "mime_type": asset.mime_type,
            "size_bytes": asset.size_bytes,
            "status": "completed",
        }
    )


def _asset(state: SandboxState, asset_id: str) -> Asset:
    asset = state.assets.get(asset_id)
    if asset is None or asset.status != "completed":
        raise not_found("Asset", asset_id)
    return asset


async def get_asset(request: Request) -> Response:
    state = state_of(request)
    asset = _asset(state, request.path_params["asset_id"])
    return ok(asset_detail(state, asset, base_url(request)))


async def list_assets(request: Request) -> Response:
    state = state_of(request)
    username = request.query_params.get("username")
    if not username:
        raise validation_error("Missing required query parameter 'username'", "username")
    folder = request.query_params.get("folder_id")
    assets = [
        a
        for a in reversed(state.assets.values())
        if a.status == "completed"
        and a.owner == username
        and (folder is None or (a.folder_id or "") == folder)
    ]
    base = base_url(request)
    return paged(request, assets, lambda a: asset_detail(state, a, base), default=20, maximum=100)


async def delete_asset(request: Request) -> Response:
    state = state_of(request)
    asset_id = request.path_params["asset_id"]
    if asset_id not in state.assets:
        raise not_found("Asset", asset_id)
    del state.assets[asset_id]
    return ok({"id": asset_id})


routes = [
    Route("/v3/assets", upload_asset, methods=["POST"]),
    Route("/v3/assets", list_assets, methods=["GET"]),
    Route("/v3/assets/direct-uploads", create_direct_upload, methods=["POST"]),
    Route("/v3/assets/{asset_id}", get_asset, methods=["GET"]),
    Route("/v3/assets/{asset_id}", delete_asset, methods=["DELETE"]),
    Route("/v3/assets/{asset_id}/complete", complete_upload, methods=["POST"]),
    Route("/_uploads/{asset_id}", put_upload, methods=["PUT"]),
]
