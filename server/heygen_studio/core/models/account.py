"""Account: ``GET /v3/users/me`` (getCurrentUser)."""

from __future__ import annotations

from typing import Any

from .common import APIModel


class CurrentUser(APIModel):
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    billing_type: str | None = None
    wallet: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    usage_based: dict[str, Any] | None = None
