"""Ids and the timestamp every seeded resource shares."""

from __future__ import annotations

import hashlib

SEED_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z, "created_at" of everything seeded


def hex_id(*parts: str, length: int = 32) -> str:
    """A HeyGen-looking lowercase hex id derived from ``parts`` (stable across runs)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:length]
