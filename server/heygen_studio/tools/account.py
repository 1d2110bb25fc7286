"""Account tools: who you are at HeyGen, your plan, and what you have left to spend."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

from ..core.models import CurrentUser
from .common import READ_ONLY, AppState, Context, app, reports_errors
from .outputs import Account


def _credits(user: CurrentUser) -> tuple[str | None, float | None, float | None, str | None]:
    """(plan, credits remaining, wallet balance, currency) from whichever billing object is set."""
    plan = credits = balance = currency = None
    sub: dict[str, Any] = user.subscription or {}
    if sub:
        plan = sub.get("plan")
        pools = sub.get("credits") or {}
        remaining = [(pools.get(p) or {}).get("remaining") for p in ("premium_credits", "add_on_credits")]
        if any(r is not None for r in remaining):
            credits = float(sum(r or 0 for r in remaining))
    if user.wallet:
        balance = user.wallet.get("remaining_balance")
        currency = user.wallet.get("currency")
    if user.usage_based and user.usage_based.get("remaining_credits") is not None:
        credits = float(user.usage_based["remaining_credits"])
    return plan, credits, balance, currency


@reports_errors
async def get_account(ctx: Context[AppState]) -> Account:
    """Your HeyGen account: plan and remaining credits or wallet balance."""
    user = await app(ctx).client.account.me()
    plan, credits, balance, currency = _credits(user)
    return Account(username=user.username, email=user.email, billing_type=user.billing_type, plan=plan,
                   credits_remaining=credits, balance=balance, currency=currency)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(get_account)
