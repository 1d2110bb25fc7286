"""The account (v3): GET /v3/users/me, with the wallet's remaining credits."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..web import ok, state_of


# -- users -----------------------------------------------------------------------------------------
async def current_user(request: Request) -> Response:
    state = state_of(request)
    return ok(
        {
            "username": state.config.username,
            "email": state.config.email,
            "first_name": "Sandbox",
            "last_name": "User",
            "billing_type": "wallet",
            "wallet": {
                "currency": "usd",  # a pay-as-you-go API wallet: dollars, charged at HeyGen's published prices
                "remaining_balance": state.credits,
                "auto_reload": {"enabled": False, "amount_usd": None, "threshold_usd": None},
            },
            "subscription": None,
            "usage_based": None,
        }
    )


routes = [
    Route("/v3/users/me", current_user, methods=["GET"]),
]
