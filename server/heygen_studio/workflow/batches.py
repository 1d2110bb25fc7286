"""Batches and series (issue 9 §1): ``produce_videos`` makes many videos from one call.

Three forms, one tool: a series (``topics`` + ``brief_template``), one message in many languages (``brief`` +
``languages``, a native voice per language) and a list (``items``). Each item goes the way of ``produce_video``
(script, avatar and voice, create); the call returns once every item is submitted or queued, with a ``batch:``
job id that ``wait_for_job`` (aggregate progress) and ``download_video`` (every finished file, one folder per
batch) take.

How the items are sent: the items whose create is a ``POST /v3/videos`` body (the ``avatar`` route), two or
more, go to HeyGen as ONE ``POST /v3/videos/batches`` (``Videos.create_batch``: priced as the sum of its items,
claimed in the job store with its Idempotency-Key before it is sent, like any paid create); HeyGen names each
video later, in the batch's detail, which ``workflow/jobs.py`` reads for progress, failures (each item's
``error``) and downloads. The others (the ``studio`` route's ``/v2/video/generate``, the ``agent`` route's
``/v3/video-agents``, or a lone item) are single guarded creates. Each item's body is taken from a dry run of
its single create, so the batch carries exactly what ``POST /v3/videos`` would have.

Never paid twice: the batch and each item are journaled in the job store, keyed by a hash of the batch's
arguments and the item's place in it, *before* anything is paid (the item's script, avatar and voice), so a
repeat call sends the same bodies (the client's claim and HeyGen's Idempotency-Key replay them) or finds each
item's job (or its place in a HeyGen batch) and sends nothing. The whole batch is priced and held to
``max_credits`` before anything is sent; ``dry_run`` shows the one batch request with its real body. One failed
item never stops the others; its reason is kept (a refused batch request: every item in it says why, and a
repeat sends it again).

HeyGen's concurrency limit (``HEYGEN_CONCURRENCY``, Pay-As-You-Go 10 video jobs at once; more get 429 with
``Retry-After``): the call sends only what the free slots take, as many chunks of at most that many items, and
journals the rest as *queued*; ``wait_for_job`` on the batch sends queued items as slots free (``advance``). Free
slots come from the job store, which every server process of the user shares (``core/concurrency.py``), and a
429 is never slept inside a call: nothing is sent before its ``Retry-After``. The whole batch is priced and held
to ``max_credits`` by this call; the queued items are sent later exactly as priced.

Scripts: a script model the server calls (``DEEPSEEK_API_KEY``, the sandbox's stand-in), or else the client's
own model by sampling, one request per item inside the one call: the adapter asks it before the call
(``item_request`` says what for each item) and passes the answers in (``produce_videos(drafts=…)``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal, NoReturn, Protocol

import anyio
from pydantic import BaseModel, Field, TypeAdapter

from ..core import concurrency, costs
from ..core.errors import HeyGenError, RateLimitError
from ..core.models import CreateVideoBatch, VideoRequest
from ..core.scripts import Script, ScriptRequest
from .errors import Refused
from .inputs import not_blank
from .jobs import make_job_id
from .scripts import ROUTE_FORMAT, Drafted, Orientation, Route, cast, draft, submit, titled, unpack
from .tenant import Tenant
from .videos import Report

MAX_ITEMS = 50  # a series longer than HeyGen's concurrency limit is queued (``advance``)
_VIDEO: TypeAdapter[Any] = TypeAdapter(VideoRequest)


class Item(Protocol):
    """One video of an ``items`` batch (the adapter's argument model)."""

    brief: str
    language: str | None
    avatar_id: str | None
    voice_id: str | None



class ItemOut(BaseModel):
    index: int
    label: str
    language: str
    job_id: str | None = None
    state: Literal["submitted", "resumed", "queued", "failed"]
    failure: str | None = None


class BatchOut(BaseModel):
    job_id: str
    items: list[ItemOut]
    submitted: int = Field(description="Items sent (and paid) by this call.")
    queued: int = Field(0, description="Items waiting for a free HeyGen slot; wait_for_job sends them.")
    resumed: bool = Field(False, description="True: an earlier call made this batch; only what was missing was sent.")
    note: str | None = None
    next_step: str


def _plans(items: Sequence[Item] | None, topics: list[str] | None, brief_template: str | None, brief: str | None,
           languages: list[str] | None, language: str, avatar_id: str | None,
           voice_id: str | None) -> list[dict[str, Any]]:
    """The batch's items as plain dicts (brief, language, avatar_id, voice_id, label); refuses a mixed form."""
    forms = [items is not None, topics is not None, languages is not None]
    if sum(forms) != 1:
        raise Refused("Pass exactly one of: items=[...], topics=[...] with brief_template, or brief with "
                      "languages=[...]. Nothing was sent.")
    if items is not None:
        if brief or brief_template:
            raise Refused("With items, put each brief in its item (brief and brief_template are for the other "
                          "forms). Nothing was sent.")
        plans = []
        for item in items:
            not_blank(item.brief, "brief")
            plans.append({"brief": item.brief.strip(), "language": item.language or language,
                          "avatar_id": item.avatar_id or avatar_id, "voice_id": item.voice_id or voice_id,
                          "label": " ".join(item.brief.split())[:60]})
    elif topics is not None:
        if not brief_template or "{topic}" not in brief_template:
            raise Refused("topics needs brief_template containing {topic}, e.g. 'A 30 second tip about {topic}'. "
                          "Nothing was sent.")
        for topic in topics:
            not_blank(topic, "topic")
        plans = [{"brief": brief_template.replace("{topic}", t.strip()), "language": language,
                  "avatar_id": avatar_id, "voice_id": voice_id, "label": " ".join(t.split())[:60]} for t in topics]
    else:
        assert languages is not None
        if not brief:
            raise Refused("languages needs brief (the one message to say in each language). Nothing was sent.")
        not_blank(brief, "brief")
        for lang in languages:
            not_blank(lang, "language")
        if len({lang.strip().lower() for lang in languages}) != len(languages):
            raise Refused("languages has a repeat; list each language once. Nothing was sent.")
        plans = [{"brief": brief.strip(), "language": lang.strip(), "avatar_id": avatar_id,
                  "voice_id": voice_id if len(languages) == 1 else None, "label": lang.strip()}
                 for lang in languages]
        # One voice cannot be native to every language: each language gets its own (named in the answer).
    if not 1 <= len(plans) <= MAX_ITEMS:
        raise Refused(f"A batch has 1 to {MAX_ITEMS} items; split a longer list. Nothing was sent.")
    return plans


def batch_key(plans: list[dict[str, Any]], route: str, duration_s: int, orientation: str) -> str:
    payload = json.dumps([[p["brief"], p["language"].lower(), p["avatar_id"], p["voice_id"]] for p in plans]
                         + [route, duration_s, orientation])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def item_request(state: Tenant, index: int, *, items: Sequence[Item] | None, topics: list[str] | None,
                 brief_template: str | None, brief: str | None, languages: list[str] | None, language: str,
                 avatar_id: str | None, voice_id: str | None, route: Route, duration_s: int,
                 orientation: str) -> ScriptRequest | None:
    """What to ask the client's own model for item ``index`` of a batch, before the call (the adapter asks it, by
    sampling, and passes the answer as ``produce_videos(drafts=…)``): None when there is nothing to ask (a script
    model is set here, no such item, its script is journaled or cached already, or the call will be refused)."""
    if state.settings.deepseek_api_key is not None:
        return None
    try:
        plans = _plans(items, topics, brief_template, brief, languages, language, avatar_id, voice_id)
    except Refused:
        return None  # the tool says what is wrong, without asking anything first
    if index >= len(plans):
        return None
    bid = batch_key(plans, route, duration_s, orientation)
    key = f"batchitem:{bid}:{index}"
    previous = state.jobs.find(key)
    if (previous is not None and previous.get("script")) or state.cache.get(("produce-script", key)):
        return None
    return ScriptRequest(topic=plans[index]["brief"], duration_s=duration_s, language=plans[index]["language"],
                         format=ROUTE_FORMAT[route])


async def _prepare(state: Tenant, key: str, plan: dict[str, Any], route: Route, duration_s: int,
                   sampled: Drafted | None, client_samples: bool) -> tuple[Script, str, str, str | None]:
    """One item's script, avatar and voice: from the journal, the cache (a dry run's), the client's model
    (``sampled``: its answer, asked for before the call, see ``item_request``), or made now."""
    previous = state.jobs.find(key)
    if previous is not None and previous.get("script"):
        return (Script.model_validate(previous.get("script")), previous.get("avatar_id"), previous.get("voice_id"),
                None)
    avatar_id, voice_id, note = await cast(state, key, plan["avatar_id"], plan["voice_id"], plan["language"])
    req = ScriptRequest(topic=plan["brief"], duration_s=duration_s, language=plan["language"],
                        format=ROUTE_FORMAT[route])
    cached = state.cache.get(("produce-script", key))
    if cached is not None:
        return titled(Script.model_validate(cached)), avatar_id, voice_id, note
    drafted = sampled if sampled is not None else await draft(state, req, client_samples=client_samples)
    if not isinstance(drafted, Drafted):  # no answer was asked for this item (cannot be)
        raise Refused("This item's script could not be drafted with your client's model; set DEEPSEEK_API_KEY "
                      "or call again.")
    script, _, _, _ = unpack(drafted, req)
    state.cache.put(("produce-script", key), script.model_dump(mode="json"))
    return script, avatar_id, voice_id, note


async def _price(state: Tenant, route: Route, script: Script, avatar_id: str, voice_id: str,
                 orientation: Orientation, duration_s: int) -> costs.PaidRequest | None:
    """The item's create as it would be sent, with its estimate (a dry run of that one create)."""
    try:
        await submit(state.paying(costs.Spend(dry_run=True)), route, script, avatar_id, voice_id, orientation,
                      duration_s)
    except costs.Preview as stop:
        return stop.request
    return None


def _batch_request(bid: str, bodies: list[dict[str, Any]], chunk: int = 0) -> CreateVideoBatch:
    """The POST /v3/videos/batches body for these items (each exactly as its POST /v3/videos). Its title is
    the local batch's id (and the chunk's number after the first), so a repeat sends the same body (and the
    same Idempotency-Key)."""
    title = f"heygen-studio {bid[:12]}" + (f" part {chunk + 1}" if chunk else "")
    return CreateVideoBatch(videos=[_VIDEO.validate_python(b) for b in bodies], title=title)


def _preview(bid: str, every: dict[int, costs.PaidRequest], total: costs.Estimate, spend: costs.Spend,
             limit: int) -> NoReturn:
    """A dry run's answer: the request(s) exactly as they would be sent first (at most ``limit`` items, HeyGen's
    concurrency limit: the rest would be queued), and the whole batch's estimate."""
    priced = {i: every[i] for i in sorted(every)[:limit]}
    later = len(every) - len(priced)
    queued = (f" {later} more item(s) would be queued and sent as HeyGen frees slots (at most {limit} video jobs "
              "at once); the estimate covers every item.") if later else ""
    grouped = [i for i in sorted(priced) if priced[i].path == "/v3/videos"]
    grouped = grouped if len(grouped) >= 2 else []
    singles = [i for i in sorted(priced) if i not in grouped]
    if grouped:
        batch_req = _batch_request(bid, [priced[i].body for i in grouped])
        request = costs.PaidRequest("POST", "/v3/videos/batches", batch_req.body(), total)
        note = f"One request of POST /v3/videos/batches with {len(grouped)} videos (the body shown)."
        if singles:
            note += f" Besides, {len(singles)} single create(s): " + "; ".join(
                f"item {i + 1}: {priced[i].method} {priced[i].path}" for i in singles)
        raise costs.Preview(request, spend, note=note + queued)
    first = priced[min(priced)]
    if len(priced) == 1:  # one request: its body exactly as it would be sent
        raise costs.Preview(costs.PaidRequest(first.method, first.path, first.body, total), spend,
                            note=queued.strip() or None)
    combined = costs.PaidRequest(first.method, first.path, {"items": [priced[i].body for i in sorted(priced)]}, total)
    raise costs.Preview(combined, spend, note=f"{len(priced)} requests of {first.method} {first.path}, one per "
                                              "item, each with the body listed (these items do not fit HeyGen's "
                                              "video batch)." + queued)


def _reason(exc: Exception) -> str:
    if isinstance(exc, HeyGenError):
        return exc.describe()
    return str(exc) or type(exc).__name__


async def produce_videos(
    state: Tenant,
    *,
    items: Sequence[Item] | None = None,
    topics: list[str] | None = None,
    brief_template: str | None = None,
    brief: str | None = None,
    languages: list[str] | None = None,
    route: Route = "avatar",
    avatar_id: str | None = None,
    voice_id: str | None = None,
    duration_s: int = 30,
    orientation: Orientation = "landscape",
    language: str = "en",
    max_parallel: int = 3,
    drafts: Sequence[Drafted | None] = (),
    client_samples: bool = False,
    progress: Report,
) -> BatchOut:
    """For many videos at once (a series over topics, or a list): topics + brief_template, one brief in many
    languages, or items (avatar route: one HeyGen batch). Paid (each render): ``state.spend`` is the call's budget.
    ``drafts``: each item's script from the client's model, asked for before the call (``item_request``);
    ``client_samples``: the client's model could have been asked. Returns a batch: job id; items beyond HeyGen's
    concurrency limit are queued and wait_for_job sends them. Repeating resumes (never pays twice)."""
    spend = state.spend if state.spend is not None else costs.Spend()  # a paid call's budget; none: no limit
    plans = _plans(items, topics, brief_template, brief, languages, language, avatar_id, voice_id)
    bid = batch_key(plans, route, duration_s, orientation)
    job_id = make_job_id("batch", bid)
    keys = [f"batchitem:{bid}:{i}" for i in range(len(plans))]
    earlier = state.jobs.find(f"batch:{bid}")
    done = {i: rec.job_id or None for i, key in enumerate(keys)
            if (rec := state.jobs.find(key)) is not None and (rec.job_id or rec.get("hg_batch"))}
    if len(done) == len(plans):
        costs.nothing_to_send(spend, f"Every item of {job_id} is already made or rendering: calling without dry_run "
                              "pays for nothing.")
    limiter = anyio.CapacityLimiter(max_parallel)
    ready: dict[int, tuple[Script, str, str, str | None]] = {}
    failures: dict[int, str] = {}

    async def prepare(i: int) -> None:
        async with limiter:
            try:
                ready[i] = await _prepare(state, keys[i], plans[i], route, duration_s,
                                          drafts[i] if i < len(drafts) else None, client_samples)
            except HeyGenError as exc:
                failures[i] = _reason(exc)

    await progress(2, 100, "scripts")
    async with anyio.create_task_group() as tg:
        for i in range(len(plans)):
            if i not in done:
                tg.start_soon(prepare, i)
    if not ready and not done:
        raise Refused("No item could be prepared, so nothing was sent: "
                      + "; ".join(f"item {i + 1}: {why}" for i, why in sorted(failures.items())))

    # Price the whole batch before the first item is sent (a dry run of each create gives its exact body).
    priced: dict[int, costs.PaidRequest] = {}
    for i, (script, look, voice, _) in sorted(ready.items()):
        request = await _price(state, route, script, look, voice, orientation, duration_s)
        if request is not None:
            priced[i] = request
    if priced:
        total = costs.Estimate()
        for i, request in sorted(priced.items()):
            total.merge(request.estimate, prefix=f"item {i + 1}: ")
        if costs.previewing(spend):
            _preview(bid, priced, total, spend, state.settings.heygen_concurrency)
        if spend.limit is not None and spend.usd + total.usd > spend.limit:
            raise Refused(f"This batch would cost about {costs.usd(total.usd)} ({len(priced)} videos), over the "
                          f"limit of {costs.usd(spend.limit)} set by {spend.limit_from}. Nothing was sent or "
                          "charged; raise it, or make fewer or shorter videos (dry_run=true shows every request).")

    # Journal before paying: the batch (with what its items' bodies are made from, so that wait_for_job can send
    # the queued ones) and each item's plan (script, avatar, voice), queued until a HeyGen slot takes it.
    if not costs.previewing(spend):
        kept = {k: earlier.get(k) for k in ("chunks", "not_before", "slots_seen")} if earlier is not None else {}
        state.jobs.record(kind="batch", job_id=bid, key=f"batch:{bid}", title=f"{len(plans)} videos",
                          items=[{"key": k, "label": p["label"], "language": p["language"]}
                                 for k, p in zip(keys, plans, strict=True)], route=route, orientation=orientation,
                          duration_s=duration_s, estimated_usd=round(total.usd, 4) if priced else None, **kept)
        for i, (script, look, voice, _) in ready.items():
            previous = state.jobs.find(keys[i])
            state.jobs.record(kind="produce_plan", job_id="", key=keys[i], title=script.title,
                              script=script.model_dump(mode="json"), avatar_id=look, voice_id=voice, queued=True,
                              chunk=previous.get("chunk") if previous is not None else None)

    await progress(10, 100, "submitting")
    moved = await advance(state, bid, max_parallel=max_parallel)
    failures.update(moved.failures)
    await progress(100, 100, "submitted")

    out = []
    for i, plan in enumerate(plans):
        state_name: Literal["submitted", "resumed", "queued", "failed"] = (
            "submitted" if i in moved.sent else "resumed" if i in done else "queued" if i in moved.queued
            else "failed")
        out.append(ItemOut(index=i + 1, label=plan["label"], language=plan["language"],
                           job_id=moved.sent.get(i) or done.get(i), state=state_name, failure=failures.get(i)))
    notes = sorted({n for (_, _, _, n) in ready.values() if n})
    if len(moved.remotes) == 1:
        notes.append(f"{moved.grouped} videos were sent as one POST /v3/videos/batches (HeyGen batch "
                     f"{moved.remotes[0]}); wait_for_job names each video once HeyGen has made it.")
    elif moved.remotes:
        notes.append(f"{moved.grouped} videos were sent as {len(moved.remotes)} POST /v3/videos/batches; "
                     "wait_for_job names each video once HeyGen has made it.")
    step = f"wait_for_job('{job_id}') until done, then download_video('{job_id}') saves every MP4."
    if moved.queued:
        notes.append(moved.queue_note(state.settings.heygen_concurrency))
        step = (f"wait_for_job('{job_id}') until done: it sends the {len(moved.queued)} queued item(s) as HeyGen "
                f"frees slots (priced already, never paid twice); then download_video('{job_id}').")
    if failures:
        step = (f"{len(failures)} item(s) could not be submitted (see failure); the rest go on. Fix the cause and "
                f"call produce_videos again with the same arguments (only those are sent), or {step}")
    return BatchOut(job_id=job_id, items=out, submitted=len(moved.sent), queued=len(moved.queued),
                    resumed=earlier is not None, note=" ".join(notes) or None, next_step=step)


# -- HeyGen's concurrency limit: send what the free slots take, queue the rest -------------------------------------
RETRY_WITHOUT_HINT_S = 10.0  # a 429 without Retry-After: the wait before the next try


@dataclass
class Advanced:
    """What one ``advance`` did: the items it sent (a job id, or None for an item of a HeyGen batch, named
    later), those refused (why), the HeyGen batches made, and the items still queued (not before
    ``retry_at``, a 429's Retry-After, as a ``time.time()``)."""

    sent: dict[int, str | None] = dc_field(default_factory=dict)
    failures: dict[int, str] = dc_field(default_factory=dict)
    remotes: list[str] = dc_field(default_factory=list)
    grouped: int = 0
    queued: list[int] = dc_field(default_factory=list)
    retry_at: float | None = None

    def queue_note(self, limit: int) -> str:
        note = (f"{len(self.queued)} item(s) queued: HeyGen runs at most {limit} video jobs at once on this account "
                "(HEYGEN_CONCURRENCY); wait_for_job sends them as slots free.")
        if self.retry_at is not None:
            wait = max(0.0, self.retry_at - time.time())
            note += f" HeyGen answered 429 (busy): nothing more is sent for {wait:.0f} s (its Retry-After)."
        return note


async def advance(state: Tenant, bid: str, *, max_parallel: int = 3) -> Advanced:
    """Send the queued items of produce_videos batch ``bid`` that HeyGen's free slots take now.

    Free slots: ``HEYGEN_CONCURRENCY`` less what the job store says is running (``core/concurrency.py``: every
    process's jobs of this account). Items go in index order; two or more ``POST /v3/videos`` bodies as one
    ``POST /v3/videos/batches`` (a *chunk*), the others as single creates. A chunk's members are journaled
    before it is sent, so a chunk whose answer was lost is sent again exactly (the same body, so the same
    Idempotency-Key: HeyGen replays it) before anything new. A 429 is never waited out inside the call
    (a queueing client): the items stay queued, nothing is sent before its ``Retry-After``, and a refused
    chunk (nothing made) is dissolved and fewer go at once. Bodies are remade from the journal exactly as
    produce_videos priced them (the call that approved and priced the whole batch)."""
    if state.spend is None:  # from wait_for_job: the queued items go under the budget they were agreed with
        state = state.paying(queued_budget(state, bid))
    return await _advance(state, bid, max_parallel=max_parallel)


def queued_budget(state: Tenant, bid: str) -> costs.Spend:
    """The budget of queued items sent after their produce_videos call: what that call agreed to spend on the
    whole batch (its estimate, journaled with the batch), less nothing: each item was part of it. The daily
    limit (HEYGEN_DAILY_CREDITS) still holds, at each claim."""
    batch = state.jobs.find(f"batch:{bid}")
    agreed = batch.get("estimated_usd") if batch is not None else None
    return costs.Spend(limit=float(agreed) if isinstance(agreed, int | float) and agreed > 0 else None,
                       limit_from="the estimate produce_videos agreed for this batch")


async def _advance(state: Tenant, bid: str, *, max_parallel: int = 3) -> Advanced:
    out = Advanced()
    batch = state.jobs.find(f"batch:{bid}")
    if batch is None or batch.kind != "batch":
        return out
    keys = [str(item.get("key")) for item in batch.get("items") or []]
    plans = {i: plan for i, key in enumerate(keys) if (plan := state.jobs.find(key)) is not None}
    queue = [i for i, plan in sorted(plans.items())
             if plan.get("queued") and not plan.job_id and not plan.get("hg_batch")]
    out.queued = list(queue)
    if not queue:
        return out
    not_before = float(batch.get("not_before") or 0)
    if time.time() < not_before:
        out.retry_at = not_before
        return out
    # HEYGEN_CONCURRENCY, or fewer when HeyGen's 429s showed this account runs fewer (learned below)
    limit = min(state.settings.heygen_concurrency, int(batch.get("slots_seen") or state.settings.heygen_concurrency))
    held = await concurrency.in_flight(state.client, state.jobs)
    free = limit - held
    route: Route = batch.get("route") or "avatar"
    orientation: Orientation = batch.get("orientation") or "landscape"
    duration_s = int(batch.get("duration_s") or 30)
    limiter = anyio.CapacityLimiter(max_parallel)

    def keep(i: int, **changes: Any) -> None:
        """Rewrite item ``i``'s plan row with ``changes`` (None removes a field)."""
        plan = plans[i]
        data = {k: v for k, v in {**plan.data, **changes}.items() if v is not None}
        plans[i] = state.jobs.record(kind="produce_plan", job_id="", key=keys[i], title=plan.title, **data)

    def busy(exc: RateLimitError, tried: list[int]) -> None:
        """A 429: nothing was made. Wait as HeyGen says, and take the account to run what ran then (or half
        what was tried, when nothing ran): fewer are sent at once from now on, so the 429s stop."""
        nonlocal limit
        out.retry_at = time.time() + (exc.retry_after if exc.retry_after is not None else RETRY_WITHOUT_HINT_S)
        running = held + sum(1 for i in out.sent if i not in tried)
        limit = max(1, min(limit, max(running, len(tried) // 2)))
        state.jobs.update(bid, not_before=round(out.retry_at, 3), slots_seen=limit)

    def fitted() -> None:
        """A create went through: probe one slot more next time (up to HEYGEN_CONCURRENCY), in case a 429 was
        caused by jobs that have ended since."""
        nonlocal limit
        if limit < state.settings.heygen_concurrency:
            limit += 1
            state.jobs.update(bid, slots_seen=limit)

    async def single(i: int) -> None:
        plan = plans[i]
        script = Script.model_validate(plan.get("script"))
        async with limiter:
            try:
                made = await submit(state, route, script, plan.get("avatar_id"), plan.get("voice_id"),
                                     orientation, duration_s)
            except RateLimitError as exc:
                busy(exc, [i])
                return
            except HeyGenError as exc:
                out.failures[i] = _reason(exc)
                keep(i, queued=None, failure=out.failures[i][:300])
                return
        out.sent[i] = made
        fitted()
        state.jobs.record(kind="produce", job_id=made, key=keys[i], title=script.title,
                          script=script.model_dump(mode="json"), avatar_id=plan.get("avatar_id"),
                          voice_id=plan.get("voice_id"), batch=bid)

    async def together(take: list[int], bodies: list[dict[str, Any]], chunk: int) -> None:
        if any(plans[i].get("chunk") is None for i in take):  # journal the chunk before it is paid for
            for i in take:
                keep(i, chunk=chunk)
            state.jobs.update(bid, chunks=max(chunk + 1, int(batch.get("chunks") or 0)))
        try:
            remote = (await state.client.videos.create_batch(_batch_request(bid, bodies, chunk), part_of=bid)).ident
        except RateLimitError as exc:  # refused whole, nothing made: the chunk is dissolved
            busy(exc, take)
            for i in take:
                keep(i, chunk=None)
            return
        except HeyGenError as exc:  # each item says why; a repeat sends this same chunk again
            for i in take:
                out.failures[i] = f"the batch request failed: {_reason(exc)}"
                keep(i, queued=None, failure=out.failures[i][:300])
            return
        out.remotes.append(remote)
        out.grouped += len(take)
        fitted()
        for n, i in enumerate(take):  # HeyGen names each video later, in the batch's detail
            out.sent[i] = None
            keep(i, queued=None, chunk=None, failure=None, hg_batch=remote, hg_index=n, hg_api="videos", batch=bid)

    state = state.queueing()  # a 429 is honoured here, between calls, never slept inside one
    while queue and free > 0 and out.retry_at is None:
        pending = sorted({c for i in queue if (c := plans[i].get("chunk")) is not None})
        if pending:  # a chunk journaled before: sent again exactly as it was
            take = [i for i in queue if plans[i].get("chunk") == pending[0]]
            if len(take) > free:
                break
            chunk = int(pending[0])
        else:
            take = queue[:free]
            chunk = int(state.jobs.find(f"batch:{bid}").get("chunks") or 0)  # type: ignore[union-attr]
        queue = [i for i in queue if i not in take]
        free -= len(take)
        priced: dict[int, costs.PaidRequest] = {}
        for i in take:
            plan = plans[i]
            request = await _price(state, route, Script.model_validate(plan.get("script")),
                                   plan.get("avatar_id"), plan.get("voice_id"), orientation, duration_s)
            if request is not None:
                priced[i] = request
        grouped = [i for i in take if i in priced and priced[i].path == "/v3/videos"]
        if len(grouped) >= 2:
            await together(grouped, [priced[i].body for i in grouped], chunk)
        else:
            grouped = []
        async with anyio.create_task_group() as tg:
            for i in take:
                if i not in grouped:
                    tg.start_soon(single, i)
    out.queued = [i for i in out.queued if i not in out.sent and i not in out.failures]
    return out


