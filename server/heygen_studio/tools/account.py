"""Account tools: who you are at HeyGen, your plan, and what you have left to spend."""

from __future__ import annotations

from mcp.server import MCPServer

from .common import READ_ONLY, AppState, Context, app, reports_errors
from .outputs import Account


@reports_errors
async def get_account(ctx: Context[AppState]) -> Account:
    """Your HeyGen account: plan and remaining credits or wallet balance."""
    user = await app(ctx).client.account.me()
    plan, credits, balance, currency = user.balance()
    return Account(username=user.username, email=user.email, billing_type=user.billing_type, plan=plan,
                   credits_remaining=credits, balance=balance, currency=currency)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(get_account)
