"""The server's state, built without MCP: ``open_state(settings) -> AppState``, for every way in.

``serve`` (its lifespan, ``server.make_lifespan``), the shell's fast commands (``shell/direct.py``) and ``doctor``
build the same ``AppState`` here: the settings' job store, the wiring to HeyGen (the network, ``heygen-studio
sandbox`` on a port, or the embedded sandbox, imported only when a call first needs HeyGen), the poll interval
and the hook that sends a batch's queued items. Nothing here imports ``mcp`` at import time; the batch hook
imports the batch tools when a batch is waited on (its sending has not moved to the workflow layer yet).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

from .core.backends import open_store
from .core.errors import DEFAULT_BASE_URL
from .settings import Settings
from .workflow.state import AppState, Wiring

if TYPE_CHECKING:
    import httpx2

    from .core.webhooks import JobSignals
    from .workflow.tenant import Tenant

logger = logging.getLogger(__name__)


def make_wiring(settings: Settings, transport: httpx2.AsyncBaseTransport | None) -> Callable[[], Wiring]:
    """How the client reaches HeyGen; built on first use (the sandbox import is not start-up work)."""

    def wiring() -> Wiring:
        if not settings.heygen_sandbox:
            return Wiring(transport=transport, base_url=settings.heygen_base_url)
        if transport is None and settings.heygen_base_url != DEFAULT_BASE_URL:
            # HEYGEN_SANDBOX=1 with HEYGEN_BASE_URL: `heygen-studio sandbox` on a port (its DeepSeek stand-in too)
            return Wiring(transport=None, base_url=settings.heygen_base_url,
                          deepseek_stand_in=settings.heygen_base_url)
        import httpx2

        from .sandbox import SANDBOX_BASE_URL, STATE_FILE, SandboxConfig, create_app

        if transport is not None:
            return Wiring(transport=transport, base_url=SANDBOX_BASE_URL, deepseek_stand_in=SANDBOX_BASE_URL,
                          instance=f"{os.getpid()}-{id(transport):x}")
        render = settings.heygen_sandbox_render_s
        app = create_app(config=SandboxConfig(
            render_seconds=render, agent_thinking_seconds=render / 3, agent_generating_seconds=render,
            avatar_seconds=render / 2, translation_seconds=render, lipsync_seconds=render,
            voice_clone_seconds=render / 2, state_path=settings.store_path.parent / STATE_FILE,
            concurrency_limit=settings.heygen_sandbox_concurrency, accounts=settings.heygen_sandbox_accounts))
        logger.info("using the embedded HeyGen sandbox (no real API calls, no credits)")
        # The sandbox keeps its state next to the job store, shared by every process on that folder:
        # its jobs are one account's, so they share one scope in the store and survive restarts. When
        # the file cannot be used it runs in memory, and its jobs are this process's alone.
        instance = "embedded" if app.state.sandbox.persistent else f"{os.getpid()}-{id(app):x}"
        return Wiring(transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_BASE_URL, sandbox=app,
                      deepseek_stand_in=SANDBOX_BASE_URL, instance=instance)

    return wiring


def make_where(settings: Settings, transport: httpx2.AsyncBaseTransport | None) -> Callable[[], tuple[str, str | None]]:
    """Which HeyGen the wiring will reach, as (base URL, instance), without building it: ``list_jobs`` lists the
    job store's scope from this, so a shell's ``jobs`` does not import the sandbox (``AppState.recorded_jobs``).
    The embedded sandbox's jobs are one account's when its state file can be used (``make_wiring``); when it
    cannot, they are this process's, and before its sandbox is built this process has none."""

    def where() -> tuple[str, str | None]:
        if not settings.heygen_sandbox:
            return settings.heygen_base_url, None
        if transport is None and settings.heygen_base_url != DEFAULT_BASE_URL:
            return settings.heygen_base_url, None
        from .sandbox import SANDBOX_BASE_URL, STATE_FILE
        from .sandbox.statefile import usable

        if transport is not None:
            return SANDBOX_BASE_URL, f"{os.getpid()}-{id(transport):x}"
        if usable(settings.store_path.parent / STATE_FILE):
            return SANDBOX_BASE_URL, "embedded"
        return SANDBOX_BASE_URL, f"{os.getpid()}-unbuilt"

    return where


async def send_queued(state: Tenant, batch_id: str) -> float | None:
    """``wait_for_job``'s hook: a produce_videos batch's queued items go as HeyGen frees slots (imported on use:
    the batch tools are not start-up work, and a shell that never waits on a batch never imports them)."""
    from .workflow.batches import advance

    return (await advance(state, batch_id)).retry_at


def poll_interval(settings: Settings) -> float:
    """How often a wait polls HeyGen: the setting; at most 1 s on the sandbox, whose renders take seconds."""
    return min(settings.heygen_poll_interval, 1.0) if settings.heygen_sandbox else settings.heygen_poll_interval


def open_state(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None, *,
               signals: JobSignals | None = None) -> AppState:
    """The server's state on ``settings``: its job store opened, HeyGen wired on first use. ``transport`` replaces
    the network (tests pass the sandbox's ASGI transport); ``signals`` are the webhook receiver's wake-ups (HTTP
    mode). The caller closes it (``await state.aclose()``)."""
    state = AppState(settings=settings, store=open_store(settings).jobs(),
                     poll_interval=poll_interval(settings), wiring=make_wiring(settings, transport),
                     send_queued=send_queued, where=make_where(settings, transport))
    if signals is not None:
        state.signals = signals
    return state


LISTEN_READY_S = 2.0
"""How long start-up waits for the listener to listen (a database that does not answer does not block it)."""


@asynccontextmanager
async def replicas(state: AppState) -> AsyncIterator[None]:
    """For as long as the server runs: on PostgreSQL, this process's listener for the job news of every replica
    (``core.notify_pg``: a webhook any replica received, a poll any replica stored), fed to ``state.signals``;
    stopped cleanly when the block ends. On SQLite there is nothing to listen to (one machine)."""
    db = state.store.db
    if db.dialect.name != "postgresql":
        yield
        return
    from .core.store_pg import PostgresDatabase

    assert isinstance(db, PostgresDatabase)
    signals = state.signals
    listener = db.listener(lambda keys: signals.notify(*keys), signals.notify_all)
    state.listener = listener
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(listener.run)
        with anyio.move_on_after(LISTEN_READY_S):
            await listener.ready.wait()
        try:
            yield
        finally:
            tasks.cancel_scope.cancel()
            state.listener = None
