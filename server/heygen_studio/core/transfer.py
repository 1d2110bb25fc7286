"""Streaming uploads and downloads.

* ``upload_file``: sniffs the MIME type from the content, sends files up to 32 MB as multipart
  (``POST /v3/assets``) and larger ones through a direct upload (create → PUT to the presigned
  URL → complete), streaming from disk in 1 MiB chunks with a running SHA-256: a 1 GiB file is
  never held in memory.
* ``download``: streams to ``<dest>.part``, resumes a partial file with ``Range``, asks for a
  fresh URL once when the presigned one has expired, verifies the size, then renames into place.

Neither sends the API key: media and presigned upload URLs belong to other hosts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2

from .client import HeyGenClient
from .errors import APIConnectionError, HeyGenError, InputError, NotFoundError
from .mime import SNIFF_BYTES, SUPPORTED, sniff
from .models import MULTIPART_LIMIT_BYTES, UploadedAsset

CHUNK = 1 << 20


def detect_mime(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    mime = sniff(head)
    if mime is None or mime not in SUPPORTED:
        raise InputError(
            f"{path.name}: {'unrecognised' if mime is None else mime} content; HeyGen accepts PNG, JPEG, MP4, "
            "WebM, MP3, WAV, PDF and SRT files"
        )
    return mime


async def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    async with await anyio.open_file(path, "rb") as fh:
        while chunk := await fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def upload_file(client: HeyGenClient, path: Path, *, multipart_limit: int = MULTIPART_LIMIT_BYTES
                      ) -> UploadedAsset:
    """Upload a local file as a HeyGen asset, choosing the upload path by size.

    The same content is uploaded once: with a job store, a file whose SHA-256 was uploaded before
    reuses that asset (if HeyGen still has it). Besides saving the upload, this keeps a paid create
    that embeds the file byte-identical when it is retried, so its Idempotency-Key replays the job.
    """
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty")
    mime = detect_mime(path)
    sha = await file_sha256(path)
    key = f"asset:{sha}:{size}"
    jobs = client.jobs
    if jobs is not None and (known := jobs.find(key)) is not None and known.job_id:
        try:
            detail = await client.assets.get(known.job_id)
        except NotFoundError:
            pass  # deleted since: upload it again
        else:
            return UploadedAsset(asset_id=detail.id, url=detail.url or "", mime_type=mime, size_bytes=size,
                                 status="reused")
    if size <= multipart_limit:
        asset = await client.assets.upload_multipart(path, mime)
    else:
        asset = await _direct_upload(client, path, mime, size, sha)
    client.remember("asset", asset.asset_id, key=key, title=path.name)
    return asset


async def _direct_upload(client: HeyGenClient, path: Path, mime: str, size: int, sha: str) -> UploadedAsset:
    instructions = await client.assets.create_direct_upload(path.name, mime, size, checksum_sha256=sha)
    if size > instructions.max_bytes:
        raise InputError(f"{path.name} is {size} bytes; HeyGen accepts at most {instructions.max_bytes}")

    async def body() -> AsyncIterator[bytes]:
        async with await anyio.open_file(path, "rb") as fh:
            while chunk := await fh.read(CHUNK):
                yield chunk

    headers = {str(k): str(v) for k, v in instructions.upload_headers.items()}
    headers.setdefault("Content-Type", mime)
    headers["Content-Length"] = str(size)
    try:
        response = await client.http.client.put(instructions.upload_url, content=body(), headers=headers,
                                                timeout=httpx2.Timeout(600.0, connect=10.0))
    except httpx2.TransportError as exc:
        raise APIConnectionError(f"upload of {path.name} failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise HeyGenError(
            f"the presigned upload of {path.name} was refused ({response.status_code})",
            hint="The upload URL may have expired; call upload_asset again.",
        )
    return await client.assets.complete_direct_upload(instructions.asset_id, sha)


@dataclass
class DownloadResult:
    path: Path
    size: int
    resumed_from: int = 0
    refreshed_url: bool = False


UrlRefresher = Callable[[], Awaitable[str]]


async def download(
    http: httpx2.AsyncClient,
    url: str,
    dest: Path,
    *,
    refresh_url: UrlRefresher | None = None,
    expected_size: int | None = None,
) -> DownloadResult:
    """Stream ``url`` to ``dest``; resume ``dest.part``; refresh an expired URL once."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    refreshed = False
    for _ in range(3):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            async with http.stream("GET", url, headers=headers, timeout=httpx2.Timeout(120.0, connect=10.0)) as resp:
                if resp.status_code in (401, 403) and refresh_url is not None and not refreshed:
                    url, refreshed = await refresh_url(), True
                    continue
                if resp.status_code == 416 and offset:
                    part.unlink()  # the partial file is longer than the media: start over
                    continue
                if resp.status_code not in (200, 206):
                    raise HeyGenError(
                        f"download failed with HTTP {resp.status_code}",
                        hint="The media URL may have expired; call get_video for a fresh one and retry.",
                    )
                total = _total_size(resp, offset)
                mode = "ab" if resp.status_code == 206 else "wb"
                resumed_from = offset if resp.status_code == 206 else 0
                with part.open(mode) as fh:
                    async for chunk in resp.aiter_bytes(CHUNK):
                        fh.write(chunk)
        except httpx2.TransportError as exc:
            raise APIConnectionError(
                f"download interrupted ({type(exc).__name__}); the partial file is kept and the next call resumes it"
            ) from None
        size = part.stat().st_size
        want = expected_size or total
        if want is not None and size != want:
            raise HeyGenError(
                f"downloaded {size} bytes but expected {want}",
                hint="Call download_video again: it resumes from the partial file.",
            )
        os.replace(part, dest)
        return DownloadResult(path=dest, size=size, resumed_from=resumed_from, refreshed_url=refreshed)
    raise HeyGenError("download failed: the media URL kept being refused", hint="Call get_video, then retry.")


def _total_size(resp: httpx2.Response, offset: int) -> int | None:
    content_range = resp.headers.get("content-range")
    if resp.status_code == 206 and content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = resp.headers.get("content-length")
    if length and length.isdigit():
        return int(length) + (offset if resp.status_code == 206 else 0)
    return None
