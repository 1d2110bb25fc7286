"""Batches and series (issue 9 §1): the ``produce_videos`` tool over ``workflow/batches.py``.

Three forms, one tool: a series (``topics`` + ``brief_template``), one message in many languages (``brief`` +
``languages``, a native voice per language) and a list (``items``). How the items are priced, journaled, sent as
one HeyGen batch and queued under HeyGen's concurrency limit is the workflow's (``workflow/batches.py``); what is
MCP here is the tool's signature and its scripts from the client's own model: one sampling request per item,
asked before the call (``_sampled``) and passed in as the workflow's ``drafts``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Resolve, Sample
from mcp.types import CreateMessageResult
from pydantic import BaseModel, Field

from ..core.costs import Spend
from ..workflow import batches as batches_flow
from ..workflow.batches import MAX_ITEMS, BatchOut
from ..workflow.scripts import Orientation, Route
from .common import PAID, AppState, Context, paid, reporter, reports_errors, who
from .fields import Id
from .scripts import Language, answered, asking, samples

Topic = Annotated[str, Field(min_length=2, max_length=400)]
ITEM_ARGUMENTS = ("items", "topics", "brief_template", "brief", "languages", "language", "avatar_id", "voice_id",
                  "route", "duration_s", "orientation")  # what says which scripts a batch needs


class BatchItem(BaseModel):
    brief: Annotated[str, Field(min_length=3, max_length=4000, description="What this video is about.")]
    language: Language | None = None
    avatar_id: Id | None = None
    voice_id: Id | None = None


def _sampled(tool: Callable[..., Awaitable[BatchOut]]) -> Callable[..., Awaitable[BatchOut]]:
    """Scripts from the client's own model, for a client that samples and a server without DEEPSEEK_API_KEY.

    One ``Resolve`` dependency per possible item (``MAX_ITEMS``): each asks the client for its item's script
    (``Sample``), or for nothing (no such item, a script model is set, the client does not sample, or the
    script is journaled or cached already). The SDK gathers them (one ``InputRequiredResult`` on a 2026
    connection, one request each on a legacy one) before the tool runs, and the tool takes the answers as
    ``drafts``. Checked with the mcp 2.3 client in both modes (tests/test_batches.py)."""
    signature = inspect.signature(tool, eval_str=True)
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()
              if p.name not in ("drafts", "spend")]
    names = [p.name for p in params]
    spend = signature.parameters["spend"]  # the budget ``@paid`` passes on: not an argument the resolvers see

    def asker(index: int) -> Callable[..., Awaitable[Sample | None]]:
        async def ask(**kwargs: Any) -> Sample | None:
            ctx: Context[AppState] = kwargs["ctx"]
            if not samples(ctx):
                return None
            asked = batches_flow.item_request(who(ctx), index, **{n: kwargs[n] for n in ITEM_ARGUMENTS})
            return asking(asked) if asked is not None else None

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
        return await tool(**{n: kwargs[n] for n in names}, drafts=answers, spend=kwargs["spend"])

    wrapper.__signature__ = signature.replace(parameters=[*params, *drafts, spend])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *drafts, spend]} | {
        "return": signature.return_annotation}
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
    *,
    spend: Spend,
) -> BatchOut:
    """For many videos at once (a series over topics, or a list): topics + brief_template, one brief in many
    languages, or items (avatar route: one HeyGen batch). Paid (each render). Returns a batch: job id; items
    beyond HeyGen's concurrency limit are queued and wait_for_job sends them. Then download_video. Repeating
    resumes (never pays twice)."""
    answers = [answered(d) if isinstance(d, CreateMessageResult) else None for d in drafts or []]
    return await batches_flow.produce_videos(who(ctx, spend), items=items, topics=topics,
                                             brief_template=brief_template, brief=brief, languages=languages,
                                             route=route, avatar_id=avatar_id, voice_id=voice_id,
                                             duration_s=duration_s, orientation=orientation, language=language,
                                             max_parallel=max_parallel, drafts=answers, client_samples=samples(ctx),
                                             progress=reporter(ctx))


def register(mcp: MCPServer) -> None:
    mcp.tool(annotations=PAID)(produce_videos)
