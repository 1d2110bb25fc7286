"""Asset tools: upload a local file, a URL's content or base64 data; list; delete."""

from __future__ import annotations

import base64
import binascii
import io
import os
import tempfile
from pathlib import Path
from typing import IO, Annotated, Literal
from urllib.parse import urlparse, urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.fetch import Fetched, fetch_to, fetch_trusted
from ..core.files import LocalFile
from ..core.models import MULTIPART_LIMIT_BYTES, AssetRef, AssetUrl, UploadedAsset
from ..core.transfer import upload_file
from ..workflow import catalog
from ..workflow.inputs import check_id, check_url, classify_source, confine_input
from ..workflow.outputs import AssetList, AssetOut, AssetRow, Deleted
from ..workflow.tenant import Tenant
from .common import (
    DESTRUCTIVE,
    READ_ONLY,
    WRITES,
    AppState,
    Context,
    PathRoots,
    delete,
    reports_errors,
    who,
)
from .fields import BASE64_MAX, Id, Limit, NextToken, Source

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


@reports_errors
async def upload_asset(
    ctx: Context[AppState],
    path: Annotated[Source | None, Field(description="A local file inside the allowed folders.")] = None,
    url: Annotated[Source | None, Field(description="An http(s) URL to fetch and upload.")] = None,
    base64_data: Annotated[str | None, Field(max_length=BASE64_MAX,
                                             description="File content as base64 (or a data: URI), ≤ 32 MB.")] = None,
    filename: Annotated[str | None, Field(max_length=120, description="Name for url/base64 uploads.")] = None,
    roots: PathRoots = None,
) -> AssetOut:
    """Upload an image, video, audio, PDF or SRT to HeyGen; returns an asset_id for other tools.
    The type is detected from the content; files over 32 MB use a direct upload."""
    state = who(ctx, roots=roots)
    if sum(1 for x in (path, url, base64_data) if x) != 1:
        raise ToolError("Give exactly one of path, url or base64_data.")
    if path:
        with confine_input(state, path) as local:
            return _out(await upload_file(state.client, local), local.size)
    name = Path(filename or (urlparse(url).path if url else "") or "upload").name or "upload"
    if not url:  # base64: checked before anything is written
        data = (base64_data or "").strip()
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        if len(data) * 3 // 4 > MAX_BASE64_BYTES:
            raise ToolError("base64_data is over 32 MB; save it to a file and pass path instead.")
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ToolError("base64_data is not valid base64.") from None
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


@reports_errors
async def list_assets(ctx: Context[AppState], limit: Limit = 10,
                      next_token: NextToken = None) -> AssetList:
    """Your uploaded assets (compact rows)."""
    hg = who(ctx).client
    token = catalog.unseal(next_token)
    me = await hg.account.me()
    page = await hg.assets.list(username=me.username, limit=limit, token=token)
    rows = [AssetRow(asset_id=a.id, name=a.name, type=a.type, uploaded_at=a.uploaded_at) for a in page.items]
    return AssetList(items=rows, next_token=catalog.next_token_of(page))


@reports_errors
async def delete_asset(ctx: Context[AppState],
                       asset_id: Annotated[Id, Field(description="The asset to delete.")]) -> Deleted:
    """Permanently delete an uploaded asset."""
    aid = check_id(asset_id, "asset_id")
    return await delete(who(ctx).client.assets.delete(aid), aid,
                        f"No asset {aid} (already deleted?); list_assets shows what exists.")


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=WRITES)(upload_asset)
    mcp.tool(annotations=READ_ONLY)(list_assets)
    mcp.tool(annotations=DESTRUCTIVE)(delete_asset)
