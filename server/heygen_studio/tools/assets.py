"""Asset tools: upload a local file, a URL's content or base64 data; list; delete."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

import httpx2
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.models import MULTIPART_LIMIT_BYTES, AssetRef, AssetUrl, UploadedAsset
from ..core.transfer import CHUNK, upload_file
from . import catalog
from .common import (
    DESTRUCTIVE,
    READ_ONLY,
    WRITES,
    AppState,
    Context,
    app,
    check_id,
    check_url,
    classify_source,
    confine_input,
    delete,
    is_private_host,
    reports_errors,
)
from .fields import BASE64_MAX, Id, Source
from .outputs import AssetList, AssetOut, AssetRow, Deleted

MAX_FETCH_BYTES = 2 * 1024**3
MAX_BASE64_BYTES = MULTIPART_LIMIT_BYTES


async def resolve_asset(state: AppState, value: str) -> AssetUrl | AssetRef:
    """A file argument as HeyGen takes it: a URL as is, a local path uploaded first, an asset id checked."""
    source = classify_source(value)
    if source == "url":
        return AssetUrl(url=value)
    if source == "path":
        uploaded = await upload_file(state.client, confine_input(state.settings, value))
        return AssetRef(asset_id=uploaded.asset_id)
    return AssetRef(asset_id=check_id(value, "asset id"))


async def _fetch_to(state: AppState, url: str, dest: Path) -> None:
    host = urlparse(url).hostname or ""
    if is_private_host(host) and not state.settings.heygen_sandbox:
        raise ToolError(f"Refusing to fetch {host}: a private or local address. Give a public URL or a local path.")
    http = state.client.http.client
    try:
        async with http.stream("GET", url, timeout=httpx2.Timeout(120.0, connect=10.0)) as resp:
            if resp.status_code != 200:
                raise ToolError(f"Fetching {url[:80]} gave HTTP {resp.status_code}; check the URL is a direct, "
                                "public download link.")
            length = int(resp.headers.get("content-length") or 0)
            if length > MAX_FETCH_BYTES:
                raise ToolError(f"{url[:80]} is {length} bytes; the limit is {MAX_FETCH_BYTES}.")
            size = 0
            with dest.open("wb") as fh:
                async for chunk in resp.aiter_bytes(CHUNK):
                    size += len(chunk)
                    if size > MAX_FETCH_BYTES:
                        raise ToolError(f"{url[:80]} is larger than {MAX_FETCH_BYTES} bytes.")
                    fh.write(chunk)
    except httpx2.HTTPError as exc:
        raise ToolError(f"Could not fetch {url[:80]} ({type(exc).__name__}); check the URL.") from None


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
) -> AssetOut:
    """Upload an image, video, audio, PDF or SRT to HeyGen; returns an asset_id for other tools.
    The type is detected from the content; files over 32 MB use a direct upload."""
    state = app(ctx)
    if sum(1 for x in (path, url, base64_data) if x) != 1:
        raise ToolError("Give exactly one of path, url or base64_data.")
    if path:
        local = confine_input(state.settings, path)
        return _out(await upload_file(state.client, local), local.stat().st_size)
    name = Path(filename or (urlparse(url).path if url else "") or "upload").name or "upload"
    state.settings.state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state.settings.state_dir) as tmp:
        dest = Path(tmp) / name
        if url:
            await _fetch_to(state, check_url(url), dest)
        else:
            data = (base64_data or "").strip()
            if data.startswith("data:") and "," in data:
                data = data.split(",", 1)[1]
            if len(data) * 3 // 4 > MAX_BASE64_BYTES:
                raise ToolError("base64_data is over 32 MB; save it to a file and pass path instead.")
            try:
                dest.write_bytes(base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError):
                raise ToolError("base64_data is not valid base64.") from None
        return _out(await upload_file(state.client, dest), dest.stat().st_size)


@reports_errors
async def list_assets(ctx: Context[AppState], limit: catalog.Limit = 10,
                      next_token: catalog.NextToken = None) -> AssetList:
    """Your uploaded assets (compact rows)."""
    hg = app(ctx).client
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
    return await delete(app(ctx).client.assets.delete(aid), aid,
                        f"No asset {aid} (already deleted?); list_assets shows what exists.")


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=WRITES)(upload_asset)
    mcp.tool(annotations=READ_ONLY)(list_assets)
    mcp.tool(annotations=DESTRUCTIVE)(delete_asset)
