"""Account tools: who you are at HeyGen, your plan, and what you have left to spend.

The MCP side: signatures, argument descriptions, annotations; the work is ``workflow.account``.
"""

from __future__ import annotations

from mcp.server import MCPServer

from ..workflow import account as account_flow
from ..workflow.outputs import Account
from .common import READ_ONLY, AppState, Context, reports_errors, who


@reports_errors
async def get_account(ctx: Context[AppState]) -> Account:
    """Your HeyGen account: plan, wallet balance, and what the daily spending limit still allows."""
    return await account_flow.get_account(who(ctx))


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(get_account)
