"""Batches and series (issue 9 §1): ``produce_videos`` makes many videos from one call.

Three forms, one tool: a series (``topics`` + ``brief_template``), one message in many languages (``brief`` +
``languages``, a native voice per language) and a list (``items``). Each item goes the way of ``produce_video``
(script, avatar and voice, create); the call returns once every item is submitted, with a ``batch:`` job id that
``wait_for_job`` (aggregate progress) and ``download_video`` (every finished file, one folder per batch) take.

How the items are sent: the items whose create is a ``POST /v3/videos`` body (the ``avatar`` route), two or
more, go to HeyGen as ONE ``POST /v3/videos/batches`` (``Videos.create_batch``: priced as the sum of its items,
claimed in the job store with its Idempotency-Key before it is sent, like any paid create); HeyGen names each
video later, in the batch's detail, which ``tools/jobs.py`` reads for progress, failures (each item's
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

Scripts: a script model the server calls (``DEEPSEEK_API_KEY``, the sandbox's stand-in), or else the client's
own model by sampling, one request per item inside the one call (``_sampled``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, NoReturn

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Resolve, Sample
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CreateMessageResult
from pydantic import BaseModel, Field, TypeAdapter

from ..core import costs
from ..core.errors import HeyGenError
from ..core.models import CreateVideoBatch, VideoRequest
from ..core.scripts import Script, ScriptRequest
from .common import PAID, AppState, Context, app, not_blank, paid, reports_errors
from .fields import Id
from .jobs import make_job_id
from .scripts import ROUTE_FORMAT, Drafted, Language, Orientation, Route, _cast, _draft, _submit, _titled, _unpack

MAX_ITEMS = 20
_VIDEO: TypeAdapter[Any] = TypeAdapter(VideoRequest)
Topic = Annotated[str, Field(min_length=2, max_length=400)]


class BatchItem(BaseModel):
    brief: Annotated[str, Field(min_length=3, max_length=4000, description="What this video is about.")]
    language: Language | None = None
    avatar_id: Id | None = None
    voice_id: Id | None = None


class ItemOut(BaseModel):
    index: int
    label: str
    language: str
    job_id: str | None = None
    state: Literal["submitted", "resumed", "failed"]
    failure: str | None = None


class BatchOut(BaseModel):
    job_id: str
    items: list[ItemOut]
    submitted: int = Field(description="Items sent (and paid) by this call.")
    resumed: bool = Field(False, description="True: an earlier call made this batch; only what was missing was sent.")
    note: str | None = None
    next_step: str


def _plans(items: list[BatchItem] | None, topics: list[str] | None, brief_template: str | None, brief: str | None,
           languages: list[str] | None, language: str, avatar_id: str | None,
           voice_id: str | None) -> list[dict[str, Any]]:
    """The batch's items as plain dicts (brief, language, avatar_id, voice_id, label); refuses a mixed form."""
    forms = [items is not None, topics is not None, languages is not None]
    if sum(forms) != 1:
        raise ToolError("Pass exactly one of: items=[...], topics=[...] with brief_template, or brief with "
                        "languages=[...]. Nothing was sent.")
    if items is not None:
        if brief or brief_template:
            raise ToolError("With items, put each brief in its item (brief and brief_template are for the other "
                            "forms). Nothing was sent.")
        plans = []
        for item in items:
            not_blank(item.brief, "brief")
            plans.append({"brief": item.brief.strip(), "language": item.language or language,
                          "avatar_id": item.avatar_id or avatar_id, "voice_id": item.voice_id or voice_id,
                          "label": " ".join(item.brief.split())[:60]})
    elif topics is not None:
        if not brief_template or "{topic}" not in brief_template:
            raise ToolError("topics needs brief_template containing {topic}, e.g. 'A 30 second tip about {topic}'. "
                            "Nothing was sent.")
        for topic in topics:
            not_blank(topic, "topic")
        plans = [{"brief": brief_template.replace("{topic}", t.strip()), "language": language,
                  "avatar_id": avatar_id, "voice_id": voice_id, "label": " ".join(t.split())[:60]} for t in topics]
    else:
        assert languages is not None
        if not brief:
            raise ToolError("languages needs brief (the one message to say in each language). Nothing was sent.")
        not_blank(brief, "brief")
        for lang in languages:
            not_blank(lang, "language")
        if len({lang.strip().lower() for lang in languages}) != len(languages):
            raise ToolError("languages has a repeat; list each language once. Nothing was sent.")
        plans = [{"brief": brief.strip(), "language": lang.strip(), "avatar_id": avatar_id,
                  "voice_id": voice_id if len(languages) == 1 else None, "label": lang.strip()}
                 for lang in languages]
        # One voice cannot be native to every language: each language gets its own (named in the answer).
    if not 1 <= len(plans) <= MAX_ITEMS:
        raise ToolError(f"A batch has 1 to {MAX_ITEMS} items; split a longer list. Nothing was sent.")
    return plans


def batch_key(plans: list[dict[str, Any]], route: str, duration_s: int, orientation: str) -> str:
    payload = json.dumps([[p["brief"], p["language"].lower(), p["avatar_id"], p["voice_id"]] for p in plans]
                         + [route, duration_s, orientation])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


async def _prepare(state: AppState, ctx: Context[AppState], key: str, plan: dict[str, Any], route: Route,
                   duration_s: int, sampled: Any = None) -> tuple[Script, str, str, str | None]:
    """One item's script, avatar and voice: from the journal, the cache (a dry run's), the client's model
    (``sampled``: its answer, asked for before the call, see ``_sampled``), or made now."""
    previous = state.jobs.find(key)
    if previous is not None and previous.get("script"):
        return (Script.model_validate(previous.get("script")), previous.get("avatar_id"), previous.get("voice_id"),
                None)
    avatar_id, voice_id, note = await _cast(state, key, plan["avatar_id"], plan["voice_id"], plan["language"])
    req = ScriptRequest(topic=plan["brief"], duration_s=duration_s, language=plan["language"],
                        format=ROUTE_FORMAT[route])
    cached = state.cache.get(("produce-script", key))
    if cached is not None:
        return _titled(Script.model_validate(cached)), avatar_id, voice_id, note
    drafted = sampled if isinstance(sampled, CreateMessageResult) else await _draft(state, ctx, req, None)
    if not isinstance(drafted, Drafted | CreateMessageResult):  # no answer was asked for this item (cannot be)
        raise ToolError("This item's script could not be drafted with your client's model; set DEEPSEEK_API_KEY "
                        "or call again.")
    script, _, _, _ = _unpack(drafted, req)
    state.cache.put(("produce-script", key), script.model_dump(mode="json"))
    return script, avatar_id, voice_id, note


async def _price(state: AppState, route: Route, script: Script, avatar_id: str, voice_id: str,
                 orientation: Orientation, duration_s: int) -> costs.PaidRequest | None:
    """The item's create as it would be sent, with its estimate (a dry run of that one create)."""
    try:
        with costs.spending(costs.Spend(dry_run=True)):
            await _submit(state, route, script, avatar_id, voice_id, orientation, duration_s)
    except costs.Preview as stop:
        return stop.request
    return None


def _batch_request(bid: str, bodies: list[dict[str, Any]]) -> CreateVideoBatch:
    """The one POST /v3/videos/batches body for these items (each exactly as its POST /v3/videos). Its title
    is the local batch's id, so a repeat sends the same body (and the same Idempotency-Key)."""
    return CreateVideoBatch(videos=[_VIDEO.validate_python(b) for b in bodies], title=f"heygen-studio {bid[:12]}")


def _preview(priced: dict[int, costs.PaidRequest], grouped: list[int], batch_req: CreateVideoBatch | None,
             total: costs.Estimate, spend: costs.Spend) -> NoReturn:
    """A dry run's answer: the request(s) exactly as they would be sent, and the whole batch's estimate."""
    singles = [i for i in sorted(priced) if i not in grouped]
    if batch_req is not None:
        request = costs.PaidRequest("POST", "/v3/videos/batches", batch_req.body(), total)
        note = f"One request of POST /v3/videos/batches with {len(grouped)} videos (the body shown)."
        if singles:
            note += f" Besides, {len(singles)} single create(s): " + "; ".join(
                f"item {i + 1}: {priced[i].method} {priced[i].path}" for i in singles)
        raise costs.Preview(request, spend, note=note)
    first = priced[min(priced)]
    if len(priced) == 1:  # one request: its body exactly as it would be sent
        raise costs.Preview(costs.PaidRequest(first.method, first.path, first.body, total), spend)
    combined = costs.PaidRequest(first.method, first.path, {"items": [priced[i].body for i in sorted(priced)]}, total)
    raise costs.Preview(combined, spend, note=f"{len(priced)} requests of {first.method} {first.path}, one per "
                                              "item, each with the body listed (these items do not fit HeyGen's "
                                              "video batch).")


def _reason(exc: Exception) -> str:
    if isinstance(exc, HeyGenError):
        return exc.describe()
    return str(exc) or type(exc).__name__


def _sampled(tool: Callable[..., Awaitable[BatchOut]]) -> Callable[..., Awaitable[BatchOut]]:
    """Scripts from the client's own model, for a client that samples and a server without DEEPSEEK_API_KEY.

    One ``Resolve`` dependency per possible item (``MAX_ITEMS``): each asks the client for its item's script
    (``Sample``), or for nothing (no such item, a script model is set, the client does not sample, or the
    script is journaled or cached already). The SDK gathers them (one ``InputRequiredResult`` on a 2026
    connection, one request each on a legacy one) before the tool runs, and the tool takes the answers as
    ``drafts``. Checked with the mcp 2.3 client in both modes (tests/test_batches.py)."""
    signature = inspect.signature(tool, eval_str=True)
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()
              if p.name != "drafts"]
    names = [p.name for p in params]

    def asker(index: int) -> Callable[..., Awaitable[Sample | None]]:
        async def ask(**kwargs: Any) -> Sample | None:
            ctx: Context[AppState] = kwargs["ctx"]
            state = app(ctx)
            caps = ctx.client_capabilities
            if state.settings.deepseek_api_key is not None or caps is None or caps.sampling is None:
                return None
            try:
                plans = _plans(*(kwargs[n] for n in ("items", "topics", "brief_template", "brief", "languages",
                                                     "language", "avatar_id", "voice_id")))
            except ToolError:
                return None  # the tool says what is wrong, without asking anything first
            if index >= len(plans):
                return None
            bid = batch_key(plans, kwargs["route"], kwargs["duration_s"], kwargs["orientation"])
            key = f"batchitem:{bid}:{index}"
            previous = state.jobs.find(key)
            if (previous is not None and previous.get("script")) or state.cache.get(("produce-script", key)):
                return None
            req = ScriptRequest(topic=plans[index]["brief"], duration_s=kwargs["duration_s"],
                                language=plans[index]["language"], format=ROUTE_FORMAT[kwargs["route"]])
            asked = await _draft(state, ctx, req, None)
            return asked if isinstance(asked, Sample) else None

        ask.__signature__ = inspect.Signature(params, return_annotation=Sample | None)  # type: ignore[attr-defined]
        ask.__annotations__ = {p.name: p.annotation for p in params} | {"return": Sample | None}
        ask.__module__, ask.__qualname__ = tool.__module__, f"{tool.__qualname__}.draft_{index}"
        ask.__name__ = f"draft_{index}"
        return ask

    drafts = [inspect.Parameter(f"draft_{i}", inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=Annotated[Any, Resolve(asker(i))]) for i in range(MAX_ITEMS)]

    @functools.wraps(tool)
    async def wrapper(**kwargs: Any) -> BatchOut:
        answers = [kwargs.pop(f"draft_{i}", None) for i in range(MAX_ITEMS)]
        return await tool(**{n: kwargs[n] for n in names}, drafts=answers)

    wrapper.__signature__ = signature.replace(parameters=params + drafts)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params + drafts} | {"return": signature.return_annotation}
    return wrapper


@paid
@reports_errors
@_sampled
async def produce_videos(
    ctx: Context[AppState],
    items: Annotated[list[BatchItem] | None, Field(max_length=MAX_ITEMS, description="A list of videos.")] = None,
    topics: Annotated[list[Topic] | None, Field(max_length=MAX_ITEMS, description="A series: one video per topic, "
                                                "brief_template with {topic}.")] = None,
    brief_template: Annotated[str | None, Field(max_length=4000)] = None,
    brief: Annotated[str | None, Field(max_length=4000, description="With languages: one message.")] = None,
    languages: Annotated[list[Language] | None, Field(max_length=MAX_ITEMS, description="One video per language, "
                                                      "each with a native voice.")] = None,
    route: Annotated[Route, Field(description="avatar, studio or agent (as produce_video).")] = "avatar",
    avatar_id: Id | None = None,
    voice_id: Id | None = None,
    duration_s: Annotated[int, Field(ge=5, le=300)] = 30,
    orientation: Orientation = "landscape",
    language: Language = "en",
    max_parallel: Annotated[int, Field(ge=1, le=10)] = 3,
    drafts: list[Any] | None = None,
) -> BatchOut:
    """Many videos in one call: a series (topics + brief_template), one brief in many languages, or items
    (avatar route: one HeyGen batch). Paid (each render). Returns a batch: job id once all are submitted; then
    wait_for_job and download_video. Repeating the call resumes it (never pays twice)."""
    state = app(ctx)
    plans = _plans(items, topics, brief_template, brief, languages, language, avatar_id, voice_id)
    bid = batch_key(plans, route, duration_s, orientation)
    job_id = make_job_id("batch", bid)
    keys = [f"batchitem:{bid}:{i}" for i in range(len(plans))]
    earlier = state.jobs.find(f"batch:{bid}")
    done = {i: rec.job_id or None for i, key in enumerate(keys)
            if (rec := state.jobs.find(key)) is not None and (rec.job_id or rec.get("hg_batch"))}
    if len(done) == len(plans):
        costs.nothing_to_send(f"Every item of {job_id} is already made or rendering: calling without dry_run "
                              "pays for nothing.")
    limiter = anyio.CapacityLimiter(max_parallel)
    ready: dict[int, tuple[Script, str, str, str | None]] = {}
    failures: dict[int, str] = {}

    async def prepare(i: int) -> None:
        async with limiter:
            try:
                ready[i] = await _prepare(state, ctx, keys[i], plans[i], route, duration_s,
                                          drafts[i] if drafts and i < len(drafts) else None)
            except (ToolError, HeyGenError) as exc:
                failures[i] = _reason(exc)

    await ctx.report_progress(2, total=100, message="scripts")
    async with anyio.create_task_group() as tg:
        for i in range(len(plans)):
            if i not in done:
                tg.start_soon(prepare, i)
    if not ready and not done:
        raise ToolError("No item could be prepared, so nothing was sent: "
                        + "; ".join(f"item {i + 1}: {why}" for i, why in sorted(failures.items())))

    # Price the whole batch before the first item is sent (a dry run of each create gives its exact body).
    priced: dict[int, costs.PaidRequest] = {}
    for i, (script, look, voice, _) in sorted(ready.items()):
        request = await _price(state, route, script, look, voice, orientation, duration_s)
        if request is not None:
            priced[i] = request
    # Items whose create is a POST /v3/videos body go to HeyGen as one POST /v3/videos/batches (two or more).
    grouped = [i for i in sorted(priced) if priced[i].path == "/v3/videos"]
    grouped = grouped if len(grouped) >= 2 else []
    batch_req = _batch_request(bid, [priced[i].body for i in grouped]) if grouped else None
    spend = costs.current()
    if priced:
        total = costs.Estimate()
        for i, request in sorted(priced.items()):
            total.merge(request.estimate, prefix=f"item {i + 1}: ")
        if costs.previewing():
            assert spend is not None
            _preview(priced, grouped, batch_req, total, spend)
        if spend is not None and spend.limit is not None and spend.usd + total.usd > spend.limit:
            raise ToolError(f"This batch would cost about {costs.usd(total.usd)} ({len(priced)} videos), over the "
                            f"limit of {costs.usd(spend.limit)} set by {spend.limit_from}. Nothing was sent or "
                            "charged; raise it, or make fewer or shorter videos (dry_run=true shows every request).")

    # Journal before paying: the batch and each item's plan (script, avatar, voice).
    if not costs.previewing():
        state.jobs.record(kind="batch", job_id=bid, key=f"batch:{bid}", title=f"{len(plans)} videos",
                          items=[{"key": k, "label": p["label"], "language": p["language"]}
                                 for k, p in zip(keys, plans, strict=True)], route=route)
        for i, (script, look, voice, _) in ready.items():
            state.jobs.record(kind="produce_plan", job_id="", key=keys[i], title=script.title,
                              script=script.model_dump(mode="json"), avatar_id=look, voice_id=voice)

    sent: dict[int, str | None] = {}
    remote: str | None = None

    def failed(i: int, why: str) -> None:
        script, look, voice, _ = ready[i]
        failures[i] = why
        state.jobs.record(kind="produce_plan", job_id="", key=keys[i], title=script.title,
                          script=script.model_dump(mode="json"), avatar_id=look, voice_id=voice, failure=why[:300])

    async def submit(i: int) -> None:
        script, look, voice, _ = ready[i]
        async with limiter:
            try:
                made = await _submit(state, route, script, look, voice, orientation, duration_s)
            except (ToolError, HeyGenError) as exc:
                failed(i, _reason(exc))
                return
        sent[i] = made
        state.jobs.record(kind="produce", job_id=made, key=keys[i], title=script.title,
                          script=script.model_dump(mode="json"), avatar_id=look, voice_id=voice, batch=bid)

    await ctx.report_progress(10, total=100, message="submitting")
    if batch_req is not None:
        try:
            remote = (await state.client.videos.create_batch(batch_req, part_of=bid)).ident
        except (ToolError, HeyGenError) as exc:  # the one request failed: each of its items says why
            for i in grouped:
                failed(i, f"the batch request failed: {_reason(exc)}")
        else:
            for n, i in enumerate(grouped):  # HeyGen names each video later, in the batch's detail
                script, look, voice, _ = ready[i]
                sent[i] = None
                state.jobs.record(kind="produce_plan", job_id="", key=keys[i], title=script.title,
                                  script=script.model_dump(mode="json"), avatar_id=look, voice_id=voice,
                                  hg_batch=remote, hg_index=n, hg_api="videos", batch=bid)
    async with anyio.create_task_group() as tg:
        for i in sorted(ready):
            if i not in grouped:
                tg.start_soon(submit, i)
    await ctx.report_progress(100, total=100, message="submitted")

    out = []
    for i, plan in enumerate(plans):
        made = sent.get(i) or done.get(i)
        state_name: Literal["submitted", "resumed", "failed"] = (
            "submitted" if i in sent else "resumed" if i in done else "failed")
        out.append(ItemOut(index=i + 1, label=plan["label"], language=plan["language"], job_id=made,
                           state=state_name, failure=failures.get(i)))
    notes = sorted({n for (_, _, _, n) in ready.values() if n})
    if remote is not None:
        notes.append(f"{len(grouped)} videos were sent as one POST /v3/videos/batches (HeyGen batch {remote}); "
                     "wait_for_job names each video once HeyGen has made it.")
    step = f"wait_for_job('{job_id}') until done, then download_video('{job_id}') saves every MP4."
    if failures:
        step = (f"{len(failures)} item(s) could not be submitted (see failure); the rest go on. Fix the cause and "
                f"call produce_videos again with the same arguments (only those are sent), or {step}")
    return BatchOut(job_id=job_id, items=out, submitted=len(sent), resumed=earlier is not None,
                    note=" ".join(notes) or None, next_step=step)


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(produce_videos)
