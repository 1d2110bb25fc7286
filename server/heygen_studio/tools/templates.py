"""Template tools: list your HeyGen templates and render one with your variables (v3, or legacy v2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..core.errors import NotFoundError
from ..core.models import GenerateFromTemplate, Page
from . import catalog
from .common import PAID, READ_ONLY, AppState, Context, app, check_id, reports_errors
from .fields import Id
from .outputs import TemplateList, TemplateRow, VideoJob
from .videos import video_job


@reports_errors
async def list_templates(
    ctx: Context[AppState],
    api: Annotated[Literal["v3", "v2"], Field(description="v3 templates, or legacy v2 AI Studio ones.")] = "v3",
    limit: catalog.Limit = 10,
    next_token: catalog.NextToken = None,
) -> TemplateList:
    """Your video templates (compact rows); pass the row's api to create_template_video."""
    state = app(ctx)

    async def fetch(token: str | None) -> Page[Any]:
        if api == "v2":
            return Page[Any](items=await state.client.templates.list_v2())
        return await state.client.templates.list(limit=50, token=token)

    rows, nxt = await catalog.window(state, ("templates", api), fetch, next_token=next_token, limit=limit)
    items = [TemplateRow(template_id=getattr(t, "id", None) or t.template_id, name=t.name, api=api,
                         aspect_ratio=t.aspect_ratio) for t in rows]
    return TemplateList(items=items, next_token=nxt)


@reports_errors
async def create_template_video(
    ctx: Context[AppState],
    template_id: Annotated[Id, Field(description="From list_templates.")],
    variables: Annotated[dict[str, Any], Field(description="Template variables to replace, keyed by name.")],
    api: Literal["v3", "v2"] = "v3",
    title: Annotated[str | None, Field(max_length=200)] = None,
    request_key: Annotated[str | None, Field(max_length=64)] = None,
) -> VideoJob:
    """Render a template with your variables. Paid (per output minute)."""
    state = app(ctx)
    tid = check_id(template_id, "template_id")
    req = GenerateFromTemplate(variables=variables, title=title)
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
