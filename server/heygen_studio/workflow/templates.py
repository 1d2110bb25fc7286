"""Template: list your HeyGen templates and render one with your variables (v3, or legacy v2)."""

from __future__ import annotations

from typing import Any, Literal

from ..core.errors import NotFoundError
from ..core.models import GenerateFromTemplate, Page
from . import catalog
from .errors import Refused
from .inputs import check_id
from .outputs import TemplateList, TemplateRow, VideoJob
from .tenant import Tenant
from .videos import video_job

V2_VARIABLE_TYPES = ("text", "image", "video", "voice", "audio", "character")


def v2_variables(variables: dict[str, Any]) -> dict[str, Any]:
    """v2 variables as generateFromTemplateV2 takes them (``V2TemplateVariable``: ``{name, type, properties}``).

    A plain string is the common case (a text variable) and is wrapped; a typed object passes through; anything
    else is refused here, before the paid request, instead of coming back as HeyGen's 400."""
    out: dict[str, Any] = {}
    for name, value in variables.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[name] = {"name": name, "type": "text", "properties": {"content": str(value)}}
        elif isinstance(value, dict) and value.get("type") in V2_VARIABLE_TYPES and isinstance(
                value.get("properties"), dict):
            out[name] = {"name": name, **value}
        else:
            raise Refused(f"v2 template variable '{name[:60]}' must be a text value or an object "
                            f"{{\"type\": one of {', '.join(V2_VARIABLE_TYPES)}, \"properties\": {{…}}}} (see "
                            "read_reference('templates')). Nothing was sent or charged.")
    return out


async def list_templates(
    state: Tenant,
    *,
    api: Literal['v3', 'v2'] = 'v3',
    limit: int = 10,
    next_token: str | None = None,
) -> TemplateList:
    """Your video templates (compact rows); pass the row's api to create_template_video."""

    async def fetch(token: str | None) -> Page[Any]:
        if api == "v2":
            return Page[Any](items=await state.client.templates.list_v2())
        return await state.client.templates.list(limit=50, token=token)

    rows, nxt = await catalog.window(state, ("templates", api), fetch, next_token=next_token, limit=limit)
    items = [TemplateRow(template_id=getattr(t, "id", None) or t.template_id, name=t.name, api=api,
                         aspect_ratio=t.aspect_ratio) for t in rows]
    return TemplateList(items=items, next_token=nxt)


async def create_template_video(
    state: Tenant,
    *,
    template_id: str,
    variables: dict[str, Any],
    api: Literal['v3', 'v2'] = 'v3',
    title: str | None = None,
    request_key: str | None = None,
) -> VideoJob:
    """For a HeyGen template to fill in: renders it with your variables. Paid."""
    tid = check_id(template_id, "template_id")
    req = GenerateFromTemplate(variables=v2_variables(variables) if api == "v2" else variables, title=title)
    try:
        if api == "v2":
            created = await state.client.templates.generate_v2(tid, req, request_key=request_key)
            video_id, status, replayed = created.video_id, created.status or "pending", created.replayed
        else:
            video = await state.client.templates.generate(tid, req, request_key=request_key)
            video_id, status, replayed = video.id, video.status, False
    except NotFoundError:
        raise Refused(f"No {api} template '{tid}'; list_templates shows ids and their api.") from None
    return video_job(video_id, status, api=api, replayed=replayed)
