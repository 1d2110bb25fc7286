"""All mutable state of one sandbox instance (``app.state.sandbox``): the stores plus webhook events."""

from __future__ import annotations

from typing import Any

import anyio

from . import events
from .clock import Clock
from .config import SandboxConfig
from .records import Delivery, WebhookEvent
from .store import SandboxStore


class SandboxState(SandboxStore):
    """Resources, credits, recorded requests, faults, idempotency records and webhook deliveries.

    Status is computed from ``clock.now()`` whenever it is read; ``await tick()`` (run by the
    middleware before every request) notices jobs that reached a final state and delivers their
    callbacks and webhook events.
    """

    def __init__(self, config: SandboxConfig, clock: Clock, account: str | None = None) -> None:
        super().__init__(config, clock, account)
        self._tick_lock = anyio.Lock()
        self._outbox: list[Delivery] = []
        self.peak_in_flight = 0  # the most jobs in progress at once (concurrency.py), for tests and bench/
        self.refused_busy = 0  # creates refused with 429 by the concurrency limit

    def emit(
        self,
        event_type: str,
        event_data: dict[str, Any],
        *,
        callback_url: str | None = None,
        entity_id: str | None = None,
    ) -> WebhookEvent:
        """Record an event and queue its deliveries (sent on the next ``tick()``)."""
        event = WebhookEvent(self.new_id("event", prefix="evt_"), event_type, event_data, self.now(), entity_id)
        self.events.append(event)
        for delivery in events.deliveries_for(event, self.endpoints.values(), callback_url):
            self.deliveries.append(delivery)
            self._outbox.append(delivery)
        return event

    async def tick(self) -> None:
        """Notice jobs that reached a final state, emit their events, deliver queued POSTs."""
        async with self._tick_lock:
            for notice in events.due_notices(self, self.now()):
                self.emit(
                    notice.event_type, notice.event_data, callback_url=notice.callback_url, entity_id=notice.entity_id
                )
            outbox, self._outbox = self._outbox, []
        if outbox:
            await events.deliver(self.config, outbox)
