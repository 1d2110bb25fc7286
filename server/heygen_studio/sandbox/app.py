"""The sandbox ASGI app: the area route modules, HeyGen-style error envelopes and the middleware.

Routes are added area by area in a fixed order (Starlette matches the first route that fits).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from .accounts import Accounts
from .clock import Clock, SystemClock
from .config import SandboxConfig
from .envelopes import handle_api_error
from .errors import ApiError
from .middleware import SandboxMiddleware
from .routes import (
    account,
    assets,
    avatars,
    batches,
    chat,
    lipsyncs,
    media,
    templates,
    translations,
    video_agents,
    videos,
    voices,
    webhooks,
)

logger = logging.getLogger(__name__)

# One module per API area, in the order their routes are matched.
AREAS = (batches, videos, templates, video_agents, assets, avatars, voices, account, translations, lipsyncs, webhooks,
         media, chat)


async def unknown_route(request: Request) -> Response:
    raise ApiError(404, "not_found", f"No route for {request.method} {request.url.path}")


# -- the app ---------------------------------------------------------------------------------------
class SandboxApp(Starlette):
    """A Starlette app whose outermost layer is ``SandboxMiddleware`` (outside Starlette's own
    error middleware, so an injected dropped connection is never turned into a 500)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SandboxMiddleware(super().build_middleware_stack(), self.state.accounts)


async def _ticker(accounts: Accounts) -> None:
    while True:
        await anyio.sleep(0.5)
        for state in accounts.all():
            try:
                state.pull()
                await state.tick()
                state.push()
            except Exception:  # keep ticking
                logger.exception("sandbox tick failed")


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Under a server (uvicorn), tick twice a second so webhooks fire even when nobody polls."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_ticker, app.state.accounts)
        yield
        tasks.cancel_scope.cancel()
    app.state.accounts.close()


def all_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for area in AREAS:
        routes += area.routes
    catch_all = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes.append(Route("/v3/{rest:path}", unknown_route, methods=catch_all))
    routes.append(Route("/v2/{rest:path}", unknown_route, methods=catch_all))
    return routes


def create_app(config: SandboxConfig | None = None, clock: Clock | None = None) -> Starlette:
    """A fresh sandbox: ``app.state.sandbox`` is its ``SandboxState`` (in ``per-key`` mode the front, and
    ``app.state.accounts.for_key(key)`` a key's account: accounts.py)."""
    accounts = Accounts(config or SandboxConfig(), clock or SystemClock())
    app = SandboxApp(
        routes=all_routes(),
        exception_handlers={ApiError: handle_api_error},
        lifespan=_lifespan,
    )
    app.state.sandbox = accounts.front
    app.state.accounts = accounts
    return app
