"""``Tenant``: who is asking, passed explicitly to every workflow function.

A tenant is one person's view of the server for one call: their HeyGen client (their key; for a paid call, a
view held to that call's budget, ``costs.Spend``), their jobs in the store, their output folder and their
limits. On stdio and on a one-person HTTP server it is the server's own user; on a team server it is the person
the request authenticated as. It reads what it needs from the server's state (``AppState``) lazily, so a call
that only lists jobs builds no client.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx2

    from ..core.client import HeyGenClient
    from ..core.costs import Spend
    from ..core.people import Person
    from ..core.store import ScopedJobs, SQLJobStore
    from ..core.webhooks import JobSignals
    from ..settings import Settings
    from .state import AppState, TTLCache, Wiring


class Tenant:
    """One person's call: ``Tenant(state)`` for the server's own user; ``paying(spend)`` for a paid call."""

    __slots__ = ("_client", "_state", "person", "rate_limit_wait", "roots", "spend")

    def __init__(self, state: AppState, *, person: Person | None = None, spend: Spend | None = None,
                 rate_limit_wait: float | None = None, roots: tuple[Path, ...] = ()) -> None:
        self._state = state
        self.person = person
        """The person asking, on a team server (their own key, jobs, folder and limit); None: the server's user."""
        self.roots = roots
        """Folders the person's client shared for this call (MCP roots): local files may be read from them too."""
        self.spend = spend
        """The budget of this call (a paid call; None otherwise): dry run, limit, the cost a person confirmed."""
        self.rate_limit_wait = rate_limit_wait
        """The longest a 429 is waited out inside one request (0: the caller keeps its own queue)."""
        self._client: HeyGenClient | None = None

    def paying(self, spend: Spend) -> Tenant:
        """The same person, for a paid call held to ``spend``."""
        return Tenant(self._state, person=self.person, spend=spend, rate_limit_wait=self.rate_limit_wait,
                      roots=self.roots)

    def queueing(self) -> Tenant:
        """The same person and budget, for a caller that honours HeyGen's ``Retry-After`` itself (a queue)."""
        return Tenant(self._state, person=self.person, spend=self.spend, rate_limit_wait=0.0, roots=self.roots)

    @property
    def client(self) -> HeyGenClient:
        if self._client is None:
            root = self._state.client if self.person is None else self._state.account(self.person).client
            self._client = root if self.spend is None and self.rate_limit_wait is None else \
                root.with_options(spend=self.spend, rate_limit_wait=self.rate_limit_wait)
        return self._client

    @property
    def settings(self) -> Settings:
        return self._state.settings

    @property
    def jobs(self) -> ScopedJobs:
        return self._state.jobs if self.person is None else self._state.account(self.person).jobs

    @property
    def recorded_jobs(self) -> ScopedJobs:
        """Their jobs, to read only: for the server's user, without wiring anything (``AppState.recorded_jobs``)."""
        return self._state.recorded_jobs if self.person is None else self.jobs

    @property
    def journal_jobs(self) -> bool:
        """Whether jobs of the old one-file journal are theirs to list (the server's one user only)."""
        return self.person is None

    @property
    def daily_limit(self) -> float | None:
        """US dollars their paid calls may reserve in any 24 h (HEYGEN_DAILY_CREDITS, or the person's own)."""
        if self.person is None:
            return self._state.settings.heygen_daily_credits
        return self._state.account(self.person).daily_limit

    @property
    def store(self) -> SQLJobStore:
        return self._state.store

    @property
    def daily_limit_from(self) -> str:
        """Who sets ``daily_limit``, for a refusal to name."""
        return self.client.daily_limit_from

    @property
    def allowed_folders(self) -> list[Path]:
        """Where local files may be read from: the output folder, HEYGEN_ALLOWED_DIRS, the client's roots. A team
        server's person reaches it over the network: the server's disk is not theirs, only their own folder."""
        if self.person is not None:
            return [self.output_dir]
        folders = list(self._state.settings.heygen_allowed_dirs)
        return folders + [f for f in self.roots if f not in folders]

    def file_link(self, relative: str) -> str | None:
        """A short-lived signed link to a file in this person's folder, served by this server (team servers over
        HTTP only: None otherwise)."""
        state = self._state
        if self.person is None or state.public_base is None or state.link_key is None:
            return None
        from .files import FILES_PATH, sign_link

        return state.public_base + FILES_PATH + sign_link(state.link_key, self.person.id, relative, now=time.time())

    @property
    def output_dir(self) -> Path:
        """Where their files are saved: the output folder, or on a team server their own folder inside it."""
        if self.person is None:
            return self._state.settings.heygen_output_dir
        return self._state.account(self.person).output_dir

    @property
    def cache(self) -> TTLCache:
        """Their cache: catalogue pages of their account, a produce call's checked cast and drafted script. On a
        team server each person has their own (another account's catalogue, or another person's draft, is not
        theirs to reuse)."""
        if self.person is None:
            return self._state.cache
        return self._state.account(self.person).cache

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
