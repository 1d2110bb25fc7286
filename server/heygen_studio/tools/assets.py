"""Asset tools: upload a local file, a URL's content or base64 data; list; delete.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.assets``.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from ..workflow import assets as assets_flow
from ..workflow.outputs import AssetList, AssetOut, Deleted
from .common import (
    DESTRUCTIVE,
    READ_ONLY,
    WRITES,
    AppState,
    Context,
    PathRoots,
    reports_errors,
    who,
)
from .fields import BASE64_MAX, Id, Limit, NextToken, Source


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
    return await assets_flow.upload_asset(who(ctx, roots=roots), path=path, url=url, base64_data=base64_data,
                                          filename=filename)


@reports_errors
async def list_assets(ctx: Context[AppState], limit: Limit = 10,
                      next_token: NextToken = None) -> AssetList:
    """Your uploaded assets (compact rows)."""
    return await assets_flow.list_assets(who(ctx), limit=limit, next_token=next_token)


@reports_errors
async def delete_asset(ctx: Context[AppState],
                       asset_id: Annotated[Id, Field(description="The asset to delete.")]) -> Deleted:
    """Permanently delete an uploaded asset."""
    return await assets_flow.delete_asset(who(ctx), asset_id=asset_id)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=WRITES)(upload_asset)
    mcp.tool(annotations=READ_ONLY)(list_assets)
    mcp.tool(annotations=DESTRUCTIVE)(delete_asset)
