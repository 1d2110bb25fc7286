"""Asset: upload a local file, a URL's content or base64 data; list; delete."""

from __future__ import annotations

import base64
import binascii
import io
import os
import tempfile
from pathlib import Path
from typing import IO, Literal
from urllib.parse import urlparse, urlsplit

import anyio

from ..core.fetch import Fetched, fetch_to, fetch_trusted
from ..core.files import LocalFile
from ..core.models import MULTIPART_LIMIT_BYTES, AssetRef, AssetUrl, UploadedAsset
from ..core.transfer import upload_file
from . import catalog
from .errors import Refused, delete
from .inputs import check_id, check_url, classify_source, confine_input
from .outputs import AssetList, AssetOut, AssetRow, Deleted
from .tenant import Tenant

MAX_FETCH_BYTES = 2 * 1024**3
MAX_BASE64_BYTES = MULTIPART_LIMIT_BYTES


async def resolve_asset(state: Tenant, value: str) -> AssetUrl | AssetRef:
    """A file argument as HeyGen takes it: a URL as is, a local path uploaded first, an asset id checked.

    A path is read from the folders the person may read (``Tenant.allowed_folders``: the client's roots too)."""
    source = classify_source(value)
    if source == "url":
        return AssetUrl(url=value)
    if source == "path":
        with confine_input(state, value) as local:
            uploaded = await upload_file(state.client, local)
        return AssetRef(asset_id=uploaded.asset_id)
    return AssetRef(asset_id=check_id(value, "asset id"))


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


async def fetch_url(state: Tenant, url: str, sink: IO[bytes]) -> Fetched:
    """Fetch a URL a tool call named into ``sink`` (``core.fetch``: every hop's addresses checked, one
    deadline, a size cap). With HEYGEN_SANDBOX=1 the sandbox's own media URLs are fetched through its
    in-process transport; every other URL, there too, goes through the checks."""
    s = state.settings
    transport = state.transport
    if s.heygen_sandbox and transport is not None and _same_origin(url, state.wired.base_url):
        return await fetch_trusted(url, sink, transport=transport, max_bytes=MAX_FETCH_BYTES,
                                   deadline_s=s.heygen_fetch_timeout)
    return await fetch_to(url, sink, max_bytes=MAX_FETCH_BYTES, deadline_s=s.heygen_fetch_timeout,
                          allow_private=s.heygen_allow_private_urls, allowed_hosts=s.heygen_allowed_url_hosts)


async def media_seconds(state: Tenant, url: str) -> float | None:
    """How long the video at ``url`` lasts, read from a few of its bytes through the same checked fetch as
    ``upload_asset(url=…)`` (``core.media_length``); None when it cannot be told (not an MP4, a private or
    unreachable address, a slow server: a few seconds at most are spent)."""
    from ..core.fetch import FetchFailed, URLRefused
    from ..core.media_length import mp4_seconds

    s = state.settings
    transport = state.transport
    trusted = s.heygen_sandbox and transport is not None and _same_origin(url, state.wired.base_url)

    async def read(offset: int, length: int) -> bytes | None:
        sink = io.BytesIO()
        if trusted and transport is not None:
            got = await fetch_trusted(url, sink, transport=transport, max_bytes=length, deadline_s=PROBE_S,
                                      span=(offset, length))
        else:
            got = await fetch_to(url, sink, max_bytes=length, deadline_s=PROBE_S, span=(offset, length),
                                 allow_private=s.heygen_allow_private_urls,
                                 allowed_hosts=s.heygen_allowed_url_hosts)
        if offset and not got.ranged:
            return None  # the server sends the whole file each time: only its start could be read
        return sink.getvalue()

    try:
        with anyio.fail_after(PROBE_S * 2):
            return await mp4_seconds(read)
    except (FetchFailed, URLRefused, TimeoutError):
        return None


PROBE_S = 5.0


def _out(asset: UploadedAsset, size: int) -> AssetOut:
    method: Literal["multipart", "direct"] = "multipart" if size <= MULTIPART_LIMIT_BYTES else "direct"
    return AssetOut(asset_id=asset.asset_id, mime_type=asset.mime_type, size_bytes=asset.size_bytes,
                    method=method, url=asset.url)


async def upload_asset(
    state: Tenant,
    *,
    path: str | None = None,
    url: str | None = None,
    base64_data: str | None = None,
    filename: str | None = None,
) -> AssetOut:
    """Upload an image, video, audio, PDF or SRT to HeyGen; returns an asset_id for other tools.
    The type is detected from the content; files over 32 MB use a direct upload."""
    if sum(1 for x in (path, url, base64_data) if x) != 1:
        raise Refused("Give exactly one of path, url or base64_data.")
    if path:
        with confine_input(state, path) as local:
            return _out(await upload_file(state.client, local), local.size)
    name = Path(filename or (urlparse(url).path if url else "") or "upload").name or "upload"
    if not url:  # base64: checked before anything is written
        data = (base64_data or "").strip()
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        if len(data) * 3 // 4 > MAX_BASE64_BYTES:
            raise Refused("base64_data is over 32 MB; save it to a file and pass path instead.")
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("base64_data is not valid base64.") from None
    # An unnamed temporary file (O_TMPFILE where the OS has it) beside the output folder, on the same disk:
    # nothing can be planted under its name, and it vanishes when closed.
    state.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=state.settings.scratch_dir) as sink:
        if url:
            await fetch_url(state, check_url(url), sink)
        else:
            sink.write(content)
        sink.flush()
        with LocalFile.adopt(os.dup(sink.fileno()), Path(name)) as local:
            return _out(await upload_file(state.client, local), local.size)


async def list_assets(state: Tenant, *, limit: int = 10, next_token: str | None = None) -> AssetList:
    """Your uploaded assets (compact rows)."""
    hg = state.client
    token = catalog.unseal(next_token)
    me = await hg.account.me()
    page = await hg.assets.list(username=me.username, limit=limit, token=token)
    rows = [AssetRow(asset_id=a.id, name=a.name, type=a.type, uploaded_at=a.uploaded_at) for a in page.items]
    return AssetList(items=rows, next_token=catalog.next_token_of(page))


async def delete_asset(state: Tenant, *, asset_id: str) -> Deleted:
    """Permanently delete an uploaded asset."""
    aid = check_id(asset_id, "asset_id")
    return await delete(state.client.assets.delete(aid), aid,
                        f"No asset {aid} (already deleted?); list_assets shows what exists.")
