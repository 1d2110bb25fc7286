"""Request bodies of the webhooks area (endpoints)."""

from __future__ import annotations

from typing import Literal

from ..seed import WEBHOOK_EVENT_NAMES
from .base import (
    Closed,
)

# -- webhooks --------------------------------------------------------------------------------------
EventName = Literal[tuple(sorted(WEBHOOK_EVENT_NAMES))]  # type: ignore[valid-type]


class CreateWebhookEndpoint(Closed):
    url: str
    events: list[EventName] | None = None  # type: ignore[valid-type]
    entity_id: str | None = None


class UpdateWebhookEndpoint(Closed):
    url: str | None = None
    events: list[EventName] | None = None  # type: ignore[valid-type]
