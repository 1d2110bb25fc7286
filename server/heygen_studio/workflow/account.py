"""Account: who you are at HeyGen, your plan, and what you have left to spend."""

from __future__ import annotations

from ..core.store import daily_left, daily_summary
from .outputs import Account
from .tenant import Tenant


async def get_account(state: Tenant) -> Account:
    """Your HeyGen account: plan, wallet balance, and what the daily spending limit still allows."""
    user = await state.client.account.me()
    plan, credits, balance, currency = user.balance()
    spent, limit = state.jobs.spent(), state.daily_limit
    return Account(username=user.username, email=user.email, billing_type=user.billing_type, plan=plan,
                   credits_remaining=credits, balance=balance, currency=currency,
                   daily_left_usd=None if limit is None else daily_left(spent, limit),
                   spent_24h_usd=round(sum(amount for _, amount in spent), 4), daily=daily_summary(spent, limit))
