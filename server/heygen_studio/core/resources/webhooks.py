"""Webhooks: ``/v3/webhooks/endpoints``, ``/v3/webhooks/event-types`` and ``/v3/webhooks/events``."""

from __future__ import annotations

import builtins

from ..models import (
    CreateWebhook,
    Page,
    RotatedSecret,
    UpdateWebhook,
    WebhookEndpoint,
    WebhookEventRecord,
    WebhookEventType,
)
from ._base import Resource


class Webhooks(Resource):
    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[WebhookEndpoint]:
        return await self._c.list("/v3/webhooks/endpoints", WebhookEndpoint, {"limit": limit, "token": token})

    async def create(self, req: CreateWebhook) -> WebhookEndpoint:
        endpoint, _ = await self._c.send("POST", "/v3/webhooks/endpoints", WebhookEndpoint, req)
        return endpoint

    async def update(self, endpoint_id: str, req: UpdateWebhook) -> WebhookEndpoint:
        endpoint, _ = await self._c.send("PATCH", f"/v3/webhooks/endpoints/{endpoint_id}", WebhookEndpoint, req)
        return endpoint

    async def delete(self, endpoint_id: str) -> None:
        await self._c.http.request("DELETE", f"/v3/webhooks/endpoints/{endpoint_id}")

    async def rotate_secret(self, endpoint_id: str) -> RotatedSecret:
        rotated, _ = await self._c.send("POST", f"/v3/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                        RotatedSecret, None)
        return rotated

    async def event_types(self) -> builtins.list[WebhookEventType]:
        env = await self._c.http.request("GET", "/v3/webhooks/event-types")
        return self._c.page(WebhookEventType, env, "GET /v3/webhooks/event-types").items

    async def events(self, *, event_type: str | None = None, entity_id: str | None = None, limit: int = 20,
                     token: str | None = None) -> Page[WebhookEventRecord]:
        params = {"event_type": event_type, "entity_id": entity_id, "limit": limit, "token": token}
        return await self._c.list("/v3/webhooks/events", WebhookEventRecord, params)
