"""Serving the sandbox on a port (uvicorn), with real connection drops for the ``drop`` faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .clock import SystemClock
from .config import SandboxConfig
from .errors import DroppedConnection

Message = MutableMapping[str, Any]


class CloseOnDrop:
    """Under uvicorn, turn ``DroppedConnection`` into a closed socket with no response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        try:
            await self.app(scope, receive, send)
        except DroppedConnection:
            cycle = getattr(send, "__self__", None)  # uvicorn's RequestResponseCycle
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            cycle.disconnected = True  # type: ignore[union-attr]
            transport.close()


def run_sandbox(host: str = "127.0.0.1", port: int = 8765, config: SandboxConfig | None = None) -> None:
    """Serve the sandbox with uvicorn and a ``SystemClock`` (blocks until interrupted)."""
    import uvicorn

    from .app import create_app

    app = create_app(config, SystemClock())
    uvicorn.run(CloseOnDrop(app), host=host, port=port, http="h11", log_level="warning", lifespan="on")
