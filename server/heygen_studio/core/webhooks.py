"""Verify HeyGen webhook deliveries to registered endpoints.

HeyGen signs endpoint deliveries with the endpoint's ``whsec_`` secret: headers
``Heygen-Event-Id``, ``Heygen-Timestamp`` (unix seconds) and ``Heygen-Signature: v1=<hex>``,
where ``<hex>`` is HMAC-SHA256(secret, f"{timestamp}.{raw_body}"); deliveries older than five
minutes are rejected. Per-job ``callback_url`` deliveries are not signed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_S = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, tolerance_s: int = TOLERANCE_S,
           now: float | None = None) -> bool:
    """True when the delivery is signed with ``secret`` and recent enough."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = lower.get("heygen-timestamp", "")
    given = lower.get("heygen-signature", "")
    if not timestamp.isdigit() or not given:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in given.split(","))
