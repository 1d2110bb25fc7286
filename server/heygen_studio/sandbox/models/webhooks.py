"""Request bodies of the webhooks area (endpoints)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..seed import WEBHOOK_EVENT_NAMES
from .base import (
    Closed,
)

# -- webhooks --------------------------------------------------------------------------------------
# One of the event types GET /v3/webhooks/event-types lists (the literal is built from the seed).
if TYPE_CHECKING:
    EventName = str
else:
    EventName = Literal[tuple(sorted(WEBHOOK_EVENT_NAMES))]


class CreateWebhookEndpoint(Closed):
    url: str
    events: list[EventName] | None = None
    entity_id: str | None = None


class UpdateWebhookEndpoint(Closed):
    url: str | None = None
    events: list[EventName] | None = None
