"""Webhook: register HTTPS endpoints for HeyGen's signed event deliveries, list and remove them.

``add_webhook()`` without a URL registers this server's own receiver (HTTP mode's ``/webhooks/heygen`` at
HEYGEN_PUBLIC_URL) and keeps the secret it returns for that receiver, so ``wait_for_job`` wakes the moment
HeyGen reports a job's end.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field

from ..core.backends import open_store
from ..core.errors import HeyGenError
from ..core.models import WEBHOOK_EVENTS, CreateWebhook
from ..core.webhooks import SecretKeeper, SecretsKeyError
from ..settings import Settings
from . import catalog
from .errors import Refused, delete
from .inputs import check_id, check_url
from .outputs import Deleted, WebhookCreated, WebhookList, WebhookRow
from .tenant import Tenant

logger = logging.getLogger(__name__)
SELF = "self"


def secret_keeper(settings: Settings) -> SecretKeeper:
    """Where this server keeps its own endpoints' secrets: the file beside the SQLite store, or (with
    HEYGEN_STORE_URL) the database every replica shares, encrypted with HEYGEN_SECRET_KEY."""
    key = settings.heygen_secret_key.get_secret_value() if settings.heygen_secret_key else None
    return open_store(settings).webhook_secrets(settings.webhook_secrets_path, key)


def own_url(settings: Settings) -> str:
    """This server's receiver as HeyGen reaches it; a ToolError saying how to set it up when it cannot."""
    url = settings.webhook_url
    if url is None:
        raise Refused(
            "This server does not know its public address: set HEYGEN_PUBLIC_URL to the https:// address where "
            "HeyGen reaches `heygen-studio serve --http` (a tunnel such as `cloudflared tunnel --url "
            "http://127.0.0.1:8000` prints one), restart the server, then call add_webhook() again; or pass "
            "url='https://…' for an endpoint of your own. Nothing was registered.")
    if urlsplit(url).scheme != "https":  # contract: CreateWebhookEndpointRequest.url is ^https://
        raise Refused(f"HeyGen delivers only to https:// endpoints, and HEYGEN_PUBLIC_URL is {url[:80]!r}: put "
                        "HTTPS in front of the server (a tunnel or a reverse proxy), set HEYGEN_PUBLIC_URL to that "
                        "https:// address, restart, and call add_webhook() again. Nothing was registered.")
    return url


async def list_webhooks(state: Tenant, *, limit: int = 10, next_token: str | None = None) -> WebhookList:
    """Registered webhook endpoints (signed event deliveries)."""
    page = await state.client.webhooks.list(limit=limit, token=catalog.unseal(next_token))
    rows = [WebhookRow(endpoint_id=e.endpoint_id, url=e.url, status=e.status, events=e.events) for e in page.items]
    return WebhookList(items=rows, next_token=catalog.next_token_of(page))


async def add_webhook(
    state: Tenant,
    *,
    url: str | None = None,
    events: list[Annotated[str, Field(max_length=64)]] | None = None,
) -> WebhookCreated:
    """Register an HTTPS endpoint for HeyGen events; returns the signing secret once. Without a url this server
    receives them itself (wait_for_job then returns the moment a job ends)."""
    unknown = sorted(set(events or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        raise Refused(f"Unknown event type(s) {unknown}; known: {', '.join(WEBHOOK_EVENTS)}.")
    own = url is None or url.strip().lower() == SELF
    target = own_url(state.settings) if own else check_url(url or "", https_only=True)
    endpoint = await state.client.webhooks.create(CreateWebhook(url=target, events=events))
    created = WebhookCreated(endpoint_id=endpoint.endpoint_id, url=endpoint.url, status=endpoint.status,
                             events=endpoint.events, secret=endpoint.secret)
    if not own:
        return created
    if not endpoint.secret:
        created.next_step = ("HeyGen returned no secret: rotate it (POST /v3/webhooks/endpoints/{id}/rotate-secret) "
                             "and set HEYGEN_WEBHOOK_SECRET to it, or deliveries to this server are refused.")
        return created
    book = secret_keeper(state.settings)
    try:
        # Kept for this server's receiver: the user's own 0600 file beside the SQLite store, or the shared
        # database, encrypted (core.webhooks SecretBook / StoredSecrets).
        book.add(endpoint.endpoint_id, endpoint.url, endpoint.secret)
    except (OSError, HeyGenError) as exc:
        why = (exc.strerror or exc) if isinstance(exc, OSError) else exc.message
        key = "set HEYGEN_SECRET_KEY on every replica and call add_webhook() again, or " \
            if isinstance(exc, SecretsKeyError) else ""
        created.next_step = (f"Could not keep the secret in {book.where} ({why}): {key}set HEYGEN_WEBHOOK_SECRET to "
                             "the secret above for the server receiving at this url, and restart it.")
        return created
    finally:
        book.close()
    created.secret = None  # kept for the receiver; the chat does not need it
    created.next_step = (f"This server receives these events at {target} (secret kept in {book.where}, readable "
                         "only by this server); in HTTP mode wait_for_job now returns as soon as HeyGen reports a "
                         "job's end.")
    return created


async def delete_webhook(state: Tenant, *, endpoint_id: str) -> Deleted:
    """Remove a webhook endpoint."""
    eid = check_id(endpoint_id, "endpoint_id")
    deleted = await delete(state.client.webhooks.delete(eid), eid,
                           f"No webhook endpoint {eid}; list_webhooks shows what exists.")
    book = secret_keeper(state.settings)
    try:
        book.remove(eid)  # its secret, if this server kept it
    except (OSError, HeyGenError) as exc:
        logger.warning("could not forget the secret of webhook %s: %s", eid,
                       exc.strerror or exc if isinstance(exc, OSError) else exc.describe())
    finally:
        book.close()
    return deleted
