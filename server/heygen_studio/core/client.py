"""The HeyGen client: one resource namespace per API area over one ``HeyGenHTTP`` transport.

    async with HeyGenClient(api_key=...) as hg:
        look = (await hg.avatars.list_looks(ownership="public", limit=1)).items[0]
        created = await hg.videos.create_avatar(CreateAvatarVideo(avatar_id=look.id, script="Hi", voice_id=...))
        video = await hg.videos.get(created.video_id)

Each area lives in ``core/resources/<area>.py``; this module holds the composition and the
plumbing they share, including the one path every paid create takes (``create``):

1. its fingerprint is the ``Idempotency-Key`` (derived from the body, or the caller's ``identity``,
   plus an optional ``request_key``), computed once here;
   it is priced and held to the call's budget (``costs.before_paid``): over the limit it is refused, in
   a dry run it is returned unsent (nothing claimed), and a repeat of a job made already costs nothing;
2. it is *claimed* in the job store before anything is sent (``core/store.py``); a store that
   cannot be written refuses the create, so nothing is paid that could be lost;
3. an identical create already settled answers with that job; one in flight elsewhere is waited
   for; one whose answer was lost is reconciled with HeyGen before anything is sent again:
   v3 resends the same key (HeyGen replays it for 24 h), v2 (which takes no key) looks the job up
   by the title and ``callback_id`` marker it was sent with;
4. HeyGen's answer settles the claim; a refusal releases it; a lost answer marks it unknown.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import anyio

from . import concurrency, costs
from .errors import APIConnectionError, ConflictError, HeyGenError, InternalServerError, ResponseFormatError
from .http import Envelope, HeyGenHTTP, Sleep, UnguardedPaidRequest, idempotency_key_for
from .models import BatchDetail, CreatedVideo, Deleted, Page, RequestModel, Video
from .replicas import SharedLimit
from .resources import (
    Account,
    Assets,
    Avatars,
    Lipsyncs,
    Templates,
    Translations,
    VideoAgents,
    Videos,
    Voices,
    Webhooks,
)
from .resources._base import M, parse
from .store import SERVER_LIMIT, Job, StoreError

if TYPE_CHECKING:
    import httpx2

    from .store import Claim, JobRecord, RecordKind, ScopedJobs

logger = logging.getLogger(__name__)
REPLAY_WINDOW_S = 24 * 3600  # HeyGen replays a repeated Idempotency-Key for 24 h; the v2 stand-in matches
IN_FLIGHT_WAIT_S = 20.0  # how long an identical create waits for one in flight before saying so
RECONCILE_SLACK_S = 120.0  # clock skew allowed when matching a lost v2 create by its creation time


class CreateInFlightError(HeyGenError):
    """An identical paid create is being sent by another call right now."""

    default_hint = ("Nothing was sent twice. Call again in a few seconds: you will get that job; list_jobs "
                    "shows it meanwhile.")


class HTTPOptions(TypedDict, total=False):
    """``HeyGenHTTP``'s settings, passed through unchanged (its signature holds the defaults)."""

    base_url: str
    timeout: float
    max_retries: int
    transport: httpx2.AsyncBaseTransport | None
    sleep: Sleep | None


class HeyGenClient:
    """Async HeyGen API client. One instance shares one connection pool."""

    def __init__(
        self, *, api_key: str | None, jobs: ScopedJobs | None = None, daily_limit: float | None = None,
        daily_limit_from: str = SERVER_LIMIT, require_budget: bool = False, **options: Unpack[HTTPOptions]
    ) -> None:
        self.http = HeyGenHTTP(api_key=api_key, **options)
        if jobs is not None and api_key:  # one replica's 429 holds every replica off this key (core.replicas)
            self.http.limit = SharedLimit(jobs.store.shared, jobs.scope.key_holder)
        self.jobs = jobs
        self.daily_limit = daily_limit
        """Dollars this account may reserve in any 24 h (HEYGEN_DAILY_CREDITS), enforced in the job store."""
        self.daily_limit_from = daily_limit_from
        """Who sets it (``core.store.SERVER_LIMIT`` or ``PERSON_LIMIT``), for the store's refusal to name."""
        self.require_budget = require_budget
        """The server's client: a paid request must come from a view with a budget (``with_options(spend=…)``,
        made by the adapter's ``@paid``), so a tool that forgot it cannot pay without a limit, a dry run or a
        confirmation."""
        self._resources()

    def _resources(self) -> None:
        self.video_agents = VideoAgents(self)
        self.videos = Videos(self)
        self.assets = Assets(self)
        self.avatars = Avatars(self)
        self.voices = Voices(self)
        self.account = Account(self)
        self.templates = Templates(self)
        self.translations = Translations(self)
        self.lipsyncs = Lipsyncs(self)
        self.webhooks = Webhooks(self)

    @property
    def spend(self) -> costs.Spend | None:
        """The budget of the call this view serves (None on the root client)."""
        return self.http.spend

    def with_options(self, *, spend: costs.Spend | None = None, rate_limit_wait: float | None = None) -> HeyGenClient:
        """This client for one call: the same key, pool and job store, held to ``spend`` (a paid call's budget: a
        dry run sends no write; every paid request is priced and checked against it) and waiting out a 429 at
        most ``rate_limit_wait`` seconds inside a request (0: the caller honours ``Retry-After`` itself)."""
        view = copy.copy(self)
        view.http = self.http.with_options(spend=spend, rate_limit_wait=rate_limit_wait)
        view._resources()
        return view

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> HeyGenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- shared plumbing -----------------------------------------------------------------------
    async def get(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        env = await self.http.request("GET", path, params=params)
        return parse(model, env.data, f"GET {path}")

    async def list(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> Page[M]:
        env = await self.http.request("GET", path, params=params)
        return self.page(model, env, f"GET {path}")

    @staticmethod
    def page(model: type[M], env: Envelope, where: str) -> Page[M]:
        if not isinstance(env.data, list):
            raise ResponseFormatError(f"{where}: expected a list in 'data'")
        items = [parse(model, item, where) for item in env.data]
        return Page[model](items=items, has_more=bool(env.has_more), next_token=env.next_token or None)  # type: ignore[valid-type]

    async def batch(self, path: str, *, page_size: int = 100, max_pages: int = 10) -> BatchDetail:
        """A batch's detail with every item: the GET pages the items inside ``data`` (items, has_more,
        next_token), so the pages are read and joined here (at most ``max_pages`` of ``page_size``)."""
        detail = await self.get(path, BatchDetail, {"limit": page_size})
        pages = 1
        while detail.has_more and detail.next_token and pages < max_pages:
            more = await self.get(path, BatchDetail, {"limit": page_size, "token": detail.next_token})
            detail.items += more.items
            detail.has_more, detail.next_token = more.has_more, more.next_token
            pages += 1
        return detail

    async def send(
        self,
        method: str,
        path: str,
        model: type[M],
        body: RequestModel | dict[str, Any] | None = None,
        *,
        request_key: str | None = None,
        idempotent: bool = True,
        identity: Any = None,
    ) -> tuple[M, Envelope]:
        """A free v3 write. ``idempotent`` writes carry an Idempotency-Key derived from the job's identity:
        the body, unless the body holds something that changes between attempts at the same job (a
        presigned URL, re-signed on every read), when the caller says what the job is instead. A write HeyGen
        charges for goes through ``create`` instead: sent from here, ``HeyGenHTTP`` refuses it."""
        payload = body.body() if isinstance(body, RequestModel) else body
        key = idempotency_key_for(method, path, payload if identity is None else identity, request_key) \
            if idempotent else None
        env = await self.http.request(method, path, json_body=payload, idempotency_key=key)
        return parse(model, env.data, f"{method} {path}"), env

    async def create(self, path: str, model: type[M], req: RequestModel, job: Job, job_id_of: Callable[[M], str],
                     *, request_key: str | None = None, identity: Any = None,
                     seconds: costs.Seconds = None) -> tuple[M, Envelope]:
        """A paid v3 create, priced, then claimed in the job store before it is sent (see the module docstring).

        A repeat resends the same Idempotency-Key, so HeyGen answers with the original job and charges
        nothing (``Envelope.replayed``); the claim only makes the repeat wait for one in flight, and keeps
        a create whose answer was lost in ``list_jobs``. ``seconds``: a length the body does not state, for
        the estimate (a translation's source video; for a batch, one per item). A batch create
        (``/v3/videos/batches``…) takes this same path: one key, one claim, priced as the sum of its items."""
        payload = req.body()
        key = idempotency_key_for("POST", path, payload if identity is None else identity, request_key)
        paid = self._price(path, payload, key, job, seconds=seconds)
        concurrency.hold(job, payload)
        claim = await self._claim(key, job, reconcile=None, paid=paid)
        if isinstance(claim, str):  # cannot happen without a reconciler; keeps the types honest
            raise ResponseFormatError(f"POST {path}: unexpected replay")
        env = await self._guarded(claim, self.http.request("POST", path, json_body=payload, idempotency_key=key,
                                                           paid=paid))
        created = parse(model, env.data, f"POST {path}")
        self._settle(claim, job_id_of(created), job)
        return created, env

    async def send_v2_create(self, path: str, req: RequestModel, job: Job, *,
                             request_key: str | None) -> CreatedVideo:
        """A v2 video create (generateStudioVideoV2, generateFromTemplateV2). These take no
        Idempotency-Key, so the job store stands in for one: the same body within 24 h returns the
        recorded job (``replayed=True``) and charges nothing. The request carries a marker
        (``callback_id``, and a title when the caller gave none) so that a create whose answer was
        lost can be found at HeyGen (listVideos by title) instead of being sent blind."""
        body = req.body()
        key = idempotency_key_for("POST", path, body, request_key)  # the v3 recipe: the store's fingerprint
        marker = f"hs-{key[:24]}"
        body = {**body, "callback_id": body.get("callback_id") or marker}
        if not body.get("title"):
            body["title"] = f"heygen-studio {marker}"
        job.title = str(body["title"])
        paid = self._price(path, body, key, job)
        concurrency.hold(job, body)
        claim = await self._claim(key, job, reconcile=lambda rec: self._find_v2(str(body["title"]), rec), paid=paid)
        if isinstance(claim, str):
            return CreatedVideo(video_id=claim, status="submitted", replayed=True)
        env = await self._guarded(claim, self.http.request("POST", path, json_body=body, envelope="v2", paid=paid))
        created = parse(CreatedVideo, env.data, f"POST {path}")
        self._settle(claim, created.video_id, job, api="v2")
        return created

    def _price(self, path: str, body: dict[str, Any], key: str, job: Job, *,
               seconds: costs.Seconds = None) -> costs.PaidRequest | None:
        """Price a paid create and hold it to the call's spending rules (a dry run stops here, before any claim);
        the estimate is kept with the job. The priced request is the admission ``HeyGenHTTP`` asks of it."""
        if self.require_budget and self.spend is None:
            raise UnguardedPaidRequest(f"POST {path} is charged by HeyGen but the call that built it set no budget "
                                       "(a paid tool without @paid); it was not sent")
        paid = costs.before_paid("POST", path, body, self.spend, seconds=seconds, replay_of=self._replay_of(key))
        if paid is not None:
            job.data.setdefault("estimated_usd", paid.estimate.usd)
        return paid

    def _replay_of(self, key: str | None) -> str | None:
        """The job an identical create already made within the replay window (repeating it costs nothing)."""
        if key is None or self.jobs is None:
            return None
        record = self.jobs.find(key, max_age_s=REPLAY_WINDOW_S)
        return record.job_id if record is not None and record.job_id else None

    async def _find_v2(self, title: str, rec: JobRecord) -> str | None:
        """The video a lost v2 create made, if HeyGen lists one with its title made after the claim."""
        page = await self.list("/v3/videos", Video, {"title": title, "limit": 20})
        since = rec.created_at - RECONCILE_SLACK_S
        found = [v for v in page.items if v.title == title and (v.created_at or 0) >= since]
        return min(found, key=lambda v: v.created_at or 0).id if found else None

    async def _claim(self, key: str, job: Job, reconcile: Callable[[JobRecord], Awaitable[str | None]] | None,
                     paid: costs.PaidRequest | None) -> Claim | str | None:
        """Claim ``key`` for a create, reserving its cost against the daily limit; a job id (str) when a v2 create
        is already paid for; None without a store."""
        if self.jobs is None:
            if self.daily_limit is not None:
                raise StoreError("A daily spending limit is set but there is no job store to keep it in")
            return None
        cost = paid.usd if paid is not None else 0.0
        deadline = time.monotonic() + IN_FLIGHT_WAIT_S
        while True:
            claim = self.jobs.claim(key, job.kind, title=job.title, data=job.data, cost=cost,
                                    daily_limit=self.daily_limit, limit_from=self.daily_limit_from)
            if claim.state == "in_flight":
                if time.monotonic() > deadline:
                    raise CreateInFlightError("An identical create is being sent by another call right now")
                await anyio.sleep(0.2)
                continue
            if reconcile is None or claim.record is None:
                return claim
            if claim.state == "submitted" and claim.record.job_id:
                return claim.record.job_id
            if claim.state == "unknown":  # sent before, answer lost: ask HeyGen before sending again
                found = await reconcile(claim.record)
                if found is not None:
                    self.jobs.settle(claim, found, **job.data)
                    return found
                return self.jobs.retake(claim)
            return claim

    async def _guarded(self, claim: Claim | None, request: Awaitable[Envelope]) -> Envelope:
        """Send; on failure leave the claim as the failure says: released, or unknown."""
        try:
            return await request
        except BaseException as exc:
            if claim is not None and self.jobs is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        if _certainly_not_created(exc):
                            self.jobs.release(claim)
                        else:
                            self.jobs.mark_unknown(claim)
                    except HeyGenError as store_exc:
                        logger.error("job store: %s", store_exc.describe())
            raise

    def _settle(self, claim: Claim | None, job_id: str, job: Job, **data: Any) -> None:
        if claim is None or self.jobs is None:
            return
        try:
            self.jobs.settle(claim, job_id, **job.data, **data)
        except HeyGenError as exc:  # the job exists at HeyGen: never turn a paid create into an error
            logger.error("job %s was created but could not be recorded: %s", job_id, exc.describe())

    async def delete(self, path: str, *, where: str, fallback: dict[str, Any]) -> Deleted:
        """A DELETE; HeyGen may answer with empty ``data``, when ``fallback`` describes the deletion."""
        env = await self.http.request("DELETE", path)
        return parse(Deleted, env.data or fallback, where)

    def remember(self, kind: RecordKind, job_id: str, *, key: str | None, title: str | None, **extra: Any) -> None:
        """Record a job (or an upload) that needs no claim; a store failure is logged, not raised."""
        if self.jobs is not None:
            try:
                self.jobs.record(kind=kind, job_id=job_id, key=key, title=title, **extra)
            except HeyGenError as exc:
                logger.error("could not record %s %s: %s", kind, job_id, exc.describe())


def _certainly_not_created(exc: BaseException) -> bool:
    """True when HeyGen cannot have made the job: it refused the request, or never received it."""
    if isinstance(exc, APIConnectionError):
        return not exc.maybe_received
    if isinstance(exc, InternalServerError | ConflictError | ResponseFormatError):
        return False  # a 5xx may come after the work was done; 409: the same key is in flight there
    # a 4xx is a refusal; ConfigError/InputError are raised before anything is sent;
    # anything else (a cancelled call, a bug) may have left after sending: unknown
    return isinstance(exc, HeyGenError)
