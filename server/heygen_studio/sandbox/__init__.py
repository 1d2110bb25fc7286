"""An offline HeyGen API (v3 + the live v2 Studio/template endpoints) and DeepSeek stand-in.

``create_app()`` returns a Starlette app; use it in-process through
``httpx2.ASGITransport(app=app)`` with ``base_url=SANDBOX_BASE_URL``, or serve it with
``run_sandbox()``. ``app.state.sandbox`` (a ``SandboxState``) exposes credits, recorded requests,
fault injection, webhook deliveries and ``expire_media()``. With ``SandboxConfig(state_path=…)``
its state lives in that SQLite file and survives restarts (``persist.py``). With
``SandboxConfig(accounts="per-key")`` each API key is an account of its own (``accounts.py``;
``app.state.accounts.for_key(key)`` is a key's ``SandboxState``).

Importing this package is cheap: each name below is imported from its module on first use (PEP 562), so
``SANDBOX_BASE_URL``, ``STATE_FILE`` and ``statefile.usable`` cost nothing of the app, its routes or models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .statefile import STATE_FILE

if TYPE_CHECKING:
    from .app import create_app
    from .clock import Clock, ManualClock, SystemClock
    from .config import SandboxConfig
    from .errors import ApiError, DroppedConnection
    from .faults import Fault, FaultInjector
    from .records import Delivery, RecordedRequest
    from .routes.webhooks import verify_signature
    from .server import run_sandbox
    from .state import SandboxState

SANDBOX_BASE_URL = "http://sandbox.heygen.test"

_LAZY = {
    "create_app": ".app", "Clock": ".clock", "ManualClock": ".clock", "SystemClock": ".clock",
    "SandboxConfig": ".config", "ApiError": ".errors", "DroppedConnection": ".errors", "Fault": ".faults",
    "FaultInjector": ".faults", "Delivery": ".records", "RecordedRequest": ".records",
    "verify_signature": ".routes.webhooks", "run_sandbox": ".server", "SandboxState": ".state",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "SANDBOX_BASE_URL",
    "STATE_FILE",
    "ApiError",
    "Clock",
    "Delivery",
    "DroppedConnection",
    "Fault",
    "FaultInjector",
    "ManualClock",
    "RecordedRequest",
    "SandboxConfig",
    "SandboxState",
    "SystemClock",
    "create_app",
    "run_sandbox",
    "verify_signature",
]
