"""Templates: ``/v3/templates`` and the v2 ``/v2/templates``, ``/v2/template/{id}`` (variables)."""

from __future__ import annotations

import builtins
from typing import Any

from ..errors import ResponseFormatError
from ..models import CreatedVideo, GenerateFromTemplate, Page, Template, V2Template, Video
from ..store import Job
from ._base import Resource, parse


class Templates(Resource):
    async def list(self, *, limit: int = 20, token: str | None = None) -> Page[Template]:
        return await self._c.list("/v3/templates", Template, {"limit": limit, "token": token})

    async def get(self, template_id: str) -> Template:
        return await self._c.get(f"/v3/templates/{template_id}", Template)

    async def generate(self, template_id: str, req: GenerateFromTemplate, *,
                       request_key: str | None = None) -> Video:
        job = Job("video", req.title, {"api": "v3", "type": "template"})
        video, _ = await self._c.create(f"/v3/templates/{template_id}", Video, req, job, lambda v: v.id,
                                        request_key=request_key)
        return video

    async def list_v2(self) -> builtins.list[V2Template]:
        # listTemplatesV2 wraps the list: {"data": {"templates": [...]}}
        env = await self._c.http.request("GET", "/v2/templates", envelope="v2")
        data = env.data if isinstance(env.data, dict) else {}
        return [parse(V2Template, t, "GET /v2/templates") for t in data.get("templates", [])]

    async def get_v2(self, template_id: str) -> dict[str, Any]:
        env = await self._c.http.request("GET", f"/v2/template/{template_id}", envelope="v2")
        if not isinstance(env.data, dict):
            raise ResponseFormatError("GET /v2/template: expected an object in 'data'")
        return env.data

    async def generate_v2(self, template_id: str, req: GenerateFromTemplate, *,
                          request_key: str | None = None) -> CreatedVideo:
        return await self._c.send_v2_create(f"/v2/template/{template_id}/generate", req,
                                            Job("video", req.title, {"type": "template"}), request_key=request_key)
