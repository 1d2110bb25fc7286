"""Batches: POST/GET /v3/videos/batches and /v3/video-translations/batches.

A batch create checks every item as its single create would (``POST /v3/videos``, ``POST
/v3/video-translations``; a translation body expands to one item per output language), refuses the whole
batch when a body breaks the schema (400) or the account cannot pay for every good item (402, nothing made),
and otherwise makes each good item a real video or translation at once, charged per item: the GETs of
``/v3/videos/{id}`` and ``/v3/video-translations/{id}`` serve them too. An item whose body names something
that does not exist (an avatar, a voice, an asset, a language) fails alone, with its ``error``; the others go
on. A fault injected on ``POST <batch path>/items/<n>`` (``sandbox.faults.inject("POST",
"/v3/videos/batches/items/1", "status", status=400)``) fails item ``n`` of the next batch that way.

Each item's status is its job's, in the batch's words: ``queued`` (a video ``pending``, a translation
``pending``; no id yet, as HeyGen names the video only once it exists), ``processing``, ``completed``,
``failed``. The batch is ``processing`` until every item ends, then ``completed`` (``failed`` when every
item failed). The GET pages the items inside ``data`` (``items``, ``has_more``, ``next_token``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import checks
from ..concurrency import admit
from ..errors import ApiError, validation_error
from ..models.base import error_from_validation, parse_body
from ..models.translations import CreateTranslationBatch, CreateVideoTranslation
from ..models.videos import MAX_BATCH_ITEMS, CreateVideoBatch, CreateVideoEnvelope
from ..records import Batch, BatchEntry
from ..state import SandboxState
from ..views import batch_item
from ..web import ok, or_404, paginate, state_of
from .translations import _source_seconds, add_translation, check_translation
from .videos import add_video, check_video


def _item_body(model: Any, value: dict[str, Any], prefix: str, *, envelope: bool) -> Any:
    """One item's body, validated as its single create's (a schema error refuses the whole batch)."""
    try:
        if envelope:
            if "type" not in value:
                raise validation_error(f"Missing required field '{prefix}.type'", f"{prefix}.type")
            return model.model_validate({"body": value}, strict=True).body
        return model.model_validate(value, strict=True)
    except ValidationError as exc:
        error = error_from_validation(exc, skip=1 if envelope else 0)
        param = f"{prefix}.{error.param}" if error.param else prefix
        raise ApiError(400, error.code, error.message.replace(f"'{error.param}'", f"'{param}'"),
                       param=param) from None


def _injected(state: SandboxState, path: str, index: int) -> ApiError | None:
    fault = state.faults.take("POST", f"{path}/items/{index}")
    if fault is None:
        return None
    return ApiError(fault.status, fault.error_code, f"Injected fault on item {index}: HTTP {fault.status}")


def _failed(index: int, exc: ApiError) -> BatchEntry:
    return BatchEntry(index=index, error_code=exc.code, error_message=exc.message, error_param=exc.param)


Maker = tuple[int, float, Callable[[], str]]  # an item's index, its cost, and what makes its job (its id)


def _accept(state: SandboxState, kind: str, title: str | None, callback_url: str | None, entries: list[BatchEntry],
            good: list[Maker]) -> Response:
    """Pay for every good item or for none (402, nothing made); then make each, and keep the batch."""
    admit(state, len(good), "batch")
    total = round(sum(cost for _, cost, _ in good), 4)
    if state.credits + 1e-9 < total:
        raise ApiError(402, "insufficient_credit",
                       f"Your API wallet has ${state.credits:,.2f} but this batch costs ${total:,.2f}.")
    for index, cost, make in good:
        state.charge(cost, kind)
        entries[index].job_id = make()
    batch = Batch(id=state.new_id("batch"), kind=kind, title=title, created_at=state.now(), items=entries,
                  callback_url=callback_url)
    state.batches[batch.id] = batch
    return ok({"batch_id": batch.id, "id": batch.id}, status=202)


async def create_video_batch(request: Request) -> Response:
    state = state_of(request)
    now = state.now()
    body = parse_body(CreateVideoBatch, await request.body())
    checks.check_url(body.callback_url, "callback_url")
    parsed = [_item_body(CreateVideoEnvelope, item, f"videos[{i}]", envelope=True)
              for i, item in enumerate(body.videos)]
    entries: list[BatchEntry] = []
    good: list[Maker] = []
    for i, item in enumerate(parsed):
        try:
            injected = _injected(state, "/v3/videos/batches", i)
            if injected is not None:
                raise injected
            seconds, script = check_video(state, item, now)
        except ApiError as exc:
            entries.append(_failed(i, exc))
            continue
        good.append((i, state.price("/v3/videos", body.videos[i]),
                     partial(lambda b, t, sc: add_video(state, request, b, t, sc).id, item, seconds, script)))
        entries.append(BatchEntry(index=i))
    return _accept(state, "video", body.title, body.callback_url, entries, good)


async def create_translation_batch(request: Request) -> Response:
    state = state_of(request)
    body = parse_body(CreateTranslationBatch, await request.body())
    checks.check_url(body.callback_url, "callback_url")
    parsed = [_item_body(CreateVideoTranslation, item, f"video_translations[{i}]", envelope=False)
              for i, item in enumerate(body.video_translations)]
    if sum(len(item.output_languages) for item in parsed) > MAX_BATCH_ITEMS:
        raise validation_error(f"A batch expands to at most {MAX_BATCH_ITEMS} items (videos x output languages)",
                               "video_translations")
    entries: list[BatchEntry] = []
    good: list[Maker] = []
    for raw, item in zip(body.video_translations, parsed, strict=True):
        try:
            languages, seconds = check_translation(state, item)
            problem = None
        except ApiError as exc:  # the body's every language fails with it
            languages, seconds, problem = list(item.output_languages), 0.0, exc
        for language in languages:
            index = len(entries)
            failure = problem or _injected(state, "/v3/video-translations/batches", index)
            if failure is not None:
                entries.append(_failed(index, failure))
                continue
            one = {**raw, "output_languages": [language]}
            cost = state.price("/v3/video-translations", one, seconds=_source_seconds(state, item.video))
            good.append((index, cost,
                         partial(lambda b, lang, t: add_translation(state, request, b, lang, t).id,
                                 item, language, seconds)))
            entries.append(BatchEntry(index=index))
    return _accept(state, "translation", body.title, body.callback_url, entries, good)


def batch_detail(request: Request, state: SandboxState, batch: Batch, now: float) -> dict[str, Any]:
    items = [batch_item(state, batch, entry, now) for entry in batch.items]
    counts = {name: 0 for name in ("queued", "processing", "completed", "failed")}
    for item in items:
        counts[item["status"]] += 1
    finished = counts["completed"] + counts["failed"] == len(items)
    status = "processing" if not finished else "failed" if counts["completed"] == 0 else "completed"
    page, has_more, token = paginate(request, items, default=MAX_BATCH_ITEMS, maximum=MAX_BATCH_ITEMS)
    return {"batch_id": batch.id, "title": batch.title, "status": status, "total_items": len(items),
            "counts_by_status": counts, "created_at": int(batch.created_at), "items": page,
            "has_more": has_more, "next_token": token}


def _getter(kind: str, what: str) -> Any:
    async def get_batch(request: Request) -> Response:
        state = state_of(request)
        batch_id = request.path_params["batch_id"]
        batch = state.batches.get(batch_id)
        batch = or_404(batch if batch is not None and batch.kind == kind else None, what, batch_id)
        return ok(batch_detail(request, state, batch, state.now()))

    return get_batch


routes = [
    Route("/v3/videos/batches", create_video_batch, methods=["POST"]),
    Route("/v3/videos/batches/{batch_id}", _getter("video", "Video batch"), methods=["GET"]),
    Route("/v3/video-translations/batches", create_translation_batch, methods=["POST"]),
    Route("/v3/video-translations/batches/{batch_id}", _getter("translation", "Video translation batch"),
          methods=["GET"]),
]
