"""Template tools: list your HeyGen templates and render one with your variables (v3, or legacy v2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.costs import Spend
from ..core.errors import NotFoundError
from ..core.models import GenerateFromTemplate, Page
from ..workflow import catalog
from ..workflow.inputs import check_id
from ..workflow.outputs import TemplateList, TemplateRow, VideoJob
from .common import PAID, READ_ONLY, AppState, Context, paid, reports_errors, who
from .fields import Id, Limit, NextToken
from .videos import video_job


@reports_errors
async def list_templates(
    ctx: Context[AppState],
    api: Annotated[Literal["v3", "v2"], Field(description="v3 templates, or legacy v2 AI Studio ones.")] = "v3",
    limit: Limit = 10,
    next_token: NextToken = None,
) -> TemplateList:
    """Your video templates (compact rows); pass the row's api to create_template_video."""
    state = who(ctx)

    async def fetch(token: str | None) -> Page[Any]:
        if api == "v2":
            return Page[Any](items=await state.client.templates.list_v2())
        return await state.client.templates.list(limit=50, token=token)

    rows, nxt = await catalog.window(state, ("templates", api), fetch, next_token=next_token, limit=limit)
    items = [TemplateRow(template_id=getattr(t, "id", None) or t.template_id, name=t.name, api=api,
                         aspect_ratio=t.aspect_ratio) for t in rows]
    return TemplateList(items=items, next_token=nxt)


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
            raise ToolError(f"v2 template variable '{name[:60]}' must be a text value or an object "
                            f"{{\"type\": one of {', '.join(V2_VARIABLE_TYPES)}, \"properties\": {{…}}}} (see "
                            "read_reference('templates')). Nothing was sent or charged.")
    return out


@paid
@reports_errors
async def create_template_video(
    ctx: Context[AppState],
    template_id: Annotated[Id, Field(description="From list_templates.")],
    variables: Annotated[dict[str, Any], Field(description="Template variables to replace, keyed by name (v2: a "
                                                           "text value, or a {type, properties} object).")],
    api: Literal["v3", "v2"] = "v3",
    title: Annotated[str | None, Field(max_length=200)] = None,
    request_key: Annotated[str | None, Field(max_length=64)] = None,
    *,
    spend: Spend,
) -> VideoJob:
    """For a HeyGen template to fill in: renders it with your variables. Paid."""
    state = who(ctx, spend)
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
        raise ToolError(f"No {api} template '{tid}'; list_templates shows ids and their api.") from None
    return video_job(video_id, status, api=api, replayed=replayed)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_templates)
    mcp.tool(annotations=PAID)(create_template_video)
