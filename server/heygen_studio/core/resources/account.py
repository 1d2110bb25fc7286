"""Account: ``/v3/users/me`` (who the key belongs to, and its credit)."""

from __future__ import annotations

from ..models import CurrentUser
from ._base import Resource


class Account(Resource):
    async def me(self) -> CurrentUser:
        return await self._c.get("/v3/users/me", CurrentUser)
