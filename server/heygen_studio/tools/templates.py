"""Template tools: list your HeyGen templates and render one with your variables (v3, or legacy v2).

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.templates``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from pydantic import Field

from ..core.costs import Spend
from ..workflow import templates as templates_flow
from ..workflow.outputs import TemplateList, VideoJob
from .common import PAID, READ_ONLY, AppState, Context, paid, reports_errors, who
from .fields import Id, Limit, NextToken


@reports_errors
async def list_templates(
    ctx: Context[AppState],
    api: Annotated[Literal["v3", "v2"], Field(description="v3 templates, or legacy v2 AI Studio ones.")] = "v3",
    limit: Limit = 10,
    next_token: NextToken = None,
) -> TemplateList:
    """Your video templates (compact rows); pass the row's api to create_template_video."""
    return await templates_flow.list_templates(who(ctx), api=api, limit=limit, next_token=next_token)


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
    return await templates_flow.create_template_video(who(ctx, spend), template_id=template_id, variables=variables,
                                                      api=api, title=title, request_key=request_key)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(list_templates)
    mcp.tool(annotations=PAID)(create_template_video)
