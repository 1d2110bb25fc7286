"""The server's per-process state, made cheaply at start-up.

The HeyGen client (and, with HEYGEN_SANDBOX=1, the embedded sandbox it talks to) is built on
first use: importing the domain core and the sandbox is work a server that only lists its tools
never needs to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import HeyGenError
from ..core.store import PERSON_LIMIT, SERVER_LIMIT, Scope, ScopedJobs, SQLJobStore, import_journal
from ..core.webhooks import JobSignals
from ..settings import Settings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import httpx2

    from ..core.client import HeyGenClient
    from ..core.notify_pg import JobListener
    from ..core.people import People, Person
    from .tenant import Tenant


@dataclass
class TTLCache:
    """A small time-boxed cache for catalog pages (avatars, voices, styles, templates)."""

    ttl_s: float = 300.0
    _items: dict[Any, tuple[float, Any]] = field(default_factory=dict)

    def get(self, key: Any) -> Any | None:
        hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl_s:
            self._items.pop(key, None)
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> Any:
        self._items[key] = (time.monotonic(), value)
        return value

    def forget(self, *kinds: str) -> None:
        """Drop every entry whose key is a tuple starting with one of ``kinds`` (a catalogue that changed)."""
        for key in [k for k in self._items if isinstance(k, tuple) and k and k[0] in kinds]:
            del self._items[key]


@dataclass
class Wiring:
    """What the tools talk to, decided by ``house.make_wiring`` (the adapter never imports the sandbox).

    ``transport`` (None = the network) and ``base_url`` reach HeyGen. ``deepseek_stand_in`` is the base
    URL of the sandbox's DeepSeek stand-in, on the same transport (None = the real DEEPSEEK_BASE_URL).
    """

    transport: httpx2.AsyncBaseTransport | None
    base_url: str
    sandbox: Any = None
    deepseek_stand_in: str | None = None
    instance: str | None = None
    """Set when HeyGen is a sandbox living in this process: its jobs are its own (``Scope.of``)."""


@dataclass
class AppState:
    settings: Settings
    store: SQLJobStore
    poll_interval: float
    wiring: Callable[[], Wiring]
    cache: TTLCache = field(default_factory=TTLCache)
    signals: JobSignals = field(default_factory=JobSignals)
    """Wake-ups from the webhook receiver (HTTP mode): ``wait_for_job`` polls at once on news of its job."""
    send_queued: Callable[[Tenant, str], Awaitable[float | None]] | None = None
    """Sends a produce_videos batch's queued items that HeyGen's free slots take (``workflow/batches.py`` ``advance``);
    returns when HeyGen's 429 allows the next try. Set by the server: ``wait_for_job`` cannot import batches."""
    where: Callable[[], tuple[str, str | None]] | None = None
    """(base URL, instance) that ``wiring`` will give, told without building it (``house.make_where``)."""
    public_base: str | None = None
    """Where people reach this server (HTTP mode: HEYGEN_PUBLIC_URL or its address): signed file links use it."""
    link_key: bytes | None = None
    """The key that signs file links (``workflow.files.sign_link``), shared by every process of the server."""
    people: People | None = None
    """A team server's people (HTTP mode with people added by ``heygen-studio tokens``): each call is one of
    them, on their own account (``account``). None: the server serves its one user."""
    listener: JobListener | None = None
    """PostgreSQL: this process's ear for the other replicas' job news, while the server runs (``house.replicas``)."""
    _client: HeyGenClient | None = None
    _accounts: dict[str, Account] = field(default_factory=dict)
    _wired: Wiring | None = None
    _jobs: ScopedJobs | None = None
    _journal_read: bool = False

    @property
    def jobs(self) -> ScopedJobs:
        """This server's jobs: the shared store, scoped to the API and account it talks to."""
        if self._jobs is None:
            scope = Scope.of(self.wired.base_url, self.settings.api_key, instance=self.wired.instance)
            self._jobs = ScopedJobs(self.store, scope)
            self._read_journal()
        return self._jobs

    @property
    def recorded_jobs(self) -> ScopedJobs:
        """The same jobs, to read only (``list_jobs``): before anything was wired, scoped by ``where``, so listing
        them builds nothing (the embedded sandbox is not imported). Every tool that acts on a job uses ``jobs``."""
        if self._jobs is not None or self._wired is not None or self.where is None:
            return self.jobs
        base_url, instance = self.where()
        self._read_journal()
        return ScopedJobs(self.store, Scope.of(base_url, self.settings.api_key, instance=instance))

    def _read_journal(self) -> None:
        if self._journal_read:
            return
        self._journal_read = True
        try:
            import_journal(self.store, self.settings.legacy_journal)
        except HeyGenError as exc:  # an unreadable old journal must not block today's jobs
            logger.warning("could not import %s: %s", self.settings.legacy_journal, exc.describe())

    @property
    def wired(self) -> Wiring:
        if self._wired is None:
            self._wired = self.wiring()
        return self._wired

    @property
    def transport(self) -> httpx2.AsyncBaseTransport | None:
        """The HeyGen wire; in sandbox mode the DeepSeek stand-in is on it too."""
        return self.wired.transport

    @property
    def client(self) -> HeyGenClient:
        if self._client is None:
            self._client = self._new_client(self.settings.api_key, self.jobs, self.settings.heygen_daily_credits)
        return self._client

    def _new_client(self, api_key: str | None, jobs: ScopedJobs, daily_limit: float | None,
                    limit_from: str = SERVER_LIMIT) -> HeyGenClient:
        """A HeyGen client on this server's wiring and settings, for one key, its jobs and its daily limit (the
        server's user's, or a team server's person's: ``account``)."""
        from ..core.client import HeyGenClient

        s = self.settings
        return HeyGenClient(api_key=api_key, base_url=self.wired.base_url, timeout=s.heygen_timeout,
                            max_retries=s.heygen_max_retries, transport=self.wired.transport, jobs=jobs,
                            daily_limit=daily_limit, daily_limit_from=limit_from, require_budget=True)

    def account(self, person: Person) -> Account:
        """A person's own account on this server: their HeyGen key (or the server's), their jobs (the store
        scoped to their id as well as the key, so another person's job is not found), their folder under the
        output folder, their daily limit (theirs, or HEYGEN_DAILY_CREDITS). Made once per person per process."""
        account = self._accounts.get(person.id)
        if account is None:
            assert self.people is not None, "a person is served only by a team server"
            s = self.settings
            key = self.people.heygen_key(person) if person.has_own_key else s.api_key
            jobs = ScopedJobs(self.store, Scope.of(self.wired.base_url, key, instance=self.wired.instance,
                                                   person=person.id))
            own = person.daily_credits is not None
            limit = person.daily_credits if own else s.heygen_daily_credits
            client = self._new_client(key, jobs, limit, PERSON_LIMIT if own else SERVER_LIMIT)
            account = Account(person=person, client=client, jobs=jobs, daily_limit=limit,
                              output_dir=s.heygen_output_dir / "people" / person.id)
            self._accounts[person.id] = account
        return account

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        for account in self._accounts.values():
            await account.client.aclose()
        self.store.close()  # the people store is its owner's to close (``serving``: the verifier reads it too)


@dataclass
class Account:
    """One person's account on a team server (``AppState.account``)."""

    person: Person
    client: HeyGenClient
    jobs: ScopedJobs
    daily_limit: float | None
    output_dir: Path
    """Their folder: downloads land here and only here; it is the one folder they may read local files from."""
    cache: TTLCache = field(default_factory=TTLCache)
    """Their own cache (``Tenant.cache``): what is cached for one account or one person is not another's."""


@dataclass
class Live:
    """What a server shares beyond one lifespan: its wake-up signals, and its state while it runs (the
    HTTP-mode webhook receiver, outside MCP, reads both)."""

    signals: JobSignals = field(default_factory=JobSignals)
    state: AppState | None = None
    people: People | None = None
    """A team server's people (HTTP mode, set by ``serving``): every call is one of them (``AppState.people``)."""
    public_base: str | None = None
    link_key: bytes | None = None
    """HTTP mode: where people reach the server, and the key its signed file links are sealed with."""
