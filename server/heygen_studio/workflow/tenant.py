"""``Tenant``: who is asking, passed explicitly to every workflow function.

A tenant is one person's view of the server for one call: their HeyGen client (their key; for a paid call, a
view held to that call's budget, ``costs.Spend``), their jobs in the store, their output folder and their
limits. On stdio and on a one-person HTTP server it is the server's own user; on a team server it is the person
the request authenticated as. It reads what it needs from the server's state (``AppState``) lazily, so a call
that only lists jobs builds no client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx2

    from ..core.client import HeyGenClient
    from ..core.costs import Spend
    from ..core.store import ScopedJobs, SQLiteJobStore
    from ..core.webhooks import JobSignals
    from ..settings import Settings
    from .state import AppState, TTLCache, Wiring


class Tenant:
    """One person's call: ``Tenant(state)`` for the server's own user; ``paying(spend)`` for a paid call."""

    __slots__ = ("_client", "_state", "rate_limit_wait", "roots", "spend")

    def __init__(self, state: AppState, *, spend: Spend | None = None, rate_limit_wait: float | None = None,
                 roots: tuple[Path, ...] = ()) -> None:
        self._state = state
        self.roots = roots
        """Folders the person's client shared for this call (MCP roots): local files may be read from them too."""
        self.spend = spend
        """The budget of this call (a paid call; None otherwise): dry run, limit, the cost a person confirmed."""
        self.rate_limit_wait = rate_limit_wait
        """The longest a 429 is waited out inside one request (0: the caller keeps its own queue)."""
        self._client: HeyGenClient | None = None

    def paying(self, spend: Spend) -> Tenant:
        """The same person, for a paid call held to ``spend``."""
        return Tenant(self._state, spend=spend, rate_limit_wait=self.rate_limit_wait, roots=self.roots)

    def queueing(self) -> Tenant:
        """The same person and budget, for a caller that honours HeyGen's ``Retry-After`` itself (a queue)."""
        return Tenant(self._state, spend=self.spend, rate_limit_wait=0.0, roots=self.roots)

    @property
    def client(self) -> HeyGenClient:
        if self._client is None:
            root = self._state.client
            self._client = root if self.spend is None and self.rate_limit_wait is None else \
                root.with_options(spend=self.spend, rate_limit_wait=self.rate_limit_wait)
        return self._client

    @property
    def settings(self) -> Settings:
        return self._state.settings

    @property
    def jobs(self) -> ScopedJobs:
        return self._state.jobs

    @property
    def recorded_jobs(self) -> ScopedJobs:
        return self._state.recorded_jobs

    @property
    def store(self) -> SQLiteJobStore:
        return self._state.store

    @property
    def allowed_folders(self) -> list[Path]:
        """Where local files may be read from: the output folder, HEYGEN_ALLOWED_DIRS, the client's roots."""
        folders = list(self._state.settings.heygen_allowed_dirs)
        return folders + [f for f in self.roots if f not in folders]

    @property
    def output_dir(self) -> Path:
        return self._state.settings.heygen_output_dir

    @property
    def cache(self) -> TTLCache:
        return self._state.cache

    @property
    def signals(self) -> JobSignals:
        return self._state.signals

    @property
    def poll_interval(self) -> float:
        return self._state.poll_interval

    @property
    def wired(self) -> Wiring:
        return self._state.wired

    @property
    def transport(self) -> httpx2.AsyncBaseTransport | None:
        return self._state.transport

    @property
    def send_queued(self) -> Callable[[Tenant, str], Awaitable[float | None]] | None:
        return self._state.send_queued

    @property
    def state(self) -> AppState:
        """The server's state behind this person (for the few places that serve everyone: the webhook receiver)."""
        return self._state
