"""Webhook tools: register HTTPS endpoints for HeyGen's signed event deliveries, list and remove them.

``add_webhook()`` without a URL registers this server's own receiver (HTTP mode's ``/webhooks/heygen`` at
HEYGEN_PUBLIC_URL) and keeps the secret it returns for that receiver, so ``wait_for_job`` wakes the moment
HeyGen reports a job's end.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.models import WEBHOOK_EVENTS, CreateWebhook
from ..core.webhooks import SecretBook
from ..settings import Settings
from ..workflow import catalog
from ..workflow.errors import delete
from ..workflow.inputs import check_id, check_url
from ..workflow.outputs import Deleted, WebhookCreated, WebhookList, WebhookRow
from .common import DESTRUCTIVE, READ_ONLY, WRITES, AppState, Context, reports_errors, who
from .fields import Id, Limit, NextToken, Source

logger = logging.getLogger(__name__)
SELF = "self"


@reports_errors
async def list_webhooks(ctx: Context[AppState], limit: Limit = 10,
                        next_token: NextToken = None) -> WebhookList:
    """Registered webhook endpoints (signed event deliveries)."""
    page = await who(ctx).client.webhooks.list(limit=limit, token=catalog.unseal(next_token))
    rows = [WebhookRow(endpoint_id=e.endpoint_id, url=e.url, status=e.status, events=e.events) for e in page.items]
    return WebhookList(items=rows, next_token=catalog.next_token_of(page))


def own_url(settings: Settings) -> str:
    """This server's receiver as HeyGen reaches it; a ToolError saying how to set it up when it cannot."""
    url = settings.webhook_url
    if url is None:
        raise ToolError(
            "This server does not know its public address: set HEYGEN_PUBLIC_URL to the https:// address where "
            "HeyGen reaches `heygen-studio serve --http` (a tunnel such as `cloudflared tunnel --url "
            "http://127.0.0.1:8000` prints one), restart the server, then call add_webhook() again; or pass "
            "url='https://…' for an endpoint of your own. Nothing was registered.")
    if urlsplit(url).scheme != "https":  # contract: CreateWebhookEndpointRequest.url is ^https://
        raise ToolError(f"HeyGen delivers only to https:// endpoints, and HEYGEN_PUBLIC_URL is {url[:80]!r}: put "
                        "HTTPS in front of the server (a tunnel or a reverse proxy), set HEYGEN_PUBLIC_URL to that "
                        "https:// address, restart, and call add_webhook() again. Nothing was registered.")
    return url


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
    state = who(ctx)
    unknown = sorted(set(events or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        raise ToolError(f"Unknown event type(s) {unknown}; known: {', '.join(WEBHOOK_EVENTS)}.")
    own = url is None or url.strip().lower() == SELF
    target = own_url(state.settings) if own else check_url(url or "", https_only=True)
    endpoint = await state.client.webhooks.create(CreateWebhook(url=target, events=events))
    created = WebhookCreated(endpoint_id=endpoint.endpoint_id, url=endpoint.url, status=endpoint.status,
                             events=endpoint.events, secret=endpoint.secret)
    if not own:
        return created
    book = state.settings.webhook_secrets_path
    if not endpoint.secret:
        created.next_step = ("HeyGen returned no secret: rotate it (POST /v3/webhooks/endpoints/{id}/rotate-secret) "
                             "and set HEYGEN_WEBHOOK_SECRET to it, or deliveries to this server are refused.")
        return created
    try:
        # Kept for this server's receiver, in the user's own 0600 file beside the job store (SecretBook).
        SecretBook(book).add(endpoint.endpoint_id, endpoint.url, endpoint.secret)
    except OSError as exc:
        created.next_step = (f"Could not keep the secret in {book} ({exc.strerror or exc}): set HEYGEN_WEBHOOK_SECRET "
                             "to the secret above for the server receiving at this url, and restart it.")
        return created
    created.secret = None  # kept for the receiver; the chat does not need it
    created.next_step = (f"This server receives these events at {target} (secret kept in {book}, readable only by "
                         "you); in HTTP mode wait_for_job now returns as soon as HeyGen reports a job's end.")
    return created


@reports_errors
async def delete_webhook(ctx: Context[AppState], endpoint_id: Annotated[Id, Field(description="From list_webhooks.")]
                         ) -> Deleted:
    """Remove a webhook endpoint."""
    state = who(ctx)
    eid = check_id(endpoint_id, "endpoint_id")
    deleted = await delete(state.client.webhooks.delete(eid), eid,
                           f"No webhook endpoint {eid}; list_webhooks shows what exists.")
    try:
        SecretBook(state.settings.webhook_secrets_path).remove(eid)  # its secret, if this server kept it
    except OSError as exc:
        logger.warning("could not forget the secret of webhook %s: %s", eid, exc.strerror or exc)
    return deleted


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_webhooks)
    mcp.tool(annotations=WRITES)(add_webhook)
    mcp.tool(annotations=DESTRUCTIVE)(delete_webhook)
