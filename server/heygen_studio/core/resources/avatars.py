"""Avatars: ``/v3/avatars`` (groups), ``/v3/avatars/looks`` and avatar creation with consent."""

from __future__ import annotations

from typing import Literal

from ..models import (
    AvatarConsent,
    AvatarConsentRequest,
    AvatarGroup,
    AvatarLook,
    CreatedAvatar,
    CreateDigitalTwin,
    CreatePhotoAvatar,
    CreatePromptAvatar,
    Deleted,
    Page,
)
from ..store import Job
from ._base import Resource

Ownership = Literal["public", "private"]


def _look_or_group(created: CreatedAvatar) -> str:
    """createAvatar answers with the new look (`avatar_item`) and/or its group (`avatar_group`)."""
    item, group = created.avatar_item or {}, created.avatar_group or {}
    return str(item.get("id") or group.get("id") or item.get("group_id") or "")


class Avatars(Resource):
    async def list_groups(self, *, ownership: Ownership | None = None, limit: int = 20,
                          token: str | None = None) -> Page[AvatarGroup]:
        return await self._c.list("/v3/avatars", AvatarGroup, {"ownership": ownership, "limit": limit, "token": token})

    async def get_group(self, group_id: str) -> AvatarGroup:
        return await self._c.get(f"/v3/avatars/{group_id}", AvatarGroup)

    async def delete_group(self, group_id: str) -> Deleted:
        return await self._c.delete(f"/v3/avatars/{group_id}", where="DELETE /v3/avatars", fallback={"id": group_id})

    async def list_looks(self, *, group_id: str | None = None, avatar_type: str | None = None,
                         ownership: Ownership | None = None, limit: int = 20,
                         token: str | None = None) -> Page[AvatarLook]:
        params = {"group_id": group_id, "avatar_type": avatar_type, "ownership": ownership, "limit": limit,
                  "token": token}
        return await self._c.list("/v3/avatars/looks", AvatarLook, params)

    async def get_look(self, look_id: str) -> AvatarLook:
        return await self._c.get(f"/v3/avatars/looks/{look_id}", AvatarLook)

    async def rename_look(self, look_id: str, name: str) -> AvatarLook:
        look, _ = await self._c.send("PATCH", f"/v3/avatars/looks/{look_id}", AvatarLook, {"name": name})
        return look

    async def delete_look(self, look_id: str) -> Deleted:
        return await self._c.delete(f"/v3/avatars/looks/{look_id}", where="DELETE /v3/avatars/looks",
                                    fallback={"id": look_id})

    async def create(self, req: CreatePhotoAvatar | CreatePromptAvatar | CreateDigitalTwin, *,
                     request_key: str | None = None) -> CreatedAvatar:
        created, env = await self._c.create("/v3/avatars", CreatedAvatar, req, Job("look", req.name),
                                            _look_or_group, request_key=request_key)
        created.replayed = env.replayed
        return created

    async def consent(self, group_id: str, req: AvatarConsentRequest | None = None) -> AvatarConsent:
        body = (req or AvatarConsentRequest()).body()
        consent, _ = await self._c.send("POST", f"/v3/avatars/{group_id}/consent", AvatarConsent, body)
        return consent
