"""Account tools: who you are at HeyGen, your plan, and what you have left to spend."""

from __future__ import annotations

from mcp.server import MCPServer

from ..core.store import daily_left, daily_summary
from ..workflow.outputs import Account
from .common import READ_ONLY, AppState, Context, reports_errors, who


@reports_errors
async def get_account(ctx: Context[AppState]) -> Account:
    """Your HeyGen account: plan, wallet balance, and what the daily spending limit still allows."""
    state = who(ctx)
    user = await state.client.account.me()
    plan, credits, balance, currency = user.balance()
    spent, limit = state.jobs.spent(), state.settings.heygen_daily_credits
    return Account(username=user.username, email=user.email, billing_type=user.billing_type, plan=plan,
                   credits_remaining=credits, balance=balance, currency=currency,
                   daily_left_usd=None if limit is None else daily_left(spent, limit),
                   spent_24h_usd=round(sum(amount for _, amount in spent), 4), daily=daily_summary(spent, limit))


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(get_account)
