"""Webhook tools: register HTTPS endpoints for HeyGen's signed event deliveries, list and remove them.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.webhooks``.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from ..workflow import webhooks as webhooks_flow
from ..workflow.outputs import Deleted, WebhookCreated, WebhookList
from .common import DESTRUCTIVE, READ_ONLY, WRITES, AppState, Context, reports_errors, who
from .fields import Id, Limit, NextToken, Source


@reports_errors
async def list_webhooks(ctx: Context[AppState], limit: Limit = 10,
                        next_token: NextToken = None) -> WebhookList:
    """Registered webhook endpoints (signed event deliveries)."""
    return await webhooks_flow.list_webhooks(who(ctx), limit=limit, next_token=next_token)


@reports_errors
async def add_webhook(
    ctx: Context[AppState],
    url: Annotated[Source | None, Field(description="Your HTTPS endpoint; omit (or 'self') for this server's own "
                                        "receiver (HTTP mode at HEYGEN_PUBLIC_URL).")] = None,
    events: Annotated[list[Annotated[str, Field(max_length=64)]] | None,
                      Field(max_length=30, description="Event types such as 'avatar_video.success'; default all.")
                      ] = None,
) -> WebhookCreated:
    """Register an HTTPS endpoint for HeyGen events; returns the signing secret once. Without a url this server
    receives them itself (wait_for_job then returns the moment a job ends)."""
    return await webhooks_flow.add_webhook(who(ctx), url=url, events=events)


@reports_errors
async def delete_webhook(ctx: Context[AppState], endpoint_id: Annotated[Id, Field(description="From list_webhooks.")]
                         ) -> Deleted:
    """Remove a webhook endpoint."""
    return await webhooks_flow.delete_webhook(who(ctx), endpoint_id=endpoint_id)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_webhooks)
    mcp.tool(annotations=WRITES)(add_webhook)
    mcp.tool(annotations=DESTRUCTIVE)(delete_webhook)
