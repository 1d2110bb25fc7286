"""Webhook tools: register HTTPS endpoints for HeyGen's signed event deliveries, list and remove them."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.models import WEBHOOK_EVENTS, CreateWebhook
from . import catalog
from .common import DESTRUCTIVE, READ_ONLY, WRITES, AppState, Context, app, check_id, check_url, delete, reports_errors
from .fields import Id, Source
from .outputs import Deleted, WebhookCreated, WebhookList, WebhookRow


@reports_errors
async def list_webhooks(ctx: Context[AppState], limit: catalog.Limit = 10,
                        next_token: catalog.NextToken = None) -> WebhookList:
    """Registered webhook endpoints (signed event deliveries)."""
    page = await app(ctx).client.webhooks.list(limit=limit, token=catalog.unseal(next_token))
    rows = [WebhookRow(endpoint_id=e.endpoint_id, url=e.url, status=e.status, events=e.events) for e in page.items]
    return WebhookList(items=rows, next_token=catalog.next_token_of(page))


@reports_errors
async def add_webhook(
    ctx: Context[AppState],
    url: Annotated[Source, Field(description="Your HTTPS endpoint.")],
    events: Annotated[list[Annotated[str, Field(max_length=64)]] | None,
                      Field(max_length=30, description="Event types such as 'avatar_video.success'; default all.")
                      ] = None,
) -> WebhookCreated:
    """Register an HTTPS endpoint for HeyGen events; returns the signing secret once."""
    unknown = sorted(set(events or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        raise ToolError(f"Unknown event type(s) {unknown}; known: {', '.join(WEBHOOK_EVENTS)}.")
    endpoint = await app(ctx).client.webhooks.create(CreateWebhook(url=check_url(url, https_only=True),
                                                                   events=events))
    return WebhookCreated(endpoint_id=endpoint.endpoint_id, url=endpoint.url, status=endpoint.status,
                          events=endpoint.events, secret=endpoint.secret)


@reports_errors
async def delete_webhook(ctx: Context[AppState], endpoint_id: Annotated[Id, Field(description="From list_webhooks.")]
                         ) -> Deleted:
    """Remove a webhook endpoint."""
    eid = check_id(endpoint_id, "endpoint_id")
    return await delete(app(ctx).client.webhooks.delete(eid), eid,
                        f"No webhook endpoint {eid}; list_webhooks shows what exists.")


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_webhooks)
    mcp.tool(annotations=WRITES)(add_webhook)
    mcp.tool(annotations=DESTRUCTIVE)(delete_webhook)
