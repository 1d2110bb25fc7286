"""An offline HeyGen API (v3 + the live v2 Studio/template endpoints) and DeepSeek stand-in.

``create_app()`` returns a Starlette app; use it in-process through
``httpx2.ASGITransport(app=app)`` with ``base_url=SANDBOX_BASE_URL``, or serve it with
``run_sandbox()``. ``app.state.sandbox`` (a ``SandboxState``) exposes credits, recorded requests,
fault injection, webhook deliveries and ``expire_media()``. With ``SandboxConfig(state_path=…)``
its state lives in that SQLite file and survives restarts (``persist.py``).
"""

from __future__ import annotations

from .app import create_app
from .clock import Clock, ManualClock, SystemClock
from .config import SandboxConfig
from .errors import ApiError, DroppedConnection
from .faults import Fault, FaultInjector
from .persist import STATE_FILE
from .records import Delivery, RecordedRequest
from .routes.webhooks import verify_signature
from .server import run_sandbox
from .state import SandboxState

SANDBOX_BASE_URL = "http://sandbox.heygen.test"

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
